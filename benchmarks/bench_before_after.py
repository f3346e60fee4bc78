"""The same commands run by two versions of coopledger, in turn: CPU and wall.

Run on demand (not a test):

    python benchmarks/bench_before_after.py COOP BEFORE_BIN AFTER_BIN [--runs 5]

COOP is a cooperative made by `coopledger demo` (docs/performance.md, "The
core's refactor, before and after": 10,000 trades, 200 members, seed 1);
BEFORE_BIN and AFTER_BIN are the `coopledger` executables of two checkouts,
each in its own virtual environment (for example a `git worktree add` of the
older commit). COOP is copied twice, one copy for each version (their
snapshots differ), and each command runs after one warm-up as A B A B...: the
machine's noise falls on both alike. Both run from their compiled byte code,
written in the warm-up. The CPU time is the process's and its
git children's (user + system, wait4), so a git process more or less counts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import waited

COMMANDS = (
    ("check (warm)", ["check"]),
    ("check --no-cache (cold)", ["check", "--no-cache"]),
    ("balances --json (warm)", ["balances", "--json"]),
    ("report (warm)", ["report"]),
    ("trade claire amelie 1 (warm)", ["trade", "claire", "amelie", "1"]),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("coop", type=Path)
    parser.add_argument("before", help="the older coopledger executable")
    parser.add_argument("after", help="the newer coopledger executable")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # each version writes its byte code in its warm-up and runs from it, as on a
    # user's machine: where PYTHONDONTWRITEBYTECODE is set, a checkout whose byte
    # code is stale would compile its changed modules on every run (a few percent)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    env = {"COOPLEDGER_TODAY": os.environ.get("COOPLEDGER_TODAY", "2026-11-25")}
    with tempfile.TemporaryDirectory(prefix="coopledger-ab-") as folder:
        copies = {}
        for name, binary in (("before", args.before), ("after", args.after)):
            copy = Path(folder) / name
            shutil.copytree(args.coop, copy, symlinks=True)
            # each version its own snapshot, in its own cache folder
            cache = Path(folder) / f"{name}-cache"
            copies[name] = (binary, copy, {**env, "COOPLEDGER_CACHE_DIR": str(cache)})
            subprocess.run([binary, "check"], cwd=copy, env={**os.environ, **copies[name][2]},
                           stdout=subprocess.DEVNULL, check=False)  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.2f}")
        print("| command | after CPU s | before CPU s | after / before CPU (min–median–max) "
              "| wall after / before (median) |")  # fmt: skip
        print("|---|---:|---:|---|---:|")
        for label, command in COMMANDS:
            cpu: dict[str, list[float]] = {"before": [], "after": []}
            wall: dict[str, list[float]] = {"before": [], "after": []}
            for run in range(args.runs + 1):  # the first is a warm-up
                for name in ("after", "before") if run % 2 else ("before", "after"):
                    binary, copy, extra = copies[name]
                    seconds, usage, code = waited([binary, *command], copy, 600, env=extra)
                    assert code == 0, (name, command, code)
                    if run:
                        cpu[name].append(usage.ru_utime + usage.ru_stime)
                        wall[name].append(seconds)
            ratios = sorted(a / b for a, b in zip(cpu["after"], cpu["before"], strict=True))
            walls = statistics.median(
                a / b for a, b in zip(wall["after"], wall["before"], strict=True)
            )
            print(
                f"| `{' '.join(command)}` {label.split(' ')[-1]} "
                f"| {statistics.median(cpu['after']):.3f} | {statistics.median(cpu['before']):.3f} "
                f"| {ratios[0]:.2f}–{statistics.median(ratios):.2f}–{ratios[-1]:.2f} "
                f"| {walls:.2f} |"
            )
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
