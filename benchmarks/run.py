"""Benchmarks: coopledger against plain bean-check on synthetic cooperatives.

Run on demand (not part of the test suite):

    python benchmarks/run.py                       # 1k, 10k and 100k trades
    python benchmarks/run.py --sizes 1k,10k,100k,1M --write
    python benchmarks/run.py --federation 10,30,100 --write   # bench_federation.py
    python benchmarks/run.py --scale close,import,clearing -- --baseline REV

For every size it builds a cooperative with `coopledger demo` (members = trades
/ 50, between 25 and 20,000; 12 months; seed 1), then measures, each command
in its own process, wall time and peak memory (the child's maximum resident
set size from wait4), in this order:

- `bean-check --no-cache journal/main.beancount`, the baseline (it runs the
  coopledger plugin, so it reads members.yaml and runs the ledger checks too;
  without --no-cache its second run would read beancount's pickle cache, which
  the issue rules out: it misses newly added include files);
- `coopledger check --no-cache`: cold, the snapshot is neither read nor written;
- `coopledger check` with no snapshot (its cache folder removed first): cold,
  and it builds the validated-state snapshot (coopledger/cache/snapshot.py);
- `coopledger check` again, nothing changed: warm, it reads the snapshot;
- `coopledger balances --json` and `coopledger report`, warm (`report` reads the
  month figures kept with the snapshot, coopledger/cache/aggregates.py);
- then, `--runs` times: `coopledger trade PAYER PAYEE 1` (warm: it checks the
  new entry against the snapshot) followed by `coopledger check` (warm after one
  added trade: the snapshot was updated by `trade`);
- then, `--cold-runs` times: a trade written by hand in a new journal file and
  committed with git, followed by `coopledger check`: any file changed outside
  `coopledger trade` invalidates the snapshot, so this is a cold check that
  rebuilds it;
- git itself: size of .git, `git gc`, a clone over file://, `git status`, and
  a commit of one appended entry;
- with `--layout FIRST_COOPLEDGER`, then `benchmarks/bench_layout.py` on the same
  sizes: `trade` and the gate with one file per entry against the first layout.

The machine is shared: before each size the script waits (up to `--wait`
seconds) for the 1-minute load average to fall under `--max-load`, and records
the load before and after the size.

Medians over the runs: `--runs` (default 5) for the warm commands at every size,
`--cold-runs` for the commands that read the whole journal (default 5 up to 10k,
3 at 100k, 1 at 1M, where one run takes minutes). With `--write`, the results
replace the part of docs/performance.md between the `benchmarks:start` and
`benchmarks:end` markers; the rest of the file (for example the clearing
benchmarks) is left as it is. Raw results also go to benchmarks/results.json.

The other benchmarks import this script's helpers (`timed`, `publish`, the sizes)
and write their own sections: bench_trade.py (`trade` after closes), bench_gate.py
(the gate on a fresh clone), bench_clearing.py, and bench_calendar.py (the
treasurer's monthly calendar: fails when a command reads the whole history).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from coopledger.model.accounts import member_account

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COOPLEDGER = str(BIN / "coopledger")
BEAN_CHECK = str(BIN / "bean-check")
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}
TODAY = datetime.date.today().isoformat()
IDENTITY = ["-c", "user.name=Bench", "-c", "user.email=bench@example.org"]

# name in results.json -> column heading
COLD = {
    "bean-check": "bean-check --no-cache",
    "check-nocache": "check --no-cache",
    "check-cold": "check, no snapshot (builds it)",
    "check-hand": "check after a hand-written trade",
    "report": "report",
}
WARM = {
    "check-warm": "check, nothing changed",
    "trade": "trade",
    "check-after-trade": "check after one `trade`",
    "balances": "balances --json",
}


@dataclass
class Sample:
    seconds: float
    peak_mb: float
    code: int


@dataclass
class Measure:
    name: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def good(self) -> list[Sample]:
        """The runs that succeeded (a failed run says nothing about speed)."""
        return [s for s in self.samples if s.code == 0] or self.samples

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.good)

    @property
    def peak_mb(self) -> float:
        return statistics.median(s.peak_mb for s in self.good)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.samples if s.code != 0)


@dataclass
class SizeResult:
    label: str
    trades: int
    members: int
    files: int
    journal_mb: float
    build_seconds: float
    measures: dict[str, Measure] = field(default_factory=dict)
    git: dict[str, float] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)  # 1-minute load average, before and after
    pair: list[str] = field(default_factory=list)  # the payer and payee of the trades
    revision: list[str] = field(default_factory=list)  # coopledger's commit, before and after


def waited(
    command: list[str],
    cwd: Path,
    timeout: float,
    stdout: int | None = None,
    env: dict[str, str] | None = None,
) -> tuple[float, os.struct_rusage, int]:
    """Run `command` (COLUMNS=120, `env` added); its wall time, the resources of
    it and its children (wait4) and its exit code; killed past `timeout`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.005)
    return time.perf_counter() - started, usage, os.waitstatus_to_exitcode(status)


