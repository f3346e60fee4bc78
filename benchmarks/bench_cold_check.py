"""A cold full `check` with closed months: along the closes, read whole, and hledger.

Run on demand (not a test):

    python benchmarks/bench_cold_check.py --sizes 100k,1M --rounds 3 --workdir /tmp/cold

For each size, a demo cooperative (`coopledger demo`, seed 1) with every month
before November closed (`close 2026-10 --with-earlier`, as on the treasurer's
calendar), then in turn, each round:

- `check --no-cache`, which judges the closed months along the closes, one run
  of months per CPU (it must say `read: along the closes`, or the benchmark fails);
- the same command made to read everything at once (the route given one CPU):
  the baseline measured in the same run;
- `hledger check` on the same trades (an hledger journal written from `export
  trades`), the peer of issue 15.

CPU is the command's and its children's (user + system, wait4); memory is the
largest process's peak (wait4) and the peak of all its processes together
(their resident memory summed, sampled every 0.2 s). Then, in this process,
each run of months is judged one after the other, timed alone, for 2, 4 and 8
runs: what the check would take with that many CPUs, none of them shared, is
the measured wall time scaled by the longest part (a run, or the open period)
of N runs against that of 2 (an estimate, said as one: start-up and merge are
taken to shrink alike). Medians of the rounds;
the machine's load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_calendar import hledger_journal

DAY = "2026-11-25"
SIZES = {  # trades -> (members, invoices), as the calendar's demos
    "10k": (10_000, 200, 40),
    "100k": (100_000, 2_000, 400),
    "1M": (1_000_000, 20_000, 4_000),
}
HERE = Path(sys.executable).parent
COOPLEDGER = str(HERE / "coopledger")
# the full read: the same command, the route along the closes given one CPU
READ_WHOLE = (
    "import sys\n"
    "from coopledger.storage import along_closes\n"
    "along_closes.cpus = lambda: 1\n"
    "from coopledger.cli import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_mb: float  # the largest process
    sum_mb: float  # all its processes together, sampled


def _tree_rss_mb(root: int) -> float:
    """The resident memory of `root` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    total = 0
    for pid in family:
        try:
            with open(f"/proc/{pid}/statm", encoding="utf-8") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def measured(command: list[str], cwd: Path, expect: str | None = None) -> Sample:
    """Run `command`; fail when its --verbose lines lack `expect`."""
    env = {"COOPLEDGER_TODAY": DAY, "COOPLEDGER_VERBOSE": "1"}
    peak = [0.0]
    done = threading.Event()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    said = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or (expect is not None and expect not in said):
        raise SystemExit(f"{' '.join(command)} failed ({code}) or did not say {expect!r}:\n{said}")
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(wall, cpu, usage.ru_maxrss / 1024, max(peak[0], usage.ru_maxrss / 1024))


def build(label: str, workdir: Path) -> Path:
    trades, members, invoices = SIZES[label]
    coop = workdir / f"cold-{label}"
    if (coop / "journal" / "2026" / "10" / "close.beancount").is_file():
        return coop  # built by an earlier run: the same seed gives the same books
    shutil.rmtree(coop, ignore_errors=True)
    env = {**os.environ, "COOPLEDGER_TODAY": DAY}
    for argv, cwd in (
        (
            ["demo", str(coop), "--members", str(members), "--months", "12", "--trades",
             str(trades), "--invoices", str(invoices), "--seed", "1"],
            workdir,
        ),
        (["close", "2026-10", "--with-earlier"], coop),
    ):  # fmt: skip
        subprocess.run([COOPLEDGER, *argv], cwd=cwd, env=env, check=True, capture_output=True)
    return coop


