"""Benchmarks at scale: `close` of a month, `import` per row, `clear --invoices`.

Run on demand (not part of the test suite), alone or through run.py:

    python benchmarks/bench_scale.py close    [--sizes 10k,100k,1M] [--baseline REV]
    python benchmarks/bench_scale.py import   [--rows 1k,10k,100k]  [--baseline REV]
    python benchmarks/bench_scale.py clearing [--cycles 10000,40000] [--invoices 100k,1M]
    python benchmarks/run.py --scale close,import,clearing ...

Each command is a new process; its wall time and peak resident memory come
from wait4 (the benchmark itself stays small, so the peak is the command's).
Medians over `--runs`. `--baseline REV` runs the same commands with the code of
git revision REV too (a detached worktree under the work folder, put first on
PYTHONPATH), interleaved with the current code, so that both meet the same load.

- **close**: a demo cooperative (`coopledger demo --months 12 --seed 1`, members =
  trades / 50) whose months up to 2026-06 are closed with `close 2026-06
  --with-earlier` (the first close: it reads everything, timed once). Then
  *catching up*: `close 2026-07`, `close 2026-08 --with-earlier`, `close 2026-10
  --with-earlier` (1, 2 and 4 months), each from that state (git reset between
  runs); and *the monthly close*: with the months up to 2026-09 closed, `close
  2026-10`, the treasurer's close of last month while November is open.
- **import**: CSV files of 1k, 10k and 100k trades between the members of a demo
  cooperative of 2,000 members (`import FILE`, committed), from the same state
  each time; rows per second and CPU milliseconds per row (user + system).
- **clearing**: `clear --invoices FILE --json` against networkx's
  `min_cost_flow` (network simplex) and an LP (scipy's `linprog`, HiGHS), each
  in its own process on the same invoices (aggregated per pair of members, as
  coopledger does), on a single long cycle (every member owes the next one, the
  last owes the first; amounts drawn at random, so most members have a net
  position) and on random invoice sets (Zipf-like activity, as
  bench_clearing.py); plus the bare solver process of bench_clearing.py. All
  must find the same total cleared (checked).

With `--write` the results replace the part of docs/performance.md between
the `scale-close`, `scale-import` and `scale-clearing` markers; raw results go
to benchmarks/results-scale.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import machine, replace_marked, revision, waited

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}
RESULTS = REPO / "benchmarks" / "results-scale.json"
GIT_ID = ["-c", "user.name=Bench", "-c", "user.email=bench@example.org"]


@dataclass
class Sample:
    seconds: float
    cpu: float  # user + system seconds
    peak_mb: float
    code: int


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def median(self, what: str) -> float:
        good = [s for s in self.samples if s.code == 0] or self.samples
        return statistics.median(getattr(s, what) for s in good)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.samples if s.code != 0)

    def as_dict(self) -> dict[str, object]:
        return {
            "seconds": round(self.median("seconds"), 3),
            "cpu": round(self.median("cpu"), 3),
            "peak_mb": round(self.median("peak_mb"), 1),
            "runs": [round(s.seconds, 3) for s in self.samples],
            "failed": self.failed,
        }


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None,
          timeout: float = 3600, stdout: int | None = None) -> Sample:  # fmt: skip
    """Run `command`; wall time, CPU time and peak resident memory, from wait4."""
    elapsed, usage, code = waited(command, cwd, timeout, stdout, env)
    return Sample(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *GIT_ID, *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


@dataclass(frozen=True)
class Code:
    """A version of coopledger to run: the current one, or a baseline revision."""

    name: str
    pythonpath: str | None = None

    def command(self, *args: str) -> list[str]:
        return [PYTHON, "-m", "coopledger", *args]

    @property
    def env(self) -> dict[str, str]:
        return {"PYTHONPATH": self.pythonpath} if self.pythonpath else {}


def codes(baseline: str | None, workdir: Path) -> list[Code]:
    found = [Code("current")]
    if baseline:
        commit = subprocess.run(["git", "rev-parse", "--short", baseline], cwd=REPO, check=True,
                                capture_output=True, text=True).stdout.strip()  # fmt: skip
        tree = workdir / f"baseline-{commit}"
        if not tree.exists():
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=REPO,
                           check=True, capture_output=True)  # fmt: skip
        found.append(Code(f"baseline {commit}", str(tree)))
    return found


def demo(workdir: Path, label: str, trades: int, members: int) -> Path:
    root = workdir / f"coop-{label}"
    if not (root / ".git").exists():
        if root.exists():
            shutil.rmtree(root)
        command = Code("current").command(
            "demo", str(root), "--months", "12", "--seed", "1",
            "--trades", str(trades), "--members", str(members),
        )  # fmt: skip
        sample = timed(command, workdir)
        if sample.code:
            raise SystemExit(f"demo failed: {' '.join(command)}")
    return root


def reset(root: Path, tag: str) -> None:
    git(root, "reset", "-q", "--hard", tag)
    git(root, "clean", "-qfd", "journal")


def load_note() -> float:
    return round(os.getloadavg()[0], 1)


# ---------------------------------------------------------------- close


def bench_close(args: argparse.Namespace) -> dict[str, object]:
    results: dict[str, object] = {}
    for label in args.sizes.split(","):
        trades = SIZES[label]
        members = max(25, min(20_000, trades // 50))
        root = demo(args.workdir, f"close-{label}", trades, members)
        result: dict[str, object] = {"trades": trades, "members": members, "load": [load_note()]}
        tags = git(root, "tag", "--list")
        if "bench-closed-06" not in tags.split():
            first = timed(Code("current").command("close", "2026-06", "--with-earlier"), root)
            if first.code:
                raise SystemExit(f"{label}: the first close failed")
            git(root, "tag", "bench-closed-06")
            result["first close (7 months, reads everything)"] = Series([first]).as_dict()
        reset(root, "bench-closed-06")
        if "bench-closed-09" not in tags.split():
            timed(Code("current").command("close", "2026-09", "--with-earlier"), root)
            git(root, "tag", "bench-closed-09")
            reset(root, "bench-closed-06")
        cases = [
            ("catch up 1 month: close 2026-07", "bench-closed-06", ["close", "2026-07"]),
            ("catch up 2 months: close 2026-08 --with-earlier", "bench-closed-06",
             ["close", "2026-08", "--with-earlier"]),
            ("catch up 4 months: close 2026-10 --with-earlier", "bench-closed-06",
             ["close", "2026-10", "--with-earlier"]),
            ("monthly: close 2026-10 (up to 2026-09 closed)", "bench-closed-09",
             ["close", "2026-10"]),
        ]  # fmt: skip
        runs = 1 if trades >= 1_000_000 else args.runs
        versions = codes(args.baseline if trades <= args.baseline_upto else None, args.workdir)
        for name, tag, command in cases:
            measured = {code.name: Series() for code in versions}
            for run in range(runs):
                taking = versions if run < args.baseline_runs else versions[:1]
                for code in taking if run % 2 == 0 else taking[::-1]:
                    reset(root, tag)
                    sample = timed(code.command(*command), root, code.env)
                    measured[code.name].samples.append(sample)
                    print(f"  {label} {name} [{code.name}]: {sample.seconds:.2f} s, "
                          f"{sample.peak_mb:.0f} MB, exit {sample.code}", flush=True)  # fmt: skip
            result[name] = {code: series.as_dict() for code, series in measured.items()}
        reset(root, "bench-closed-06")
        result["load"] = [*result["load"], load_note()]  # type: ignore[list-item]
        results[label] = result
    return results


def close_lines(results: dict[str, dict[str, object]]) -> list[str]:
    lines = [
        "| trades | members | case | code | median s | CPU s | peak MB | runs | vs 1 month |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results.values():
        one = result.get("catch up 1 month: close 2026-07", {})
        for name, value in result.items():
            if name in ("trades", "members", "load") or not isinstance(value, dict):
                continue
            by_code = value if "seconds" not in value else {"current": value}
            for code, m in by_code.items():
                base = one.get(code, {}).get("seconds") if isinstance(one, dict) else None
                ratio = f"{m['seconds'] / base:.2f}×" if base and "catch up" in name else ""
                lines.append(
                    f"| {result['trades']:,} | {result['members']:,} | {name} | {code} | "
                    f"{m['seconds']:.2f} | {m['cpu']:.2f} | {m['peak_mb']:.0f} | "
                    f"{len(m['runs'])} | {ratio} |"
                )
    return lines


# ---------------------------------------------------------------- import


def import_files(root: Path, sizes: list[int], workdir: Path) -> dict[int, Path]:
    """CSV files of `sizes` rows between active members of `root`, tiny amounts
    (so that no limit is reached), dated after the demo's last trades."""
    listed = subprocess.run(Code("current").command("balances", "--json"), cwd=root,
                            check=True, capture_output=True, text=True)  # fmt: skip
    balances = json.loads(listed.stdout)["balances"]
    import yaml

    roster = yaml.safe_load((root / "members.yaml").read_text(encoding="utf-8"))["members"]
    active = [
        m["id"] for m in roster
        if "status" not in m and str(m.get("joined")) < "2026-10-01"
        and abs(float(balances.get(m["id"], 0))) < 200
    ]  # fmt: skip
    found = {}
    for size in sizes:
        path = workdir / f"import-{size}.csv"
        draw = random.Random(size)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["date", "payer", "payee", "amount", "memo"])
            for row in range(size):
                payer, payee = draw.sample(active, 2)
                amount = f"{draw.randint(1, 20) / 100:.2f}"
                writer.writerow([f"2026-11-{21 + row % 4}", payer, payee, amount, f"slip {row}"])
        found[size] = path
    return found


