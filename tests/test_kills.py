"""Writes killed at random points: the books are whole after every kill.

Each test runs a writing command as a real process (`python -m coopledger`),
kills it with SIGKILL after a random short delay (a few iterations, fixed
seeds), then runs `coopledger check`, which finishes what the killed command
left (rolls its write back, or completes it if its commit landed). After each
kill:

- the working tree is the last commit (git sees nothing changed), and `check`
  and bean-check accept it;
- the write landed whole (one commit) or not at all: no trade lost or doubled;
- the next write goes through (no lock of ours or of git stays behind).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from coopledger.storage import store
from tests.conftest import Coop, bean_check

ITERATIONS = 4
TRADE_ID = re.compile(r'^  trade: "([^"]+)"', re.MULTILINE)


def trade_ids(coop: Coop) -> Counter[str]:
    """Every trade id in the journal, with how often it is there."""
    found: Counter[str] = Counter()
    for path in (coop.root / "journal").rglob("*.beancount"):
        found.update(TRADE_ID.findall(path.read_text(encoding="utf-8")))
    return found


def head(coop: Coop) -> str:
    return coop.git("rev-parse", "HEAD").strip()


def killed(coop: Coop, args: list[str], delay: float, *, in_write: bool = False) -> float:
    """Run coopledger `args` as a process and SIGKILL it `delay` seconds after it
    started or, `in_write`, after it began writing (its record appeared in
    .git), unless it ended before. Returns how long it ran."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "coopledger", "--dir", str(coop.root), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    record = coop.root / ".git" / store.WRITE_RECORD
    while in_write and process.poll() is None and not record.exists():
        time.sleep(0.001)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    return time.monotonic() - started


def assert_whole(coop: Coop, before: str) -> bool:
    """After a kill: the next command finishes what was left, git sees the
    working tree as the last commit, both checks pass. Whether it landed."""
    result = coop.run("check")
    assert result.code == 0, result.text
    assert coop.status() == ""
    assert bean_check(coop.root).returncode == 0
    assert not (coop.root / ".git" / store.WRITE_RECORD).exists()
    assert not (coop.root / ".git" / "index.lock").exists()
    assert not (coop.root / ".git" / "HEAD.lock").exists()
    landed = head(coop) != before
    if landed:
        assert coop.git("rev-parse", "HEAD~1").strip() == before  # one commit, whole
    ids = trade_ids(coop)
    assert all(count == 1 for count in ids.values()), ids.most_common(3)  # nothing doubled
    return landed


def run_killed(
    coop: Coop,
    seed: int,
    command: Callable[[int], list[str]],
    expected: Callable[[int, Counter[str], Counter[str]], None],
    prepare: Callable[[int], None] = lambda i: None,
    write_time: float = 0.1,
) -> None:
    """Calibrate how long `command(i)` takes, then kill it at random points: in
    odd rounds anywhere from half its time on, in even ones while it writes (up
    to `write_time` of its time after its record of the write appeared)."""
    randomness = random.Random(seed)
    prepare(0)
    before, ids = head(coop), trade_ids(coop)
    duration = killed(coop, command(0), 600)
    assert assert_whole(coop, before)
    expected(0, ids, trade_ids(coop))
    for i in range(1, ITERATIONS + 1):
        prepare(i)
        before, ids = head(coop), trade_ids(coop)
        if i % 2:  # anywhere in the run
            killed(coop, command(i), randomness.uniform(0.5, 1.05) * duration)
        else:  # while it writes and commits
            killed(coop, command(i), randomness.uniform(0, write_time) * duration, in_write=True)
        if assert_whole(coop, before):
            expected(i, ids, trade_ids(coop))
        else:
            assert trade_ids(coop) == ids  # nothing of it left
            result = coop.run(*command(i))  # the next write goes through
            assert result.code == 0, result.text
            expected(i, ids, trade_ids(coop))
    assert coop.status() == ""


# ---------------------------------------------------------------- the commands


def slips(tmp_path: Path, i: int, rows: int = 400) -> str:
    """An import file: `rows` small trades over nine months and four payers."""
    members = ["alice", "bob", "fournil", "tresa"]
    lines = ["date,payer,payee,amount,memo"]
    for row in range(rows):
        payer = members[row % 4]
        payee = members[(row + 1 + i % 3) % 4]
        lines.append(f"2026-{1 + row % 9:02d}-{1 + row % 27:02d},{payer},{payee},0.25,r{i}-{row}")
    path = tmp_path / f"slips-{i}.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_import_killed_at_random_lands_whole_or_not_at_all(
    coop: Coop, tmp_path: Path, seed: int
) -> None:
    def added_all(i: int, before: Counter[str], after: Counter[str]) -> None:
        assert sum(after.values()) == sum(before.values()) + 400

    run_killed(coop, seed, lambda i: ["import", slips(tmp_path, i)], added_all)


@pytest.mark.slow
def test_trade_killed_at_random_lands_whole_or_not_at_all(coop: Coop) -> None:
    def added_one(i: int, before: Counter[str], after: Counter[str]) -> None:
        assert sum(after.values()) == sum(before.values()) + 1

    run_killed(
        coop,
        3,
        lambda i: ["trade", "alice", "bob", "1", "--date", f"2026-11-{1 + i:02d}", "-m", f"t{i}"],
        added_one,
        write_time=0.02,
    )


@pytest.mark.slow
def test_close_killed_at_random_closes_whole_or_not_at_all(coop: Coop, tmp_path: Path) -> None:
    result = coop.run("import", slips(tmp_path, 99, rows=200))
    assert result.code == 0, result.text

    def same_trades(i: int, before: Counter[str], after: Counter[str]) -> None:
        assert after == before  # a close moves trades into one file: none lost, none doubled
        assert (coop.root / f"journal/2026/{1 + i:02d}/close.beancount").is_file()

    run_killed(coop, 4, lambda i: ["close", f"2026-{1 + i:02d}", "--with-earlier"], same_trades)


@pytest.mark.slow
def test_clear_apply_killed_at_random_clears_whole_or_not_at_all(coop: Coop) -> None:
    def triangle(i: int) -> None:
        for payer, payee, amount in (("alice", "bob", "10"), ("bob", "fournil", "7"),
                                     ("fournil", "alice", "4")):  # fmt: skip
            result = coop.run(
                "invoice", payer, payee, amount, "--ref", f"{payer[0]}{i}", "--date", "2026-11-03"
            )
            assert result.code == 0, result.text

    def cleared(i: int, before: Counter[str], after: Counter[str]) -> None:
        files = coop.git("ls-files", "journal/2026/11").split()
        text = "".join(coop.read(p) for p in files if "/clearing." in p)
        ids = re.findall(r'^  clearing: "([^"]+)"', text, re.MULTILINE)
        assert len(set(ids)) == i + 1  # one clearing a round, none doubled

    run_killed(coop, 5, lambda i: ["clear", "--date", "2026-11-30", "--apply"], cleared, triangle)
