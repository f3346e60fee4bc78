"""Benchmark of `coopledger trade` with a warm snapshot: small against large.

Run on demand (not a test):

    python benchmarks/bench_trade.py SMALL LARGE [--close YYYY-MM] [--runs 11] [--write]

SMALL and LARGE are cooperatives made by `coopledger demo` (benchmarks/run.py
keeps them under /tmp/coopledger-bench: coop-1k and coop-1M). The issue's
target: a trade on the 1M-trade cooperative takes at most 1.5 times what it
takes on the 1k-trade one, and under 0.5 s.

With `--close 2026-10`, the script first runs `coopledger close 2026-10
--with-earlier` in each cooperative that has no close yet (timed: a full read),
as a cooperative that closes its months would have done: the closed months'
files are gathered into one per month, so git's index holds the open month's
files and a few per closed month.

Then `report` in each, the first command after the close, builds the
snapshot again (timed: with closed months it reads only the open ones, and
the closed months' report figures the close kept), then `report` and
`balances` are timed warm, and
`--runs` rounds follow, each a trade on SMALL then one on LARGE (then the other
way round), between the same two members back and forth, so that the machine's
noise falls on both alike. Each trade is a new process, as a treasurer's is,
with Python's bytecode cache on (as after `pip install`). The script reports
the medians, their ratio, the journal files git tracks in each (not the
peak memory: for a process this small, wait4 reports the benchmark's own,
copied when it forks), and, with
`--write`, replaces the part of docs/performance.md between the `trade:start`
and `trade:end` markers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (
    COOPLEDGER,
    Sample,
    met,
    pick_pair,
    publish,
    run_quiet,
    timed,
)


def treasurer_of(coop: Path) -> str:
    roster = yaml.safe_load((coop / "members.yaml").read_text(encoding="utf-8"))["members"]
    return next(m["id"] for m in roster if "treasurer" in (m.get("roles") or []))


def close_months(coop: Path, month: str) -> Sample | None:
    """Close every month up to `month`, unless the cooperative has a close already."""
    if any((coop / "journal").glob("*/*/close.beancount")):
        return None
    command = [COOPLEDGER, "close", month, "--with-earlier", "--as", treasurer_of(coop)]
    sample = timed(command, coop, timeout=7200)
    if sample.code != 0:
        raise SystemExit(f"close failed in {coop}")
    return sample


def trade(coop: Path, payer: str, payee: str, memo: str) -> Sample:
    command = [COOPLEDGER, "trade", payer, payee, "1", "-m", memo]
    sample = timed(command, coop, timeout=7200)
    if sample.code != 0:
        raise SystemExit(f"trade failed in {coop}: {' '.join(command)}")
    return sample


def tracked_files(coop: Path) -> int:
    return run_quiet(["git", "ls-files", "-z", "--", "journal"], coop).count("\0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small", type=Path)
    parser.add_argument("large", type=Path)
    parser.add_argument("--close", metavar="YYYY-MM")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as after pip install
    coops = {"small": args.small.resolve(), "large": args.large.resolve()}
    lines = []
    load_before = os.getloadavg()[0]
    closed_now = []
    for coop in coops.values():
        if args.close:
            closing = close_months(coop, args.close)
            if closing is not None:
                closed_now.append(coop)
                lines.append(
                    f"- `close {args.close} --with-earlier` in {coop.name}: "
                    f"{closing.seconds:.0f} s, {closing.peak_mb:.0f} MB"
                )
    for coop in closed_now:  # the first command after a close builds the snapshot again
        first = timed([COOPLEDGER, "report"], coop, timeout=7200)
        again = timed([COOPLEDGER, "report"], coop, timeout=7200)
        shown = timed([COOPLEDGER, "balances", "--json"], coop, timeout=7200)
        lines.append(
            f"- first command after the close in {coop.name}: `report`, which rebuilds the "
            f"snapshot, {first.seconds:.1f} s, {first.peak_mb:.0f} MB; then `report` "
            f"{again.seconds:.2f} s and `balances` {shown.seconds:.2f} s"
        )
    pairs = {label: pick_pair(coop) for label, coop in coops.items()}
    for label, coop in coops.items():  # the first trade after a close reads everything
        payer, payee = pairs[label]
        warm = trade(coop, payer, payee, "warm-up")
        lines.append(f"- warm-up trade in {coop.name}: {warm.seconds:.1f} s")
        trade(coop, payee, payer, "warm-up back")
    samples: dict[str, list[Sample]] = {"small": [], "large": []}
    for number in range(args.runs):
        order = ["small", "large"] if number % 2 == 0 else ["large", "small"]
        for label in order:
            payer, payee = pairs[label] if number % 2 == 0 else pairs[label][::-1]
            samples[label].append(trade(coops[label], payer, payee, f"bench {number}"))
    median = {label: statistics.median(s.seconds for s in runs) for label, runs in samples.items()}
    ratio = median["large"] / median["small"]
    for label, coop in coops.items():
        times = ", ".join(f"{seconds:.3f}" for seconds in sorted(s.seconds for s in samples[label]))
        lines.append(
            f"- {coop.name} ({tracked_files(coop):,} journal files tracked): trade "
            f"**{median[label]:.3f} s** median of {len(samples[label])} ({times})"
        )
    lines.append(
        f"- ratio large / small: **{ratio:.2f}×** (target ≤ 1.5×: **{met(ratio <= 1.5)}**); "
        f"large under 0.5 s: **{met(median['large'] < 0.5)}**"
    )
    publish("bench_trade.py", "trade", lines, load_before, args.write)


if __name__ == "__main__":
    main()
