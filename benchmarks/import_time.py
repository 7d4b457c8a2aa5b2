"""How much time `import kamseg` adds to `import pandas`, in fresh processes.

Usage: python benchmarks/import_time.py [--runs 7] [--check]

Each run starts a new interpreter; the script reports the median wall time of
`import pandas` and of `import pandas; import kamseg`, and the difference. With --check it
exits 1 when kamseg adds 0.3 s or more (the budget in the foundation issue).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

BUDGET_S = 0.3
_TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _time(stmt: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(stmt=stmt)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    _time("import pandas, kamseg")  # warm the file cache and bytecode
    base = statistics.median(_time("import pandas") for _ in range(args.runs))
    both = statistics.median(_time("import pandas; import kamseg") for _ in range(args.runs))
    added = both - base
    print(
        f"import pandas: {base:.3f} s; pandas + kamseg: {both:.3f} s; "
        f"kamseg adds {added:.3f} s (budget {BUDGET_S} s, median of {args.runs})"
    )
    if args.check and added >= BUDGET_S:
        print("import budget exceeded", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
