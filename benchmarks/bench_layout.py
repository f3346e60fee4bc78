"""Benchmark of one file per entry: `trade` and the gate, against the first layout.

Run on demand (not a test):

    python benchmarks/bench_layout.py [--sizes 1k,100k] [--runs 7] [--gate-runs 3]
        [--first-coopledger PATH] [--before PATH] [--write]

For every size it builds a cooperative with `coopledger demo` (members = trades
/ 50, 12 months to 2026-11-20, seed 1: `run.build`) and closes its months up to
October (`close 2026-10 --with-earlier`), as a cooperative that closes its
books monthly would have; November stays open. Then two copies:

- *first layout*: as the demo writes it, one file per member and month
  (`journal/2026/11/alice.beancount`); its trades and its gate are run by
  `--first-coopledger`, the `coopledger` of a checkout from before one file
  per entry (so a trade appends to its payer's month file, as it used to);
  without it, by the code under test, and then only the open month's
  existing files differ;
- *one file per entry*: the same cooperative whose open month has every trade
  in a file of its own (`journal/2026/11/02/alice.2026-11-02-5f557203.beancount`),
  as it would be had every trade been recorded by this version.

In each, `report` builds the snapshot, one trade warms up, then `--runs`
rounds, each a trade in every copy (alternating the order), each a new
process; then the gate as CI runs it (`bench_gate.gate_run`: a fresh clone of
a branch holding one hand-written trade committed by its payer, then `check
--since HEAD~1`), `--gate-runs` times. Every command runs with
COOPLEDGER_TODAY=2026-11-25, so trades land in the open month. The script
reports medians, the journal files git tracks, the size of git's tree of the
open month (what every commit writes again) and what the repository grew by
per trade. `--before PATH` names the `coopledger` of a checkout from before a
change: the gate of the one-file-per-entry copy is then run by it too, on the
same branch, alternating with the code under test. With `--write`, it
replaces the part of docs/performance.md between the `layout:start` and
`layout:end` markers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gate import gate_run, version_of
from run import COOPLEDGER, SIZES, Sample, build, met, pick_pair, publish, run_quiet, timed

from coopledger.model.accounts import member_account
from coopledger.storage import journal_text

TODAY = "2026-11-25"
OPEN_MONTH = ("2026", "11")
LAYOUTS = {"first": "first layout (a file per member and month)", "own": "one file per entry"}
_TRADE_ID = re.compile(r'^  trade: "([^"]+)"$', re.MULTILINE)


def treasurer(coop: Path) -> tuple[str, str]:
    roster = yaml.safe_load((coop / "members.yaml").read_text(encoding="utf-8"))["members"]
    found = next(m for m in roster if "treasurer" in (m.get("roles") or []))
    return found["id"], found["emails"][0]


def explode_open_month(coop: Path) -> int:
    """Put every trade of the open month in a file of its own in its day's folder,
    `DD/<payer>.<id>.beancount`, and commit as the treasurer; returns the number
    of files written."""
    folder = coop / "journal" / OPEN_MONTH[0] / OPEN_MONTH[1]
    written = 0
    for path in sorted(folder.glob("*.beancount")):
        owner = path.name[: -len(".beancount")]
        if "." in owner or owner.startswith("_") or owner == "close":
            continue
        kept = []
        for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            found = _TRADE_ID.search(block)
            if not block.strip():
                continue
            if found is None:
                kept.append(block)
                continue
            day = found.group(1)[8:10]  # the trade's id begins with its date
            own = folder / day / f"{owner}.{found.group(1)}.beancount"
            own.parent.mkdir(exist_ok=True)
            own.write_text(journal_text.insert_entries("", [block + "\n"]).text, encoding="utf-8")
            written += 1
        if kept:
            path.write_text("\n\n".join(kept) + "\n", encoding="utf-8")
        else:
            path.unlink()
    name, email = treasurer(coop)
    identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    subprocess.run(["git", "add", "-A", "journal"], cwd=coop, check=True)
    subprocess.run(
        ["git", *identity, "commit", "-qm", "one file per entry in the open month"],
        cwd=coop,
        check=True,
    )
    return written


def hand_written_branch(coop: Path, workdir: Path, layout: str) -> Path:
    """A clone of `coop` with one trade written by hand and committed by its payer:
    appended to the payer's month file (first layout) or in a new file of its own."""
    branch = workdir / f"branch-{layout}"
    subprocess.run(["git", "clone", "-q", str(coop), str(branch)], check=True)
    payer, payee = pick_pair(coop)
    roster = yaml.safe_load((coop / "members.yaml").read_text(encoding="utf-8"))["members"]
    email = next(m["emails"][0] for m in roster if m["id"] == payer)
    folder = branch / "journal" / OPEN_MONTH[0] / OPEN_MONTH[1]
    name = f"{payer}.beancount" if layout == "first" else f"{payer}.by-hand.beancount"
    with (folder / name).open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n{TODAY} * "benchmark: a trade in a pull request"\n'
            f"  {member_account(payer)}  -1.00 SEL\n"
            f"  {member_account(payee)}   1.00 SEL\n"
        )
    identity = ["-c", f"user.name={payer}", "-c", f"user.email={email}"]
    subprocess.run(["git", "add", "-A"], cwd=branch, check=True)
    subprocess.run(["git", *identity, "commit", "-qm", "a trade by hand"], cwd=branch, check=True)
    return branch


