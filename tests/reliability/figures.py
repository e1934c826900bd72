"""Figures for the README's Guarantees: append time by journal size, `matlog --version`.

    python tests/reliability/figures.py

Everything happens in a temporary folder (HOME, XDG folders); your own files are not touched.
Append times are medians of in-process `Journal.append` calls of one session: "warm" when
the parsed-records cache is up to date (every append after the first), "cold" without it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for var, sub in [
            ("HOME", ""),
            ("XDG_CACHE_HOME", ".cache"),
            ("XDG_STATE_HOME", ".state"),
            ("XDG_DATA_HOME", ".data"),
        ]:
            os.environ[var] = str(root / sub)
        from rel_util import sessions, write_journal

        from matlog.journal import Journal

        for suffix in ("toml", "jsonl"):
            for size in (10, 10_000):
                path = root / f"j{size}.{suffix}"
                base = sessions(size)
                size_kib = len(write_journal(path, base)) // 1024
                extra = sessions(40, tag="new")
                warm, cold = [], []
                Journal(path).append(extra[:1])
                for record in extra[1:21]:
                    began = time.perf_counter()
                    Journal(path).append([record])
                    warm.append(time.perf_counter() - began)
                for record in extra[21:26]:
                    for cached in (root / ".cache").rglob("*"):
                        if cached.is_file():
                            cached.unlink()
                    began = time.perf_counter()
                    Journal(path).append([record])
                    cold.append(time.perf_counter() - began)
                print(
                    f"append, {suffix}, {size:>6} sessions ({size_kib} KiB): "
                    f"warm {statistics.median(warm) * 1000:.1f} ms, "
                    f"cold {statistics.median(cold) * 1000:.0f} ms"
                )
    script = Path(sys.executable).parent / "matlog"
    runs = []
    for _ in range(30):
        began = time.perf_counter()
        subprocess.run([str(script), "--version"], check=True, capture_output=True)
        runs.append(time.perf_counter() - began)
    bare = []
    for _ in range(30):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
        bare.append(time.perf_counter() - began)
    print(
        f"matlog --version: median {statistics.median(runs) * 1000:.0f} ms wall "
        f"(python -c pass: {statistics.median(bare) * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