def estimate(coop: Path, counts: tuple[int, ...]) -> dict[int, tuple[float, float, float]]:
    """For each number of runs: (setup CPU, longest run's CPU, open period's CPU),
    each run judged alone in this process."""
    from coopledger.cache import carry
    from coopledger.model.problems import Problem
    from coopledger.storage import along_closes as along
    from coopledger.storage import store
    from coopledger.storage.journal_load import collector_paused

    os.environ["COOPLEDGER_TODAY"] = DAY  # read by every check of dates
    started = time.process_time()
    problems: list[Problem] = []
    rules, roster = store.read_setup(coop, problems)
    assert rules is not None and roster is not None and not problems, problems
    chain = tuple(carry.close_chain(coop))
    folders = frozenset(f"journal/{m[:4]}/{m[5:7]}" for m, _ in carry.month_folders(coop))
    state = along._Along(coop, rules, roster, chain, folders)
    setup_cpu = time.process_time() - started
    along._along = state
    found = {}
    with collector_paused():  # as in the command, the cycle collector waits
        started = time.process_time()
        opened = along._judge_open_period()
        open_cpu = time.process_time() - started
        assert not isinstance(opened, along.Declined), opened
        del opened
        for count in counts:
            longest = 0.0
            weights = [along._entries_of(closed) for closed in chain]
            for first, last in along.runs_of_months(weights, count):
                started = time.process_time()
                judged = along._judge_run(state, first, last)
                longest = max(longest, time.process_time() - started)
                assert judged.declined is None, judged
                del judged
            found[count] = (setup_cpu, longest, open_cpu)
    along._along = None
    return found


def _row(name: str, runs: list[Sample]) -> str:
    walls = [s.wall for s in runs]
    wall = f"{statistics.median(walls):.1f} s ({min(walls):.1f}–{max(walls):.1f})"
    cpu = f"{statistics.median(s.cpu for s in runs):.1f} s"
    memory = f"{max(s.peak_mb for s in runs):,.0f} MB | {max(s.sum_mb for s in runs):,.0f} MB"
    return f"| {name} | {wall} | {cpu} | {memory} |"


def _ratio(these: list[Sample], those: list[Sample], what: str) -> str:
    """The median of the ratios of runs made side by side, round by round."""
    ratios = [getattr(a, what) / getattr(b, what) for a, b in zip(these, those, strict=True)]
    return f"{statistics.median(ratios):.2f}"


def _print_estimate(coop: Path, measured_wall: float) -> None:
    found = estimate(coop, (2, 4, 8))
    on_two = max(found[2][1], found[2][2])
    print("\n| CPUs (runs) | longest run | open period | estimated wall |")
    print("|---:|---:|---:|---:|")
    for count, (_, longest, opened) in found.items():
        wall = measured_wall * max(longest, opened) / on_two
        print(f"| {count} | {longest:.1f} s | {opened:.1f} s | {wall:.1f} s |")
    print(f"\n(setup in the parent: {found[2][0]:.1f} s of CPU; the estimate scales the")
    print(f" measured {measured_wall:.1f} s by the longest part's time, N runs against 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k", help="comma-separated: 10k, 100k, 1M")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/coopledger-cold"))
    parser.add_argument("--no-estimate", action="store_true", help="skip the per-run estimate")
    parser.add_argument(
        "--estimate-only", type=float, metavar="WALL", help="only the estimate, scaling WALL s"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    hledger = shutil.which("hledger")
    print(f"# cold check, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    for label in args.sizes.split(","):
        coop = build(label, args.workdir)
        journal = args.workdir / f"cold-{label}.journal"
        if hledger and not journal.exists():
            hledger_journal(coop, DAY, journal)
        samples: dict[str, list[Sample]] = {"along": [], "whole": [], "hledger": []}
        if args.estimate_only:
            _print_estimate(coop, args.estimate_only)
            continue
        for _ in range(args.rounds):
            samples["along"].append(
                measured(
                    [COOPLEDGER, "--lang", "en", "check", "--no-cache"],
                    coop,
                    "read: along the closes",
                )
            )
            samples["whole"].append(
                measured(
                    [sys.executable, "-c", READ_WHOLE, "--lang", "en", "check", "--no-cache"],
                    coop,
                    "loaded: full",
                )
            )
            if hledger:
                samples["hledger"].append(measured([hledger, "-f", str(journal), "check"], coop))
        load = os.getloadavg()[0]
        print(f"\n## {label} trades (load {load:.1f} after)\n")
        print("| | wall (median, min–max) | CPU | largest process | all processes |")
        print("|---|---|---|---:|---:|")
        for name, runs in samples.items():
            if runs:
                print(_row(name, runs))
        along, whole = samples["along"], samples["whole"]
        walls, cpus = _ratio(along, whole, "wall"), _ratio(along, whole, "cpu")
        print(f"\nalong / whole: wall {walls}, CPU {cpus}")
        if samples["hledger"]:
            print(f"along / hledger check: wall {_ratio(along, samples['hledger'], 'wall')}")
        if not args.no_estimate:
            _print_estimate(coop, statistics.median(a.wall for a in along))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