def timed(command: list[str], cwd: Path, timeout: float, stdout: int | None = None) -> Sample:
    """Run `command`; its wall time and peak resident memory, from wait4."""
    elapsed, usage, code = waited(command, cwd, timeout, stdout)
    return Sample(elapsed, usage.ru_maxrss / 1024, code)


def run_quiet(command: list[str], cwd: Path) -> str:
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def members_for(trades: int) -> int:
    return max(25, min(20_000, trades // 50))


def wait_for_quiet(max_load: float, wait: float) -> None:
    """Wait (at most `wait` seconds) for the 1-minute load average to drop under `max_load`."""
    deadline = time.monotonic() + wait
    while os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        print(f"  load {os.getloadavg()[0]:.1f} > {max_load}: waiting", flush=True)
        time.sleep(15)


def build(label: str, trades: int, workdir: Path) -> tuple[Path, SizeResult]:
    root = workdir / f"coop-{label}"
    if root.exists():
        shutil.rmtree(root)
    members = members_for(trades)
    command = [COOPLEDGER, "demo", str(root), "--members", str(members), "--months", "12",
               "--trades", str(trades), "--seed", "1"]  # fmt: skip
    sample = timed(command, workdir, timeout=3600)
    if sample.code != 0:
        raise SystemExit(f"demo failed for {label}: {' '.join(command)}")
    files = list((root / "journal").rglob("*.beancount"))
    size = sum(f.stat().st_size for f in files) / 1e6
    result = SizeResult(label, trades, members, len(files), round(size, 1), sample.seconds)
    result.measures["demo"] = Measure("demo", [sample])
    return root, result


def pick_pair(root: Path) -> tuple[str, str]:
    """A payer with the highest balance and a payee with the lowest, among the members
    without a status history (so active): a unit moves both towards zero, within limits."""
    balances = json.loads(run_quiet([COOPLEDGER, "balances", "--json"], root))["balances"]
    roster = yaml.safe_load((root / "members.yaml").read_text(encoding="utf-8"))["members"]
    plain = {m["id"] for m in roster if "status" not in m}
    ordered = sorted((m for m in balances if m in plain), key=lambda m: float(balances[m]))
    return ordered[-1], ordered[0]


def hand_written(root: Path, payer: str, payee: str, number: int) -> None:
    """Add one trade in a new journal file, as someone editing by hand would, and commit it."""
    month = root / "journal" / "2026" / "11"
    path = month / f"{payer}-by-hand-{number}.beancount"
    accounts = [member_account(m) for m in (payer, payee)]
    path.write_text(
        f'2026-11-21 * "benchmark: a trade written by hand"\n'
        f'  trade: "2026-11-21-hand{number:04d}"\n'
        f"  {accounts[0]}  -1.00 SEL\n"
        f"  {accounts[1]}   1.00 SEL\n",
        encoding="utf-8",
    )
    subprocess.run(["git", "add", str(path)], cwd=root, check=True)
    subprocess.run(["git", *IDENTITY, "commit", "-qm", "a trade by hand"], cwd=root, check=True)


def measure_commands(
    root: Path, result: SizeResult, runs: int, cold_runs: int, timeout: float
) -> None:
    main = str(root / "journal" / "main.beancount")
    from coopledger.cache.snapshot import cache_of

    cache = cache_of(root) or root / ".no-cache"  # this user's snapshot folder for `root`

    def measure(name: str, command: list[str], times: int, before: object = None) -> None:
        found = result.measures.setdefault(name, Measure(name))
        for _ in range(times):
            if callable(before):
                before()
            found.samples.append(timed(command, root, timeout))
            print(f"  {result.label} {name}: {found.samples[-1]}", flush=True)

    check = [COOPLEDGER, "check"]
    measure("bean-check", [BEAN_CHECK, "--no-cache", main], cold_runs)
    measure("check-nocache", [COOPLEDGER, "check", "--no-cache"], cold_runs)
    measure("check-cold", check, cold_runs, lambda: shutil.rmtree(cache, ignore_errors=True))
    measure("check-warm", check, runs)
    measure("balances", [COOPLEDGER, "balances", "--json"], runs)
    measure("report", [COOPLEDGER, "report"], runs)
    payer, payee = pick_pair(root)
    result.pair = [payer, payee]
    trade = [COOPLEDGER, "trade", payer, payee, "1", "--memo", "benchmark"]
    for _ in range(runs):
        measure("trade", trade, 1)
        measure("check-after-trade", check, 1)
    for number in range(cold_runs):
        hand_written(root, payer, payee, number)
        measure("check-hand", check, 1)


def measure_git(root: Path, result: SizeResult, workdir: Path) -> None:
    """What git itself costs at this size: repository size, gc, clone, status, commit."""

    def seconds(command: list[str], cwd: Path) -> float:
        return round(timed(command, cwd, timeout=3600).seconds, 2)

    result.git["git_mb_loose"] = _du_mb(root / ".git")
    result.git["gc_s"] = seconds(["git", "gc", "--quiet"], root)
    result.git["git_mb_packed"] = _du_mb(root / ".git")
    clone = workdir / f"clone-{result.label}"
    shutil.rmtree(clone, ignore_errors=True)
    result.git["clone_s"] = seconds(
        ["git", "clone", "--quiet", f"file://{root}", str(clone)], workdir
    )
    shutil.rmtree(clone, ignore_errors=True)
    result.git["status_s"] = seconds(["git", "status", "--porcelain"], root)
    entry = root / "journal" / "2026" / "11" / "claire.beancount"
    with entry.open("a", encoding="utf-8") as handle:
        handle.write("; a line appended to measure one commit\n")
    started = time.perf_counter()
    subprocess.run(["git", "add", str(entry)], cwd=root, check=True)
    subprocess.run(["git", *IDENTITY, "commit", "-qm", "benchmark"], cwd=root, check=True)
    result.git["commit_s"] = round(time.perf_counter() - started, 2)
    subprocess.run(["git", *IDENTITY, "revert", "--no-edit", "HEAD"], cwd=root,
                   check=True, capture_output=True)  # fmt: skip


def _du_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


# ---------------------------------------------------------------- report


def machine() -> str:
    memory = run_quiet(["free", "-h"], REPO).splitlines()[1].split()[1]
    cpu = platform.processor() or platform.machine()
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.release()}, {model or cpu}, "
        f"{os.cpu_count()} CPUs (nproc {run_quiet(['nproc'], REPO).strip()}), "
        f"{memory} RAM; Python {platform.python_version()}, "
        f"{run_quiet([BEAN_CHECK, '--version'], REPO).strip() or 'beancount'}, "
        f"{run_quiet(['git', '--version'], REPO).strip()}"
    )


