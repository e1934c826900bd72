"""`@dataclass`: the part of `dataclasses` matlog uses, without its import cost.

`import dataclasses` brings in inspect, ast, dis and tokenize: most of a bare Python start,
paid by every command, the scripted `plan --json` and `stats --json` included (the figures
are in bench/run.py). This makes the same declarative classes: `__init__` from the
annotated fields (defaults, `field(default_factory=...)`), `__repr__`, `__eq__`, optional
`__slots__` and `frozen`, and `replace` — but no `__post_init__`. Type checkers see it as a
dataclass (PEP 681). tests/test_lightclass.py checks it against `dataclasses`.

Where it must be used: every module on the start-up path of every command. A ruff rule
(banned-api `dataclasses`, pyproject.toml) says so; only the live session's modules, which
run under `matlog start` alone, may import `dataclasses`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_MISSING: Any = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A default made afresh for each instance (a list, a dict)."""
    return _Factory(default_factory)  # type: ignore[return-value]


@overload
def dataclass(cls: type[T], /) -> type[T]: ...


@overload
def dataclass(*, slots: bool = False, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field,))
def dataclass(
    cls: type[T] | None = None, /, *, slots: bool = False, frozen: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """Use as `@dataclass` or `@dataclass(slots=True, frozen=True)`, as in the standard library."""

    def make(cls: type[T]) -> type[T]:
        # The class's own annotations (inspect.get_annotations is what this module avoids).
        names = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063
        namespace: dict[str, Any] = {"_MISSING": _MISSING, "_set": object.__setattr__}
        params, lines = [], []
        for name in names:
            default = cls.__dict__.get(name, _MISSING)
            if isinstance(default, _Factory):
                namespace[f"_make_{name}"] = default.make
                params.append(f"{name}=_MISSING")
                value = f"_make_{name}() if {name} is _MISSING else {name}"
            else:
                if default is not _MISSING:
                    namespace[f"_default_{name}"] = default
                params.append(f"{name}=_default_{name}" if default is not _MISSING else name)
                value = name
            lines.append(
                f"    _set(self, {name!r}, {value})" if frozen else f"    self.{name} = {value}"
            )
        source = f"def __init__(self, {', '.join(params)}) -> None:\n" + "\n".join(lines)
        exec(source, namespace)  # noqa: S102 - code made from the class's own field names
        # Plain defaults stay readable on the class, as with dataclasses (not beside
        # __slots__, which would clash); factory markers never do.
        body = {
            key: value
            for key, value in cls.__dict__.items()
            if key not in ("__dict__", "__weakref__")
            and not (key in names and (slots or isinstance(value, _Factory)))
        }
        if slots:
            body["__slots__"] = names
        body.update(
            __init__=namespace["__init__"],
            __repr__=_repr,
            __eq__=_eq,
            __hash__=None,
            __match_args__=names,
            _fields=names,
        )
        if frozen:
            body["__setattr__"] = body["__delattr__"] = _frozen
        made: type[T] = type(cls.__name__, cls.__bases__, body)
        made.__qualname__ = cls.__qualname__
        return made

    return make if cls is None else make(cls)


def replace(obj: T, **changes: Any) -> T:
    """A copy of `obj` with some fields changed, like `dataclasses.replace`."""
    values = {name: getattr(obj, name) for name in obj._fields}  # type: ignore[attr-defined]
    values.update(changes)
    return type(obj)(**values)


def fields(cls: type) -> tuple[str, ...]:
    """The field names, in order."""
    names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    return names


def _repr(self: Any) -> str:
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
    return f"{type(self).__qualname__}({inner})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return all(getattr(self, name) == getattr(other, name) for name in self._fields)


def _frozen(self: Any, name: str, *_value: Any) -> None:
    raise AttributeError(f"cannot change {type(self).__name__}.{name}: it is frozen")
