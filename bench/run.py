"""`make bench`: run the main() of every benchmark module in bench/ (files starting with "_"
are helpers). Each prints `bench <name>: <value> <unit>` lines; sizes come from environment
variables (BENCH_HOUSEHOLDS, BENCH_PERSONS, BENCH_RECALC_CASES_SQLITE, BENCH_RECALC_CASES_PG,
...). BENCH_ONLY=registry_import runs one module (case_recalc: recalculation after a standard
change)."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def modules() -> list[Path]:
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
    found = sorted(p for p in HERE.glob("*.py") if p.name[0] != "_" and p.name != "run.py")
    return [p for p in found if not only or p.stem in only]


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    failed = 0
    for path in modules():
        spec = importlib.util.spec_from_file_location(f"bench.{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"# {path.stem}", flush=True)
        started = time.perf_counter()
        try:
            module.main()
        except Exception as e:  # one broken benchmark must not hide the others
            failed += 1
            print(f"# {path.stem} failed: {e!r}", flush=True)
        print(f"# {path.stem} took {time.perf_counter() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
