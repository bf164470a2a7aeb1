"""How much `import srcgrad` costs next to `import numpy` (issue 14 item 6).

    python benchmarks/import_cost.py [--repeat 15]

Each import runs in a fresh interpreter (`python -c "import X"`), and the
best of `--repeat` wall-clock times is kept, so that a busy moment of the
machine does not count; the best CPU time (user + system, which other
processes disturb less on a busy machine) is reported beside it. A first, unmeasured run writes the bytecode caches
(PYTHONDONTWRITEBYTECODE is dropped), as an installed package has them. The interpreter's own start-up (`python -c pass`)
is subtracted from both. `python -X importtime -c "import srcgrad"` shows
where the time goes, module by module.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time


def best_time(code: str, repeat: int) -> tuple[float, float]:
    """The best wall-clock and the best CPU seconds of `python -c code` over `repeat` runs."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)  # writes the .pyc files
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        best_wall = min(best_wall, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu = min(best_cpu, cpu)
    return best_wall, best_cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per measurement (best kept)")
    args = parser.parse_args(argv)
    start_up = best_time("pass", args.repeat)
    numpy_cost = [t - s for t, s in zip(best_time("import numpy", args.repeat), start_up)]
    srcgrad_cost = [t - s for t, s in zip(best_time("import srcgrad", args.repeat), start_up)]
    print("                   wall ms   CPU ms   (best of %d; python start-up subtracted)" % args.repeat)
    print(f"python start-up  {start_up[0] * 1e3:8.1f} {start_up[1] * 1e3:8.1f}")
    print(f"import numpy     {numpy_cost[0] * 1e3:8.1f} {numpy_cost[1] * 1e3:8.1f}")
    print(f"import srcgrad   {srcgrad_cost[0] * 1e3:8.1f} {srcgrad_cost[1] * 1e3:8.1f}   "
          f"({srcgrad_cost[0] / numpy_cost[0]:.2f}x / {srcgrad_cost[1] / numpy_cost[1]:.2f}x numpy, "
          "numpy included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