BINARIES = {"first": COOPLEDGER, "own": COOPLEDGER}  # which coopledger runs on which copy
BEFORE: str | None = None  # `--before`: the gate of the "own" copy by the code from before


def trade(coop: Path, layout: str, payer: str, payee: str, memo: str) -> Sample:
    command = [BINARIES[layout], "trade", payer, payee, "1", "-m", memo]
    sample = timed(command, coop, timeout=7200)
    if sample.code != 0:
        raise SystemExit(f"trade failed in {coop}")
    return sample


def tracked_files(coop: Path) -> int:
    return run_quiet(["git", "ls-files", "-z", "--", "journal"], coop).count("\0")


def month_tree_kb(coop: Path) -> float:
    tree = run_quiet(["git", "rev-parse", f"HEAD:journal/{OPEN_MONTH[0]}/{OPEN_MONTH[1]}"], coop)
    return int(run_quiet(["git", "cat-file", "-s", tree.strip()], coop)) / 1024


def objects_kb(coop: Path) -> float:
    folder = coop / ".git" / "objects"
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1024


def measure_size(label: str, workdir: Path, runs: int, gate_runs: int) -> list[str]:
    first, _ = build(label, SIZES[label], workdir)
    name, _ = treasurer(first)
    closing = timed([COOPLEDGER, "close", "2026-10", "--with-earlier", "--as", name], first, 7200)
    if closing.code != 0:
        raise SystemExit(f"close failed in {first}")
    own = workdir / f"coop-{label}-own"
    shutil.rmtree(own, ignore_errors=True)
    shutil.copytree(first, own, symlinks=True)
    exploded = explode_open_month(own)
    coops = {"first": first, "own": own}
    pairs = {layout: pick_pair(coop) for layout, coop in coops.items()}
    for layout, coop in coops.items():
        timed([BINARIES[layout], "report"], coop, 7200)  # builds the snapshot
        payer, payee = pairs[layout]
        trade(coop, layout, payer, payee, "warm-up")
        trade(coop, layout, payee, payer, "warm-up back")
    grown_before = {layout: objects_kb(coop) for layout, coop in coops.items()}
    samples: dict[str, list[Sample]] = {layout: [] for layout in coops}
    for number in range(runs):
        order = list(coops) if number % 2 == 0 else list(coops)[::-1]
        for layout in order:
            payer, payee = pairs[layout] if number % 2 == 0 else pairs[layout][::-1]
            samples[layout].append(trade(coops[layout], layout, payer, payee, f"bench {number}"))
    grown = {
        layout: (objects_kb(coop) - grown_before[layout]) / runs for layout, coop in coops.items()
    }
    gates: dict[str, list[Sample]] = {}
    before: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="bench-layout-") as temp:
        for layout, coop in coops.items():
            branch = hand_written_branch(coop, Path(temp), layout)
            gates[layout] = []
            for number in range(gate_runs):
                if BEFORE and layout == "own" and number % 2 == 1:  # alternate who goes first
                    before.append(gate_run(branch, Path(temp), number, BEFORE)[0])
                gates[layout].append(gate(branch, Path(temp), number, layout))
                if BEFORE and layout == "own" and number % 2 == 0:
                    before.append(gate_run(branch, Path(temp), number, BEFORE)[0])
    lines = [
        f"- {label}: `close 2026-10 --with-earlier` {closing.seconds:.0f} s; "
        f"{exploded:,} trades of the open month moved to files of their own"
    ]
    for layout, coop in coops.items():
        median = statistics.median(s.seconds for s in samples[layout])
        gated = statistics.median(s.seconds for s in gates[layout])
        times = [s.seconds for s in samples[layout]]
        memory = statistics.median(s.peak_mb for s in gates[layout])
        codes = sorted({s.code for s in gates[layout]})
        lines.append(
            f"  - {LAYOUTS[layout]}: {tracked_files(coop):,} journal files tracked, open "
            f"month's tree {month_tree_kb(coop):,.0f} KB, .git grows {grown[layout]:,.0f} KB "
            f"a trade (loose objects); trade **{median:.3f} s** median of {runs} "
            f"({', '.join(f'{seconds:.3f}' for seconds in sorted(times))}); "
            f"gate on a fresh clone **{gated:.2f} s**, {memory:.0f} MB (median of {gate_runs}, "
            f"exit {codes})"
        )
        RESULTS.setdefault(layout, {})[label] = (median, gated)
    if before:
        then = statistics.median(s.seconds for s in before)
        listed = ", ".join(f"{seconds:.2f}" for seconds in sorted(s.seconds for s in before))
        now = RESULTS["own"][label][1]
        lines.append(
            f"  - one file per entry, the gate by the code from before, alternated: "
            f"**{then:.2f} s**, {statistics.median(s.peak_mb for s in before):.0f} MB (median "
            f"of {len(before)}: {listed}; exit "
            f"{sorted({s.code for s in before})}); now / before: **{now / then:.2f}×**"
        )
    return lines


