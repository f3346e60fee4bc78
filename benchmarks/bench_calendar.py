"""Benchmark of the treasurer's monthly calendar: no command may read the whole history.

Run on demand (not a test):

    python benchmarks/bench_calendar.py                 # 1k and 100k trades
    python benchmarks/bench_calendar.py --sizes 1k,100k,1M --write

For each size it builds a demo cooperative (`coopledger demo --months 12 --seed 1`,
members = trades / 50 as in benchmarks/run.py, one open invoice per 250 trades),
its trades from 2025-12-01 to 2026-11-20, and closes the months up to October
(`close 2026-10 --with-earlier`, dated 2026-11-21: the setup, timed but not judged),
and copies it to the folder measured, as a fresh clone (no cache of the setup).
Then the calendar, each command a new process with `COOPLEDGER_TODAY` set to the
day and `COOPLEDGER_VERBOSE=1`:

- on 2026-12-01, `close 2026-11` (last month; timed, its route shown, not judged:
  a close checks the month it closes), then `report` as the first command after
  it (judged: it must not read the whole history, even when the closed months'
  report figures are not in the cache);
- then `--rounds` rounds, on 2026-12-01 (the 1st, the day after the close) and
  again on 2026-12-15, each round running once, in this order: `trade`, `report`,
  `balances --json`, `statement` (the busiest member, last month by default),
  `export trades` (every trade, CSV), `import` (a CSV of two rows), `invoice`,
  `settle` (the invoice just recorded), `clear --apply`.

Each command's load route is read from what it says on standard error with
`--verbose`: `read: ROUTE (why)` (the ledger's choice) and `loaded: full` /
`loaded: open period` (each time the journal was read; `coopledger.storage.store`). A
command that read the whole journal (`loaded: full`, or `read: full`) in the
calendar is a failure: the script prints the command, the day and the reason the
ledger gave, and exits with status 1 once every size is measured. A command that
fails (non-zero exit) fails the benchmark the same way, and so does a `trade`,
`report` or `balances` that does not take the snapshot route (`read: snapshot`):
each follows a write (`clear --apply`, or the previous command of the round) or a
read that leaves the snapshot current.

It reports, per command and day, the median wall time of the rounds (the first
round apart too: on the 1st it is the first command after the close), the route,
and the ratio of the largest size to the smallest; with `--write`, the part of
docs/performance.md between `calendar:start` and `calendar:end`, and the raw
figures in benchmarks/results.json under "calendar".

Building the demos: about 1 s at 1k, 16 s at 100k and 50 s at 1M (demo alone);
the setup close reads everything once: under 1 s at 1k, about 30 s at 100k, 4.5
minutes and 4 GB of memory at 1M. `--sizes ...,1M` is therefore behind its own
flag in practice: allow 10 minutes and 5 GB for it.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import COOPLEDGER, REPO, SIZES, members_for, publish

SETUP_DAY = "2026-11-21"
DAYS = ("2026-12-01", "2026-12-15")
SNAPSHOT_COMMANDS = ("trade", "report", "balances")  # a skipped snapshot fails the benchmark
COMMANDS = (
    "trade",
    "report",
    "balances",
    "statement",
    "export",
    "import",
    "invoice",
    "settle",
    "clear",
)


@dataclass
class Run:
    """One command run: its wall time, exit code and the routes it said."""

    seconds: float
    code: int
    routes: list[str]
    loads: list[str]

    @property
    def full(self) -> bool:
        return "full" in self.loads or any(r.startswith("full") for r in self.routes)

    @property
    def route(self) -> str:
        """The route the command took: the ledger's word if it said one, else what it read."""
        if self.full:
            said = [r for r in self.routes if r.startswith("full")]
            return said[0] if said else "full (store.load: every journal file)"
        if self.routes:
            return self.routes[0]
        if self.loads:
            return self.loads[0]
        return "no journal read"


