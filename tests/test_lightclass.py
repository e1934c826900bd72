"""matlog.lightclass.dataclass behaves as the standard library's does, for what matlog uses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from matlog.lightclass import dataclass, field, fields, replace


@dataclass(slots=True)
class Slotted:
    a: int
    b: str = "x"
    c: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Frozen:
    a: int
    b: int = 2


@dataclass
class Plain:
    a: int
    d: dict[str, int] = field(default_factory=dict)
    e: str | None = None


def test_init_defaults_and_fresh_factories() -> None:
    one, two = Slotted(1), Slotted(2, "y", [3])
    assert (one.a, one.b, one.c) == (1, "x", [])
    assert (two.a, two.b, two.c) == (2, "y", [3])
    assert Slotted(1).c is not Slotted(1).c
    assert Plain(1, e="z").e == "z"
    with pytest.raises(TypeError):
        Slotted()  # type: ignore[call-arg]


def test_repr_eq_fields_replace() -> None:
    assert repr(Slotted(1)) == "Slotted(a=1, b='x', c=[])"
    assert Slotted(1) == Slotted(1) and Slotted(1) != Slotted(2)
    assert Slotted(1) != Plain(1)
    assert fields(Slotted) == ("a", "b", "c")
    changed = replace(Slotted(1, c=[5]), b="q")
    assert (changed.a, changed.b, changed.c) == (1, "q", [5])


def test_slots_frozen_and_class_defaults() -> None:
    assert not hasattr(Slotted(1), "__dict__")
    with pytest.raises(AttributeError):
        Frozen(1).a = 3  # type: ignore[misc]
    assert Frozen.b == 2 and Plain.e is None  # plain defaults stay on the class
    assert Frozen(1) == Frozen(1, 2)


def test_the_scripted_commands_never_import_dataclasses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys, io, contextlib\n"
        "from matlog import fast\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert fast.run(['stats', '--json']) == 0\n"
        "    assert fast.run(['plan', '--json']) == 0\n"
        "print(sorted(m for m in ('dataclasses', 'inspect', 'typer', 'rich') if m in sys.modules))"
    )
    env = {"HOME": str(tmp_path), "MATLOG_JOURNAL": str(tmp_path / "j.toml"), "PATH": "/usr/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_failing_comparison_names_the_fields_that_differ() -> None:
    from conftest import pytest_assertrepr_compare

    lines = pytest_assertrepr_compare("==", Slotted(1, "x"), Slotted(1, "y"))
    assert lines == ["Slotted instances differ in:", "  b: 'x' != 'y'"]
    assert pytest_assertrepr_compare("==", Slotted(1), "not a light class") is None
