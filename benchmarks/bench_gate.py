"""Benchmark of the pull-request gate where it really runs: CI on a fresh clone.

Run on demand (not a test):

    python benchmarks/bench_gate.py COOP [--close YYYY-MM] [--runs 3] [--baseline]
        [--before PATH] [--write]

COOP is a cooperative made by `coopledger demo` (benchmarks/run.py keeps them
under /tmp/coopledger-bench). With `--close 2026-10`, the script first runs
`coopledger close 2026-10 --with-earlier` in COOP (one full read, timed), so
that every month before the current one is closed, as the issue asks.

Then, as a volunteer's pull request would: a clone of COOP gets one trade
written by hand in the open month, committed by the payer. For each run, a
fresh `git clone` of that branch (no snapshot, nothing cached but the operating
system's file cache) runs `coopledger check --since HEAD~1`, the command CI
runs; the script records its wall time, peak memory and whether it carried the
closed months. `--baseline` also times `bean-check --no-cache` on the same
clone (minutes at 1M trades). `--before PATH` names the `coopledger` of a
checkout from before a change: each run then runs the gate with both, on
fresh clones, in alternating order, and the lines give both medians and their
ratio. With `--write`, the results replace the part of docs/performance.md
between the `gate:start` and `gate:end` markers.
"""

from __future__ import annotations

import argparse
import datetime
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
from run import (
    BEAN_CHECK,
    COOPLEDGER,
    Sample,
    met,
    publish,
    run_quiet,
    timed,
)

from coopledger.model.accounts import member_account

CARRIED = "are closed and unchanged"


def close_months(coop: Path, month: str) -> Sample:
    treasurer = next(
        m["id"]
        for m in yaml.safe_load((coop / "members.yaml").read_text(encoding="utf-8"))["members"]
        if "treasurer" in (m.get("roles") or [])
    )
    return timed(
        [COOPLEDGER, "close", month, "--with-earlier", "--as", treasurer], coop, timeout=7200
    )


def pull_request(coop: Path, workdir: Path) -> Path:
    """A clone of `coop` with one hand-written trade committed by its payer."""
    branch = workdir / "branch"
    subprocess.run(["git", "clone", "-q", str(coop), str(branch)], check=True)
    payer, payee = pick_from_last_close(coop)
    roster = yaml.safe_load((coop / "members.yaml").read_text(encoding="utf-8"))["members"]
    email = next(m["emails"][0] for m in roster if m["id"] == payer)
    today = datetime.date.today()
    path = branch / "journal" / f"{today.year:04d}" / f"{today.month:02d}" / f"{payer}.beancount"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n{today.isoformat()} * "benchmark: a trade in a pull request"\n'
            f"  {member_account(payer)}  -1.00 SEL\n"
            f"  {member_account(payee)}   1.00 SEL\n"
        )
    identity = ["-c", f"user.name={payer}", "-c", f"user.email={email}"]
    subprocess.run(["git", "add", "-A"], cwd=branch, check=True)
    subprocess.run(["git", *identity, "commit", "-qm", "a trade by hand"], cwd=branch, check=True)
    return branch


def pick_from_last_close(coop: Path) -> tuple[str, str]:
    """The richest and the poorest active member at the last close: one unit moved
    between them keeps both within limits (no full read needed to choose)."""
    last = sorted((coop / "journal").glob("*/*/close.beancount"))[-1]
    balances = {}
    for line in last.read_text(encoding="utf-8").splitlines():
        found = re.match(r"\S+ balance Assets:Members:(\S+)\s+(-?[\d.]+) ", line)
        if found:
            balances[found.group(1)] = float(found.group(2))
    roster = yaml.safe_load((coop / "members.yaml").read_text(encoding="utf-8"))["members"]
    active = {member_account(m["id"]).split(":")[-1]: m["id"] for m in roster if "status" not in m}
    ordered = sorted((b, active[a]) for a, b in balances.items() if a in active)
    return ordered[-1][1], ordered[0][1]