RESULTS: dict[str, dict[str, tuple[float, float]]] = {}


def gate(branch: Path, workdir: Path, number: int, layout: str) -> Sample:
    """`bench_gate.gate_run` with the coopledger of `layout`."""
    import bench_gate

    bench_gate.COOPLEDGER = BINARIES[layout]
    try:
        return gate_run(branch, workdir, number)[0]
    finally:
        bench_gate.COOPLEDGER = COOPLEDGER


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,100k")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--gate-runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/coopledger-bench-layout"))
    parser.add_argument("--first-coopledger", help="coopledger from before one file per entry")
    parser.add_argument("--before", help="coopledger from before the change under test")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    global BEFORE
    if args.before:
        BEFORE = str(Path(args.before).resolve())
        lines_before = [f"- gate of one file per entry also run by: {version_of(BEFORE)}"]
    else:
        lines_before = []
    if args.first_coopledger:
        BINARIES["first"] = str(Path(args.first_coopledger).resolve())
    os.environ["COOPLEDGER_TODAY"] = TODAY  # `timed` passes the environment on
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as after pip install
    args.workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    sizes = args.sizes.split(",")
    first = BINARIES["first"]
    lines: list[str] = [
        f"- first layout run by: {version_of(first)}"
        if first != COOPLEDGER
        else "- first layout run by the code under test (only the existing files differ)",
        *lines_before,
    ]
    for label in sizes:
        print(f"{label}: building and closing (load {os.getloadavg()[0]:.1f})", flush=True)
        lines += measure_size(label, args.workdir, args.runs, args.gate_runs)
    small, large = sizes[0], sizes[-1]
    for layout in LAYOUTS:
        ratio = RESULTS[layout][large][0] / RESULTS[layout][small][0]
        lines.append(
            f"- {LAYOUTS[layout]}: trade at {large} / at {small}: **{ratio:.2f}×** "
            f"(target ≤ 1.5×: **{met(ratio <= 1.5)}**)"
        )
    for label in sizes:
        trade_cost = RESULTS["own"][label][0] / RESULTS["first"][label][0]
        gate_cost = RESULTS["own"][label][1] / RESULTS["first"][label][1]
        lines.append(
            f"- at {label}, one file per entry against the first layout: trade "
            f"**{trade_cost:.2f}×**, gate **{gate_cost:.2f}×**"
        )
    publish("bench_layout.py", "layout", lines, load_before, args.write)


if __name__ == "__main__":
    main()