def revision() -> str:
    sha = run_quiet(["git", "rev-parse", "--short", "HEAD"], REPO).strip()
    dirty = run_quiet(["git", "status", "--porcelain", "--untracked-files=no", "coopledger"], REPO)
    return sha + (" with uncommitted changes in coopledger/" if dirty.strip() else "")


def _cell(measure: Measure | None) -> str:
    if measure is None or not measure.samples:
        return "–"
    flag = f" ({measure.failed} of {len(measure.samples)} runs failed)" if measure.failed else ""
    return f"{measure.seconds:.2f} s / {measure.peak_mb:.0f} MB{flag}"


def from_json(raw: dict[str, object]) -> SizeResult:
    """A size's results as saved in benchmarks/results.json."""
    fields = {k: v for k, v in raw.items() if k not in ("date", "runs", "measures")}
    result = SizeResult(**fields)  # type: ignore[arg-type]
    for name, measure in raw["measures"].items():  # type: ignore[attr-defined]
        samples = [Sample(**sample) for sample in measure["samples"]]
        result.measures[name] = Measure(name, samples)
    return result


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else "**met**" if ok else "**not met**"


def targets(results: list[SizeResult]) -> list[str]:
    """The issue's targets, each judged on ratios measured in this run."""
    by_label = {r.label: r for r in results}
    lines = [
        "| target | size | measured | verdict |",
        "|---|---|---|---|",
    ]
    small = by_label.get("1k")
    for r in results:
        trade = r.measures.get("trade")
        base = r.measures.get("bean-check")
        after = r.measures.get("check-after-trade")
        if trade and trade.samples:
            if small and r is not small and small.measures.get("trade"):
                ratio = trade.seconds / small.measures["trade"].seconds
                lines.append(
                    f"| `trade` warm ≤ 1.5× its time at 1k | {r.label} | {ratio:.2f}× "
                    f"({trade.seconds:.2f} s vs {small.measures['trade'].seconds:.2f} s) | "
                    f"{_verdict(ratio <= 1.5)} |"
                )
            lines.append(
                f"| `trade` warm < 0.5 s | {r.label} | {trade.seconds:.2f} s | "
                f"{_verdict(trade.seconds < 0.5)} |"
            )
        if after and after.samples and base and base.samples:
            share = after.seconds / base.seconds
            lines.append(
                f"| `check` after one added trade ≤ 5% of cold bean-check | {r.label} | "
                f"{share:.1%} ({after.seconds:.2f} s vs {base.seconds:.2f} s) | "
                f"{_verdict(share <= 0.05)} |"
            )
        for name in ("check-nocache", "check-cold"):
            cold = r.measures.get(name)
            if cold and cold.samples and base and base.samples:
                t, m = cold.seconds / base.seconds, cold.peak_mb / base.peak_mb
                lines.append(
                    f"| cold `{COLD[name]}` no slower, no more memory than bean-check | "
                    f"{r.label} | {t:.2f}× time, {m:.2f}× memory | {_verdict(t <= 1 and m <= 1)} |"
                )
        for name in ("balances", "report"):
            warm = r.measures.get(name)
            if warm and warm.samples:
                lines.append(
                    f"| `{name}` warm < 2 s | {r.label} | {warm.seconds:.2f} s | "
                    f"{_verdict(warm.seconds < 2)} |"
                )
    return lines


