"""Benchmark of trading between cooperatives on a simulated federation.

Run on demand (not a test), or through `python benchmarks/run.py --federation 10,30,100`:

    python benchmarks/bench_federation.py [--groups 10,30,100] [--members 250]
        [--months 12] [--runs 5] [--write-max 30] [--write]

For each number of groups it builds a federation with `coopledger demo DIR
--groups N --members 250 --months 12 --seed 1` (timed), then, each command in
its own process, as a treasurer would type it:

- in sel-001, `partner sync sel-002` with nothing new (`--runs` times; the first
  run, which fetches sel-002 for the first time, is a warm-up and not counted);
- in sel-001, `partner check sel-002` (`--runs` times);
- `--runs` times: a trade of 1 unit in sel-002 (claire there pays claire of
  sel-001), then, timed, `partner sync sel-002` in sel-001, which records it;
- `federation clear` of every group (the plan, `--json`): once with no
  snapshot in any group (each book read and checked in full, and its snapshot
  saved), then `--runs` times warm;
- up to `--write-max` groups, `federation clear --write` once (it loads and
  checks each group's book before writing its entry), then `partner check`.

Medians of wall time; peak memory is the process's maximum resident set
(wait4). Within a run of the script the sizes are measured one after the
other, so the ratios between sizes are same-run ratios; the machine is shared
(its load average is recorded). With `--write`, the section between the
`federation:start` and `federation:end` markers of docs/performance.md is
replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import COOPLEDGER, Sample, publish, timed, wait_for_quiet


@dataclass
class FederationResult:
    groups: int
    members: int
    months: int
    build: Sample
    trades: int = 0
    between: int = 0
    files: int = 0
    measures: dict[str, list[Sample]] = field(default_factory=dict)
    debts: int = 0
    cleared: int = 0
    load: tuple[float, float] = (0.0, 0.0)

    def median(self, name: str) -> float | None:
        samples = [s for s in self.measures.get(name, []) if s.code == 0]
        return statistics.median(s.seconds for s in samples) if samples else None

    def peak(self, name: str) -> float | None:
        samples = [s for s in self.measures.get(name, []) if s.code == 0]
        return statistics.median(s.peak_mb for s in samples) if samples else None


def must(sample: Sample, what: str) -> Sample:
    if sample.code != 0:
        raise SystemExit(f"{what} failed (exit {sample.code})")
    return sample


def build(workdir: Path, groups: int, members: int, months: int) -> tuple[Path, FederationResult]:
    root = workdir / f"federation-{groups}"
    if root.exists():
        shutil.rmtree(root)
    command = [COOPLEDGER, "demo", str(root), "--groups", str(groups), "--members", str(members),
               "--months", str(months), "--seed", "1"]  # fmt: skip
    result = FederationResult(groups, members, months, must(timed(command, workdir, 7200), "demo"))
    files = list(root.rglob("journal/**/*.beancount"))
    result.files = len(files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.name == "_partners.beancount":
            result.between += text.count("partner_commit: ")
        else:
            result.trades += text.count('  trade: "') - text.count("  partner_member: ")
    return root, result


def measure(root: Path, result: FederationResult, runs: int, write_max: int) -> None:
    a, b = root / "sel-001", root / "sel-002"
    roots = sorted(str(p) for p in root.iterdir() if p.is_dir())
    timeout = 7200

    def add(name: str, sample: Sample) -> None:
        result.measures.setdefault(name, []).append(must(sample, name))

    must(timed([COOPLEDGER, "partner", "sync", "sel-002"], a, timeout), "first sync")
    for _ in range(runs):
        add("sync-none", timed([COOPLEDGER, "partner", "sync", "sel-002"], a, timeout))
    for _ in range(runs):
        add("check", timed([COOPLEDGER, "partner", "check", "sel-002"], a, timeout))
    for number in range(runs):
        trade = [COOPLEDGER, "trade", "claire", "sel-001/claire", "1", "-m", f"bench {number}"]
        must(timed([*trade, "--as", "claire"], b, timeout), "trade")
        add("sync-one", timed([COOPLEDGER, "partner", "sync", "sel-002"], a, timeout))
    clear = [COOPLEDGER, "federation", "clear", *roots, "--json"]
    cache = Path(os.environ["COOPLEDGER_CACHE_DIR"])
    if cache.exists():
        shutil.rmtree(cache)  # no snapshot in any group
    add("clear-cold", timed(clear, root, timeout))
    for _ in range(runs):
        add("clear", timed(clear, root, timeout))
    plan = json.loads(subprocess.run(clear, cwd=root, capture_output=True, check=True).stdout)
    result.debts, result.cleared = len(plan["debts"]), len(plan["cleared"])
    if result.groups <= write_max:
        add("clear-write", timed([*clear[:-1], "--write"], root, timeout))
        add("check-after", timed([COOPLEDGER, "partner", "check", "sel-002"], a, timeout))


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def lines_of(results: list[FederationResult], runs: int) -> list[str]:
    lines = [
        f"Each federation made by `coopledger demo DIR --groups N --members "
        f"{results[0].members} --months {results[0].months} --seed 1`; medians of "
        f"{runs} runs (wall seconds / peak MB), each command a new process. "
        "*sync*: in sel-001, `partner sync sel-002`, with nothing new, or after one "
        "new trade in sel-002; *check*: `partner check sel-002`; *clear*: "
        "`federation clear` of all the groups (the plan, `--json`), first with no "
        "snapshot in any group, then warm; *write*: `federation clear --write`, once.",
        "",
        "| groups | members | trades within | between | journal files | demo s "
        "| sync, nothing new | sync, 1 new | check | clear, no snapshot | clear, warm "
        "| clear --write | debts / cleared | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(result: FederationResult, name: str) -> str:
        value, peak = result.median(name), result.peak(name)
        return "—" if value is None else f"{value:.2f} / {peak:.0f}"

    for r in results:
        lines.append(
            f"| {r.groups} | {r.groups * r.members:,} | {r.trades:,} | {r.between:,} "
            f"| {r.files:,} | {r.build.seconds:.0f} | {cell(r, 'sync-none')} "
            f"| {cell(r, 'sync-one')} | {cell(r, 'check')} | {cell(r, 'clear-cold')} "
            f"| {cell(r, 'clear')} | {cell(r, 'clear-write')} | {r.debts} / {r.cleared} "
            f"| {r.load[0]:.1f} → {r.load[1]:.1f} |"
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        lines.append("")
        lines.append(
            f"Same-run ratios, {large.groups} groups against {small.groups} "
            f"({large.groups / small.groups:.1f}× the groups):"
        )
        for name, label in (
            ("sync-none", "sync, nothing new"),
            ("sync-one", "sync, 1 new"),
            ("check", "check"),
            ("clear-cold", "clear, no snapshot"),
            ("clear", "clear, warm"),
        ):
            x, y = small.median(name), large.median(name)
            if x and y:
                lines.append(f"- {label}: {y / x:.2f}× ({seconds(x)} s → {seconds(y)} s)")
    return lines


def run(sizes: list[int], members: int, months: int, runs: int, write_max: int,
        workdir: Path, write: bool) -> list[FederationResult]:  # fmt: skip
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["COOPLEDGER_CACHE_DIR"] = str(workdir / "cache")
    load_before = os.getloadavg()[0]
    results = []
    for groups in sizes:
        wait_for_quiet(2.0, 60)
        before = os.getloadavg()[0]
        print(f"{groups} groups: building", flush=True)
        root, result = build(workdir, groups, members, months)
        print(f"{groups} groups: built in {result.build.seconds:.0f} s", flush=True)
        measure(root, result, runs, write_max)
        result.load = (before, os.getloadavg()[0])
        results.append(result)
        print("\n".join(lines_of(results, runs)), flush=True)
    publish("bench_federation.py", "federation", lines_of(results, runs), load_before, write)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="10,30,100", help="numbers of groups, e.g. 10,30,100")
    parser.add_argument("--members", type=int, default=250)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write-max", type=int, default=30, help="clear --write up to N groups")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/coopledger-bench-federation"))
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    sizes = [int(n) for n in args.groups.split(",")]
    run(sizes, args.members, args.months, args.runs, args.write_max, args.workdir, args.write)


if __name__ == "__main__":
    main()