@dataclass
class Size:
    label: str
    trades: int
    members: int
    setup_seconds: float = 0.0
    close_seconds: float = 0.0
    close_route: str = ""
    report_after_close: Run | None = None  # the first command after `close 2026-11`
    runs: dict[str, list[Run]] = field(default_factory=dict)  # "day command" -> runs
    full: dict[str, list[float]] = field(default_factory=dict)  # the full read, same question

    def median(self, day: str, command: str) -> float:
        return statistics.median(r.seconds for r in self.runs[f"{day} {command}"])


def cache_of(coop: Path) -> Path:
    """The user cache the benchmark gives `coop`: its own, emptied by `build`, so that
    a run never finds what an earlier run of the same folder kept."""
    return coop.parent / f"{coop.name}.cache"


def execute(argv: list[str], coop: Path, day: str, timeout: float) -> tuple[Run, str]:
    """Run coopledger with `argv` in `coop` on `day`; (the run, its standard output)."""
    env = dict(os.environ, COOPLEDGER_TODAY=day, COOPLEDGER_VERBOSE="1", COLUMNS="120")
    env["COOPLEDGER_CACHE_DIR"] = str(cache_of(coop))
    started = time.perf_counter()
    done = subprocess.run(
        # --lang en: the routes are read from --verbose's English words, whatever the locale
        [COOPLEDGER, "--lang", "en", *argv],
        cwd=coop,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - started
    routes = [line[6:] for line in done.stderr.splitlines() if line.startswith("read: ")]
    loads = [line[8:] for line in done.stderr.splitlines() if line.startswith("loaded: ")]
    if done.returncode != 0:
        print(
            f"  FAILED ({done.returncode}): coopledger {' '.join(argv)}\n{done.stderr}", flush=True
        )
    return Run(seconds, done.returncode, routes, loads), done.stdout


def build(label: str, workdir: Path) -> tuple[Path, Size]:
    """The demo, closed up to 2026-10, then copied to the folder measured: a
    cooperative as a fresh clone finds it, with none of the setup's cache (this
    user's cache is per folder), which is how a `report` after the close once
    fell back to reading everything."""
    trades = SIZES[label]
    members = members_for(trades)
    root = workdir / f"calendar-{label}"
    built = workdir / f"calendar-{label}-built"
    for folder in (root, built, cache_of(root), cache_of(built)):
        if folder.exists():
            shutil.rmtree(folder)
    command = ["demo", str(built), "--members", str(members), "--months", "12",
               "--trades", str(trades), "--invoices", str(max(20, trades // 250)),
               "--seed", "1"]  # fmt: skip
    started = time.perf_counter()
    subprocess.run([COOPLEDGER, *command], cwd=workdir, check=True, capture_output=True)
    size = Size(label, trades, members)
    close, _ = execute(["close", "2026-10", "--with-earlier"], built, SETUP_DAY, 7200)
    if close.code != 0:
        raise SystemExit(f"the setup close failed in {built}")
    shutil.copytree(built, root, symlinks=True)
    shutil.rmtree(built)
    size.setup_seconds = time.perf_counter() - started
    return root, size


def busiest(coop: Path, day: str) -> tuple[str, str, str]:
    """The member with the most trades (for `statement`), and a payer and a payee:
    the highest balance pays the lowest (a unit moves both towards zero)."""
    _, text = execute(["export", "trades", "--from", "2026-11-01"], coop, day, 7200)
    counts: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(text)):
        for member in (row["payer"], row["payee"]):
            counts[member] = counts.get(member, 0) + 1
    balances = json.loads(execute(["balances", "--json"], coop, day, 7200)[1])["balances"]
    ordered = sorted(balances, key=lambda m: float(balances[m]))
    return max(sorted(counts), key=lambda m: counts[m]), ordered[-1], ordered[0]


def calendar_round(
    coop: Path, size: Size, day: str, number: int, members: tuple[str, str, str], work: Path
) -> None:
    """Every command of the calendar once, on `day`."""
    top, payer, payee = members
    tag = f"{day[-2:]}{number:02d}"
    sheet = work / f"import-{size.label}-{tag}.csv"
    sheet.write_text(
        "date,payer,payee,amount,memo\n"
        f"{day},{payer},{payee},1.00,bench import {tag} a\n"
        f"{day},{payee},{payer},1.00,bench import {tag} b\n",
        encoding="utf-8",
    )
    ref = f"BENCH-{size.label}-{tag}"
    commands = {
        "trade": ["trade", payer, payee, "1", "-m", f"bench {tag}"],
        "report": ["report"],
        "balances": ["balances", "--json"],
        "statement": ["statement", top],
        "export": ["export", "trades"],
        "import": ["import", str(sheet)],
        "invoice": ["invoice", payer, payee, "2", "--ref", ref],  # settling moves both to 0
        "settle": ["settle", ref],
        "clear": ["clear", "--apply"],
    }
    for name in COMMANDS:
        run, _ = execute(commands[name], coop, day, 7200)
        size.runs.setdefault(f"{day} {name}", []).append(run)
        print(f"  {size.label} {day} {name}: {run.seconds:.2f} s, {run.route}", flush=True)


def measure(label: str, workdir: Path, rounds: int, full_runs: int) -> Size:
    print(f"{label}: building and closing up to 2026-10", flush=True)
    coop, size = build(label, workdir)
    print(f"{label}: ready in {size.setup_seconds:.1f} s", flush=True)
    close, _ = execute(["close", "2026-11"], coop, DAYS[0], 7200)
    if close.code != 0:
        raise SystemExit(f"close 2026-11 failed in {coop}")
    size.close_seconds, size.close_route = close.seconds, close.route
    size.report_after_close, _ = execute(["report"], coop, DAYS[0], 7200)
    print(f"  {label} report after the close: {size.report_after_close.seconds:.2f} s, "
          f"{size.report_after_close.route}", flush=True)  # fmt: skip
    members = busiest(coop, DAYS[0])
    for day in DAYS:
        for number in range(rounds):
            calendar_round(coop, size, day, number, members, workdir)
    full_reference(coop, size, DAYS[-1], members[0], full_runs)
    return size


REFERENCE = """
import sys, time
from pathlib import Path
from coopledger.plans import csvio
from coopledger.ledger import Ledger
from coopledger.model.months import Month
import datetime
what, root, member = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
books = Ledger(root, cache=False)  # the full read: every file parsed and checked
if what == "statement":
    month = Month.last_complete(datetime.date.fromisoformat(sys.argv[4]))
    found = books.statement(member, month.first, month.last)
    print(len(found.statement.lines))
else:
    traded = books.trades_between(None, None)
    table = csvio.trades_table(traded.trades, traded.rules.decimals)
    sys.stdout.write(csvio.to_csv(table)[:0])
"""


def full_reference(coop: Path, size: Size, day: str, member: str, runs: int) -> None:
    """The same statement and export by the full read (`Ledger(cache=False)`), each a
    new process: what the calendar's commands cost when they fall back."""
    for what in ("statement", "export"):
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", REFERENCE, what, str(coop), member, day],
                check=True,
                capture_output=True,
                env=dict(os.environ, COOPLEDGER_TODAY=day),
            )
            size.full.setdefault(what, []).append(time.perf_counter() - started)
            print(
                f"  {size.label} {what} by the full read: {size.full[what][-1]:.2f} s", flush=True
            )


def failures(sizes: list[Size]) -> list[str]:
    """Each command (size, day) that failed or read the whole history, with how often and why."""
    found = []
    for size in sizes:
        runs_of = dict(size.runs)
        if size.report_after_close is not None:
            runs_of[f"{DAYS[0]} report after close 2026-11"] = [size.report_after_close]
        for key, runs in runs_of.items():
            quick = key.split(" ")[1] in SNAPSHOT_COMMANDS and "after close" not in key
            bad = [
                run
                for run in runs
                if run.code != 0 or run.full or (quick and not run.route.startswith("snapshot"))
            ]
            if bad:
                why = bad[0].route if bad[0].code == 0 else f"exit status {bad[0].code}"
                found.append(f"{size.label} {key}: {len(bad)} of {len(runs)} rounds: {why}")
    return found


def lines_of(sizes: list[Size], rounds: int) -> list[str]:
    small, large = sizes[0], sizes[-1]
    lines = [
        f"Each cell: median wall time of {rounds} rounds (the first round in brackets) and "
        "the route the command took (from `--verbose`). Demo cooperatives: "
        + "; ".join(
            f"{s.label}: {s.trades:,} trades, {s.members:,} members, built and closed up to "
            f"2026-10 in {s.setup_seconds:.0f} s; `close 2026-11` "
            f"on the 1st {s.close_seconds:.1f} s "
            f"({s.close_route}), then `report` "
            + (
                f"{s.report_after_close.seconds:.2f} s ({s.report_after_close.route})"
                if s.report_after_close is not None
                else "not run"
            )
            for s in sizes
        )
        + ".",
        "",
    ]
    heads = [f"{s.label}" for s in sizes]
    ratio_head = f"{large.label} / {small.label}" if len(sizes) > 1 else "ratio"
    lines.append("| day | command | " + " | ".join(heads) + f" | {ratio_head} | route |")
    lines.append("|---|---|" + "---:|" * (len(sizes) + 1) + "---|")
    for day in DAYS:
        for command in COMMANDS:
            key = f"{day} {command}"
            cells = []
            for size in sizes:
                first = size.runs[key][0].seconds
                cells.append(f"{size.median(day, command):.2f} s ({first:.2f})")
            ratio = large.median(day, command) / small.median(day, command)
            routes = sorted({run.route.split(" (")[0] for s in sizes for run in s.runs[key]})
            lines.append(f"| {day} | `{command}` | " + " | ".join(cells) + f" | {ratio:.2f}× | "
                         + ", ".join(routes) + " |")  # fmt: skip
    lines += [
        "",
        "The same questions by the full read (`Ledger(cache=False)`, a new process), "
        f"on {DAYS[-1]}:",
        "",
    ]
    lines.append("| command | " + " | ".join(heads) + " |")
    lines.append("|---|" + "---:|" * len(sizes))
    for what in ("statement", "export"):
        cells = []
        for size in sizes:
            full = statistics.median(size.full[what])
            quick = size.median(DAYS[-1], what)
            cells.append(f"{full:.2f} s ({full / quick:.1f}× the calendar's {quick:.2f} s)")
        lines.append(f"| `{what}` | " + " | ".join(cells) + " |")
    found = failures(sizes)
    lines.append("")
    if found:
        lines.append("**Fell back to the whole history, or skipped the snapshot** (fails):")
        lines.extend(f"- {line}" for line in found)
    else:
        lines.append(
            "No command of the calendar read the whole history; every `trade`, `report` "
            "and `balances` took the snapshot route."
        )
    return lines


def hledger_journal(coop: Path, day: str, path: Path) -> int:
    """The cooperative's trades (from `export trades`) as an hledger journal: the same
    trades, postings and amounts (invoices, which move no balance, left out)."""
    from coopledger.model.accounts import member_account

    _, text = execute(["export", "trades"], coop, day, 7200)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in csv.DictReader(io.StringIO(text)):
            memo = row["memo"].replace(";", ",")
            out.write(
                f"{row['date']} * {memo}\n"
                f"    {member_account(row['payer'])}  -{row['amount']} SEL\n"
                f"    {member_account(row['payee'])}  {row['amount']} SEL\n\n"
            )
            count += 1
    return count


def peers(coops: list[Path], runs: int, write: bool) -> None:
    """`statement` and `export trades` against `hledger reg` and `hledger print -O csv`
    on the same trades, interleaved, on the calendar's later day."""
    from coopledger.model.accounts import member_account

    day = DAYS[-1]
    load_before = os.getloadavg()[0]
    lines = [
        f"`statement` (the busiest member, last month) and `export trades` (everything, "
        f"CSV) against hledger {shutil.which('hledger') and _hledger_version()} on the same "
        f"trades (an hledger journal written from `export trades`), on {day}, interleaved, "
        f"medians of {runs}:",
        "",
        "| cooperative | trades | `statement` (table) | `statement --format csv` | "
        "`hledger reg` | `export trades` | `hledger print -O csv` |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for coop in coops:
        journal = coop.parent / f"{coop.name}.journal"
        count = hledger_journal(coop, day, journal)
        top = busiest(coop, day)[0]
        month = f"{day[:4]}-{int(day[5:7]) - 1:02d}"
        asks = {
            "statement": [COOPLEDGER, "statement", top],
            "statement csv": [COOPLEDGER, "statement", top, "--format", "csv"],
            "reg": [
                "hledger",
                "-f",
                str(journal),
                "reg",
                member_account(top),
                "-b",
                f"{month}-01",
                "-e",
                f"{day[:7]}-01",
            ],
            "export": [COOPLEDGER, "export", "trades"],
            "print": ["hledger", "-f", str(journal), "print", "-O", "csv"],
        }
        times: dict[str, list[float]] = {name: [] for name in asks}
        env = dict(os.environ, COOPLEDGER_TODAY=day, COOPLEDGER_CACHE_DIR=str(cache_of(coop)))
        for _ in range(runs):
            for name, argv in asks.items():
                started = time.perf_counter()
                subprocess.run(
                    argv, cwd=coop, check=True, capture_output=True,
                    env=env,
                )  # fmt: skip
                times[name].append(time.perf_counter() - started)
        med = {name: statistics.median(values) for name, values in times.items()}
        lines.append(
            f"| {coop.name} | {count:,} | {med['statement']:.2f} s | "
            f"{med['statement csv']:.2f} s | {med['reg']:.2f} s "
            f"({med['statement csv'] / med['reg']:.2f}×) | {med['export']:.2f} s | "
            f"{med['print']:.2f} s ({med['export'] / med['print']:.2f}×) |"
        )
        print(lines[-1], flush=True)
    lines += ["", "(×: coopledger's time (statement: CSV) over hledger's, in the same run.)"]
    publish("bench_calendar.py --peers", "calendar-peers", lines, load_before, write)


def _hledger_version() -> str:
    done = subprocess.run(["hledger", "--version"], capture_output=True, text=True)
    return done.stdout.split(",")[0].replace("hledger ", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,100k", help="from " + ",".join(SIZES))
    parser.add_argument("--with-1M", action="store_true", help="add the 1M-trade cooperative")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the calendar per day")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/coopledger-bench"))
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    parser.add_argument(
        "--peers", type=Path, nargs="+", help="only compare these calendar cooperatives to hledger"
    )
    args = parser.parse_args()
    if args.peers:
        peers([p.resolve() for p in args.peers], args.rounds, args.write)
        return
    labels = args.sizes.split(",") + (["1M"] if args.with_1M and "1M" not in args.sizes else [])
    for label in labels:
        if label not in SIZES:
            raise SystemExit(f"unknown size {label}; use {', '.join(SIZES)}")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as after pip install
    args.workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    sizes = [
        measure(label, args.workdir, args.rounds, 1 if SIZES[label] >= 100_000 else 3)
        for label in labels
    ]
    lines = lines_of(sizes, args.rounds)
    publish("bench_calendar.py", "calendar", lines, load_before, args.write)
    raw_path = REPO / "benchmarks" / "results.json"
    raw = json.loads(raw_path.read_text()) if raw_path.exists() else {}
    raw["calendar"] = {
        "date": datetime.date.today().isoformat(),
        "sizes": [asdict(s) for s in sizes],
    }
    if args.write:
        raw_path.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    found = failures(sizes)
    if found:
        print(
            "\nFAILED: the calendar read the whole history or skipped the snapshot:",
            file=sys.stderr,
        )
        for line in found:
            print(f"  {line}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