def bench_import(args: argparse.Namespace) -> dict[str, object]:
    root = demo(args.workdir, "import", 2_000, 2_000)
    git(root, "tag", "-f", "bench-import")
    sizes = [1, *(SIZES[label] for label in args.rows.split(","))]
    files = import_files(root, sizes, args.workdir)
    versions = codes(args.baseline, args.workdir)
    results: dict[str, object] = {"load": [load_note()]}
    for size in sizes:
        measured = {code.name: Series() for code in versions}
        runs = args.runs if size <= 10_000 else max(1, args.runs // 2)
        for run in range(runs):
            taking = versions if run < args.baseline_runs else versions[:1]
            for code in taking if run % 2 == 0 else taking[::-1]:
                reset(root, "bench-import")
                sample = timed(code.command("import", str(files[size])), root, code.env)
                measured[code.name].samples.append(sample)
                print(f"  import {size} [{code.name}]: {sample.seconds:.2f} s, "
                      f"{sample.cpu:.2f} s CPU, exit {sample.code}", flush=True)  # fmt: skip
        results[str(size)] = {code: series.as_dict() for code, series in measured.items()}
    reset(root, "bench-import")
    results["load"] = [*results["load"], load_note()]  # type: ignore[list-item]
    return results


def import_lines(results: dict[str, object]) -> list[str]:
    lines = [
        "| rows | code | median s | CPU s | peak MB | rows/s (wall) | CPU ms per row, "
        "less a 1-row import | runs |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    one = results.get("1", {})
    for size, by_code in results.items():
        if size in ("load", "1") or not isinstance(by_code, dict):
            continue
        for code, m in by_code.items():
            fixed = one.get(code, {}).get("cpu", 0) if isinstance(one, dict) else 0
            per_row = (m["cpu"] - fixed) / (int(size) - 1) * 1000
            lines.append(
                f"| {int(size):,} | {code} | {m['seconds']:.2f} | {m['cpu']:.2f} | "
                f"{m['peak_mb']:.0f} | {int(size) / m['seconds']:,.0f} | {per_row:.3f} | "
                f"{len(m['runs'])} |"
            )
    return lines


# ---------------------------------------------------------------- clearing

# each prints "seconds cleared": the solve alone, timed inside its process, on the
# invoices aggregated per pair (bench_clearing.write_pairs)
OURS = r"""
import sys, time
import numpy as np
from ortools.graph.python import min_cost_flow  # imported before the clock, as BARE_SOLVE
from coopledger.setoff.clearing import _chains_contracted_flow
data = np.load(sys.argv[1])
tails, heads, caps, supplies = data["tails"], data["heads"], data["caps"], data["supplies"]
start = time.perf_counter()
flows = _chains_contracted_flow(tails, heads, caps, supplies)
print(time.perf_counter() - start, int(caps.sum()) - int(flows.sum()))
"""
PEER_NETWORKX = r"""
import sys, time
import networkx as nx
import numpy as np
data = np.load(sys.argv[1])
tails, heads, caps, supplies = data["tails"], data["heads"], data["caps"], data["supplies"]
graph = nx.DiGraph()
for node, supply in enumerate(supplies.tolist()):
    graph.add_node(node, demand=-supply)
for tail, head, cap in zip(tails.tolist(), heads.tolist(), caps.tolist()):
    graph.add_edge(tail, head, capacity=cap, weight=1)
start = time.perf_counter()
cost, _ = nx.network_simplex(graph)
print(time.perf_counter() - start, int(caps.sum()) - cost)
"""
PEER_LP = r"""
import sys, time
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix
data = np.load(sys.argv[1])
tails, heads, caps, supplies = data["tails"], data["heads"], data["caps"], data["supplies"]
start = time.perf_counter()
arcs, nodes = len(caps), len(supplies)
matrix = csr_matrix(
    (np.r_[np.ones(arcs), -np.ones(arcs)],
     (np.r_[tails, heads], np.r_[np.arange(arcs), np.arange(arcs)])),
    shape=(nodes, arcs),
)
bounds = np.column_stack([np.zeros(arcs), caps.astype(np.float64)])
found = linprog(np.ones(arcs), A_eq=matrix, b_eq=supplies.astype(np.float64), bounds=bounds,
                method="highs")
assert found.status == 0, found.message
print(time.perf_counter() - start, int(caps.sum()) - round(found.fun))
"""


def bench_clearing(args: argparse.Namespace) -> dict[str, object]:
    import numpy as np
    from bench_clearing import (
        BARE_PROCESS,
        BARE_SOLVE,
        generate,
        run_measured,
        write_csv,
        write_pairs,
    )

    folder = args.workdir / "clearing"
    folder.mkdir(exist_ok=True)
    sets: list[tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]]] = []
    for size in filter(None, args.cycles.split(",")):
        members = int(size)
        draw = np.random.default_rng(members)
        ring = np.arange(members, dtype=np.int64)
        sets.append((f"cycle of {members:,}", (ring, (ring + 1) % members,
                     draw.integers(100, 100_000, members))))  # fmt: skip
    for label in filter(None, args.invoices.split(",")):
        sets.append((f"random {label} invoices", generate(SIZES[label])))
    versions = codes(args.baseline, args.workdir)
    results: dict[str, object] = {"load": [load_note()]}
    for name, (debtors, creditors, amounts) in sets:
        tag = name.replace(" ", "-").replace(",", "")
        csv_path, pairs = folder / f"{tag}.csv", folder / f"{tag}.npz"
        if name.startswith("cycle"):  # names in the cycle's order, as coopledger numbers them
            _write_cycle(csv_path, pairs, amounts)
        else:
            write_csv(csv_path, debtors, creditors, amounts)
            write_pairs(pairs, debtors, creditors, amounts)
        big = len(amounts) > 100_000
        long_cycle = name.startswith("cycle") and len(amounts) > 10_000
        row: dict[str, object] = {
            "invoices": len(amounts),
            "pairs": int(np.load(pairs)["caps"].size),
        }
        cleared: dict[str, int] = {}
        for code in versions:
            if code.pythonpath and long_cycle:
                continue  # the baseline's solver: minutes (docs/performance.md)
            times = []
            for _ in range(args.runs if not big else 1):
                command = code.command("clear", "--invoices", str(csv_path), "--json")
                env = {**os.environ, **code.env}
                seconds, memory, text = _measured(run_measured, command, env)
                times.append(seconds)
                total = text.split('"cleared": "', 1)[1].split('"', 1)[0]
                cleared[f"clear [{code.name}]"] = int(total.replace(".", ""))
            row[f"clear --invoices [{code.name}]"] = statistics.median(times)
            row[f"clear --invoices [{code.name}] MiB"] = memory
        peers = [("coopledger solve", OURS), ("OR-tools bare solve", BARE_SOLVE),
                 ("networkx network simplex", PEER_NETWORKX), ("LP (HiGHS)", PEER_LP)]  # fmt: skip
        for peer, script in peers:
            if peer == "OR-tools bare solve" and long_cycle:
                continue  # its square time: minutes at 40,000 (the issue: 310 s)
            if (peer.startswith("networkx") or peer.startswith("LP")) and big:
                continue  # minutes at 1M invoices (the LP: 185 s at 100k already)
            times = []
            for _ in range(args.runs if not big else 1):
                _, _, text = run_measured([PYTHON, "-c", script, str(pairs)])
                seconds, total = text.split()
                times.append(float(seconds))
                cleared[peer] = int(total)
            row[peer] = statistics.median(times)
        times = []
        for _ in range(0 if long_cycle else args.runs if not big else 1):  # OR-tools alone
            seconds, _, text = run_measured([PYTHON, "-c", BARE_PROCESS, str(csv_path)])
            times.append(seconds)
            cleared["bare process"] = int(text)
        if times:
            row["bare process"] = statistics.median(times)
        assert len(set(cleared.values())) == 1, cleared
        row["cleared"] = next(iter(cleared.values()))
        print(f"  {name}: {row}", flush=True)
        results[name] = row
    results["load"] = [*results["load"], load_note()]  # type: ignore[list-item]
    return results