def gate_run(
    branch: Path, workdir: Path, number: int, coopledger: str | None = None
) -> tuple[Sample, float, bool]:
    """One CI run: a fresh clone, then the gate (by `coopledger`, else COOPLEDGER).
    (gate sample, clone seconds, carried)."""
    clone = workdir / f"ci-{number}"
    cloned = timed(["git", "clone", "-q", str(branch), str(clone)], workdir, timeout=3600)
    out = clone / "gate.out"
    command = [coopledger or COOPLEDGER, "check", "--since", "HEAD~1"]
    with out.open("w") as handle:
        sample = timed(command, clone, timeout=3600, stdout=handle.fileno())
    carried = CARRIED in out.read_text(encoding="utf-8")
    shutil.rmtree(clone)
    return sample, cloned.seconds, carried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("coop", type=Path)
    parser.add_argument("--close", metavar="YYYY-MM")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--before", help="coopledger of a checkout from before a change")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    coop = args.coop.resolve()
    lines = []
    load_before = os.getloadavg()[0]
    if args.close:
        closing = close_months(coop, args.close)
        lines.append(
            f"- `close {args.close} --with-earlier` in the cooperative (a full read): "
            f"{closing.seconds:.0f} s, {closing.peak_mb:.0f} MB, exit {closing.code}"
        )
    trades = run_quiet(["git", "log", "-1", "--format=%s"], coop).strip()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as temp:
        workdir = Path(temp)
        branch = pull_request(coop, workdir)
        runs = []
        before: list[Sample] = []
        for number in range(args.runs):
            if args.before and number % 2 == 1:  # alternate which goes first
                before.append(gate_run(branch, workdir, number, args.before)[0])
            runs.append(gate_run(branch, workdir, number))
            if args.before and number % 2 == 0:
                before.append(gate_run(branch, workdir, number, args.before)[0])
        baseline = None
        if args.baseline:
            clone = workdir / "baseline"
            subprocess.run(["git", "clone", "-q", str(branch), str(clone)], check=True)
            baseline = timed(
                [BEAN_CHECK, "--no-cache", "journal/main.beancount"], clone, timeout=7200
            )
    gate = [sample for sample, _, _ in runs]
    seconds = statistics.median(s.seconds for s in gate)
    memory = statistics.median(s.peak_mb for s in gate)
    clone_seconds = statistics.median(c for _, c, _ in runs)
    carried = all(c for _, _, c in runs)
    codes = sorted({s.code for s in gate})
    files = sum(1 for _ in (coop / "journal").rglob("*.beancount"))
    lines += [
        f"- cooperative: {coop.name}, {files:,} journal files; its last commit: {trades}",
        f"- `git clone` of the pull request's branch: {clone_seconds:.1f} s (median)",
        f"- `coopledger check --since HEAD~1` on the fresh clone: **{seconds:.1f} s**, "
        f"{memory:.0f} MB (median of {len(gate)}: "
        + ", ".join(f"{s.seconds:.1f}" for s in gate)
        + f" s; exit codes {codes}); closed months carried: {'yes' if carried else 'NO'}",
    ]
    if before:
        then = statistics.median(s.seconds for s in before)
        lines.append(
            f"- the same gate by the code from before ({version_of(args.before)}), "
            f"alternated: **{then:.1f} s**, {statistics.median(s.peak_mb for s in before):.0f} "
            f"MB (median of {len(before)}: "
            + ", ".join(f"{s.seconds:.1f}" for s in before)
            + f" s; exit codes {sorted({s.code for s in before})}); now / before: "
            f"**{seconds / then:.2f}×**"
        )
    if baseline is not None:
        lines.append(
            f"- `bean-check --no-cache` on the same clone: {baseline.seconds:.1f} s, "
            f"{baseline.peak_mb:.0f} MB (the gate takes {seconds / baseline.seconds:.1%} of it)"
        )
    lines.append(
        f"- target under 14 s: **{met(seconds < 14)}**; aim under 5 s: **{met(seconds < 5)}**"
    )
    publish("bench_gate.py", "gate", lines, load_before, args.write)


def version_of(binary: str) -> str:
    """The commit of the checkout a coopledger binary runs from."""
    source = Path(binary).resolve().parents[2]  # <checkout>/.venv/bin/coopledger
    sha = run_quiet(["git", "rev-parse", "--short", "HEAD"], source).strip()
    return f"`{binary}`, the checkout at {sha}"


if __name__ == "__main__":
    main()