def markdown(results: list[SizeResult], runs: dict[str, list[int]], notes: str) -> str:
    counts = "; ".join(
        f"{r.label}: {runs[r.label][0]} warm, {runs[r.label][1]} cold" for r in results
    )
    lines = [
        START,
        f"Measured on {TODAY} with `python benchmarks/run.py` on: {machine()}.",
        "",
        "Each cell: median wall time / median peak resident memory of the process "
        f"(runs per command, {counts}). Cooperatives made by `coopledger demo "
        "--months 12 --seed 1` with members = trades / 50 (25 to 20,000). The operating "
        "system's file cache is warm for every command, bean-check included. "
        "`load avg`: the machine's 1-minute load average before and after the size's "
        "measurements (2 CPUs, shared with other benchmarks).",
        "",
        "Commands that read the whole journal (cold):",
        "",
        "| trades | members | journal files | journal MB | demo | "
        + " | ".join(COLD.values())
        + " | load avg |",
        "|---" * (6 + len(COLD)) + "|",
    ]
    for r in results:
        cells = [_cell(r.measures.get(n)) for n in COLD]
        lines.append(
            f"| {r.trades:,} | {r.members:,} | {r.files:,} | {r.journal_mb} | "
            f"{r.build_seconds:.1f} s | "
            + " | ".join(cells)
            + f" | {' → '.join(str(x) for x in r.load)} |"
        )
    lines += [
        "",
        "coopledger measured (the commit before and after each size; the working tree "
        "is shared, so it can change during a run): "
        + "; ".join(f"{r.label}: {' → '.join(dict.fromkeys(r.revision)) or '?'}" for r in results)
        + ".",
    ]
    lines += [
        "",
        "Commands that read the snapshot (warm):",
        "",
        "| trades | " + " | ".join(WARM.values()) + " |",
        "|---" * (1 + len(WARM)) + "|",
    ]
    for r in results:
        cells = [_cell(r.measures.get(n)) for n in WARM]
        lines.append(f"| {r.trades:,} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The issue's targets, judged on this run (they are set at 1M trades; the smaller "
        "sizes show the trend):",
        "",
        *targets(results),
    ]
    lines += [
        "",
        "Git itself (see docs/scaling.md): size of .git right after `demo` (loose objects) "
        "and after `git gc`, a clone over file://, `git status`, and `git add` + `git commit` "
        "of one appended entry:",
        "",
        "| trades | .git loose | git gc | .git packed | clone | status | commit |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        g = r.git
        if g:
            lines.append(
                f"| {r.trades:,} | {g['git_mb_loose']} MB | {g['gc_s']} s | "
                f"{g['git_mb_packed']} MB | {g['clone_s']} s | {g['status_s']} s | "
                f"{g['commit_s']} s |"
            )
    if notes:
        lines += ["", notes]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_doc(section: str, path: Path) -> None:
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if START in text and END in text:
            before, rest = text.split(START, 1)
            after = rest.split(END, 1)[1].lstrip("\n")
            path.write_text(before + section + "\n" + after, encoding="utf-8")
            return
        path.write_text(text.rstrip("\n") + "\n\n## Core commands\n\n" + section, encoding="utf-8")
        return
    path.write_text("# Performance\n\n## Core commands\n\n" + section, encoding="utf-8")


def measured_header(script: str, load_before: float, load_after: float) -> str:
    """The line that opens a benchmark's section: date, script, machine, commit, load."""
    return (
        f"Measured on {datetime.date.today().isoformat()} with "
        f"`python benchmarks/{script}` on: {machine()}; coopledger {revision()}. "
        f"Load average (1 min, 2 CPUs) {load_before:.1f} before, {load_after:.1f} after."
    )


def publish(script: str, marker: str, lines: list[str], load_before: float, write: bool) -> None:
    """Print a benchmark's section (`measured_header`, then `lines`) and, with
    `write`, put it in docs/performance.md between its markers."""
    section = "\n".join([measured_header(script, load_before, os.getloadavg()[0]), "", *lines])
    print(section)
    if write:
        replace_marked(REPO / "docs" / "performance.md", marker, section)


def met(ok: bool) -> str:
    return "met" if ok else "not met"


def replace_marked(path: Path, marker: str, section: str) -> None:
    """Put `section` between `<!-- marker:start -->` and `<!-- marker:end -->` in
    `path`, or at its end with the markers if they are missing."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = path.read_text(encoding="utf-8")
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = f"{before}{start}\n{section}\n{end}{after}"
    else:
        text = text.rstrip("\n") + f"\n\n{start}\n{section}\n{end}\n"
    path.write_text(text, encoding="utf-8")


def default_cold_runs(trades: int, runs: int) -> int:
    return 1 if trades >= 1_000_000 else min(runs, 3) if trades >= 100_000 else runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="from " + ",".join(SIZES))
    parser.add_argument("--runs", type=int, default=5, help="runs of each warm command")
    parser.add_argument(
        "--cold-runs", type=int, default=None, help="runs of each cold command (default by size)"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/coopledger-bench"))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per command")
    parser.add_argument("--max-load", type=float, default=2.0, help="wait for a lower load")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for it at most")
    parser.add_argument("--no-git", action="store_true", help="skip the git measurements")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument("--notes", default="", help="a paragraph to add under the tables")
    parser.add_argument(
        "--layout",
        metavar="FIRST_COOPLEDGER",
        help="then bench_layout.py on the same sizes, the first layout run by this coopledger",
    )
    parser.add_argument(
        "--render", action="store_true", help="measure nothing: write the doc from results.json"
    )
    parser.add_argument(
        "--federation",
        metavar="GROUPS",
        help="only benchmarks/bench_federation.py, for these numbers of groups (e.g. 10,30,100)",
    )
    parser.add_argument(
        "--scale",
        metavar="WHAT",
        help="run benchmarks/bench_scale.py instead (close, import, clearing, comma-separated);"
        " the arguments after -- go to it",
    )
    args, rest = parser.parse_known_args()
    if args.federation:
        from bench_federation import run as run_federation

        sizes = [int(n) for n in args.federation.split(",")]
        run_federation(sizes, 250, 12, args.runs, 30, args.workdir / "federation", args.write)
        return
    if args.scale:
        from bench_scale import main as scale_main

        scale_main([args.scale, *(a for a in rest if a != "--"), *(["--write"] * args.write)])
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    raw_path = REPO / "benchmarks" / "results.json"
    previous = json.loads(raw_path.read_text()) if raw_path.exists() else {}
    results: list[SizeResult] = []
    runs: dict[str, list[int]] = {}
    if args.render:
        for label in args.sizes.split(","):
            if label in previous:
                results.append(from_json(previous[label]))
                runs[label] = list(previous[label]["runs"])
    for label in [] if args.render else args.sizes.split(","):
        if not re.fullmatch("|".join(SIZES), label):
            raise SystemExit(f"unknown size {label}; use {', '.join(SIZES)}")
        trades = SIZES[label]
        cold_runs = args.cold_runs or default_cold_runs(trades, args.runs)
        runs[label] = [args.runs, cold_runs]
        wait_for_quiet(args.max_load, args.wait)
        print(f"{label}: building (load {os.getloadavg()[0]:.1f})", flush=True)
        load_before = os.getloadavg()[0]
        revision_before = revision()
        root, result = build(label, SIZES[label], args.workdir)
        print(f"{label}: built in {result.build_seconds:.1f} s, {result.files} files", flush=True)
        measure_commands(root, result, args.runs, cold_runs, args.timeout)
        if not args.no_git:
            measure_git(root, result, args.workdir)
        result.load = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        result.revision = [revision_before, revision()]
        results.append(result)
        previous[label] = {"date": TODAY, "runs": runs[label], **asdict(result)}
        raw_path.write_text(json.dumps(previous, indent=1) + "\n", encoding="utf-8")
    section = markdown(results, runs, args.notes)
    print(section)
    if args.write:
        write_doc(section, REPO / "docs" / "performance.md")
    if args.layout:  # one file per entry against the first layout (docs/performance.md)
        script = str(REPO / "benchmarks" / "bench_layout.py")
        layout = [sys.executable, script, "--sizes", args.sizes, "--runs", str(args.runs)]
        layout += ["--first-coopledger", args.layout, *(["--write"] if args.write else [])]
        subprocess.run(layout, check=True)


if __name__ == "__main__":
    main()