def _write_cycle(csv_path: Path, pairs: Path, amounts: object) -> None:
    """A cycle m000000 → m000001 → … → m000000: coopledger numbers members in
    the order of their names, so here along the cycle (bench_clearing's m0, m1,
    m10… would scatter it)."""
    import numpy as np

    cents = np.asarray(amounts, dtype=np.int64)
    members = len(cents)
    with csv_path.open("w", encoding="utf-8") as handle:
        handle.write("debtor,creditor,amount,ref\n")
        handle.writelines(
            f"m{i:06d},m{(i + 1) % members:06d},{a // 100}.{a % 100:02d},I{i}\n"
            for i, a in enumerate(cents.tolist())
        )
    ring = np.arange(members, dtype=np.int64)
    supplies = cents - np.roll(cents, 1)  # owes the next one, is owed by the one before
    order = np.argsort(ring * members + (ring + 1) % members)  # pairs in coopledger's order
    np.savez(pairs, tails=ring[order], heads=((ring + 1) % members)[order], caps=cents[order],
             supplies=supplies)  # fmt: skip


def _measured(run_measured, command, env):  # type: ignore[no-untyped-def]
    """bench_clearing.run_measured with `env` for the child (a baseline's PYTHONPATH)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return run_measured(command)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def clearing_lines(results: dict[str, object]) -> list[str]:
    columns: list[str] = []
    for name, row in results.items():
        if name != "load" and isinstance(row, dict):
            columns += [
                c for c in row if c not in columns and c not in ("invoices", "pairs", "cleared")
            ]
    lines = ["| set | invoices | pairs | " + " | ".join(f"{c} s" if "MiB" not in c else c
             for c in columns) + " | coopledger solve / best peer |",
             "|---|---:|---:|" + "---:|" * len(columns) + "---:|"]  # fmt: skip
    for name, row in results.items():
        if name == "load" or not isinstance(row, dict):
            continue
        peers = [row[p] for p in ("networkx network simplex", "LP (HiGHS)") if p in row]
        ratio = f"{row['coopledger solve'] / min(peers):.2f}×" if peers else ""
        cells = [
            ("" if c not in row else f"{row[c]:.0f}" if "MiB" in c else f"{row[c]:.3f}")
            for c in columns
        ]
        lines.append(f"| {name} | {row['invoices']:,} | {row['pairs']:,} | "
                     + " | ".join(cells) + f" | {ratio} |")  # fmt: skip
    return lines


# ---------------------------------------------------------------- main


def publish(marker: str, lines: list[str], load_before: float, write: bool) -> None:
    header = (
        f"Measured on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC with "
        f"`python benchmarks/bench_scale.py {marker.removeprefix('scale-')}` on: {machine()}; "
        f"coopledger {revision()}. Load average (1 min, 2 CPUs) {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after."
    )
    section = "\n".join([header, "", *lines])
    print(section)
    if write:
        replace_marked(REPO / "docs" / "performance.md", marker, section)


def save(what: str, results: dict[str, object]) -> None:
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[what] = {"date": datetime.date.today().isoformat(), "results": results}
    RESULTS.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", help="close, import, clearing (or several, comma-separated)")
    parser.add_argument("--sizes", default="10k,100k", help="close: from " + ",".join(SIZES))
    parser.add_argument("--rows", default="1k,10k,100k", help="import: rows per file")
    parser.add_argument("--cycles", default="10000,40000", help="clearing: members in the cycle")
    parser.add_argument("--invoices", default="10k,100k,1M", help="clearing: random sets")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command")
    parser.add_argument("--baseline", help="also run the code of this git revision")
    parser.add_argument("--baseline-runs", type=int, default=1, help="runs of the baseline")
    parser.add_argument("--baseline-upto", type=int, default=100_000,
                        help="close: no baseline above this many trades")  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/coopledger-bench-scale"))
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    for what in args.what.split(","):
        load_before = os.getloadavg()[0]
        if what == "close":
            results = bench_close(args)
            save(what, results)
            publish("scale-close", close_lines(results), load_before, args.write)  # type: ignore[arg-type]
        elif what == "import":
            results = bench_import(args)
            save(what, results)
            publish("scale-import", import_lines(results), load_before, args.write)
        elif what == "clearing":
            results = bench_clearing(args)
            save(what, results)
            publish("scale-clearing", clearing_lines(results), load_before, args.write)
        else:
            raise SystemExit(f"unknown benchmark {what}")


if __name__ == "__main__":
    main()
