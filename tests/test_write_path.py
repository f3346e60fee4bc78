"""Writes that cannot jam, lose or corrupt the books: one reproducer per refusal.

Each test shows the command, the message, the exit code (1 for a refusal, 3
for the place it runs in: a working tree git would not see) and that nothing
was written or committed:

- closed means closed: no write dated in or before the last closed month, and
  no close that leaves an earlier month with entries open;
- a member id is never the name of a file coopledger writes (`close`...);
- a working tree where git would not see the files written is refused (sparse
  checkout, skip-worktree, assume-unchanged);
- an import equal to trades already recorded is refused, and an import is
  undone by counter-entries the gate accepts;
- what a killed coopledger left (git's lock files, a write half done) is
  finished by the next command, which says so (tests/test_kills.py kills real
  processes at random points).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coopledger.model import accounts
from coopledger.model.closing import CLOSE_FILE_NAME, GATHERED_FILE_NAME
from coopledger.model.invoices import CLEARING_OWNER
from coopledger.model.journal import CURRENCY_FILE, MAIN_FILE
from coopledger.plans.fees import RULES_OWNER
from coopledger.storage import store
from tests.conftest import Coop, bean_check

AFTER_NOVEMBER = ("--today", "2026-12-05")


def unchanged(coop: Coop, log: list[str], tree: dict[str, str]) -> None:
    assert coop.log() == log
    assert coop.status() == ""
    assert files(coop) == tree


def files(coop: Coop) -> dict[str, str]:
    journal = coop.root / "journal"
    found = {
        str(p.relative_to(coop.root)): p.read_text() for p in journal.rglob("*") if p.is_file()
    }
    found["members.yaml"] = coop.read("members.yaml")
    return found


@pytest.fixture
def november_closed(coop: Coop) -> Coop:
    """Trades in September and November, none in October; September and
    November closed (`--with-earlier`), October left open and empty."""
    for args in (("alice", "bob", "5", "--date", "2026-09-10"),
                 ("alice", "bob", "3", "--date", "2026-11-02")):  # fmt: skip
        assert coop.run("trade", *args).code == 0
    result = coop.run(*AFTER_NOVEMBER, "close", "2026-11", "--with-earlier")
    assert result.code == 0, result.text
    return coop


# ---------------------------------------------------------------- closed means closed


def test_a_trade_dated_before_the_last_closed_month_is_refused(november_closed: Coop) -> None:
    coop = november_closed
    log, tree = coop.log(), files(coop)

    result = coop.run(*AFTER_NOVEMBER, "trade", "alice", "bob", "1", "--date", "2026-10-15")

    assert result.code == 1
    assert result.err == (
        "error: journal/2026/10/alice.beancount: this write is dated in 2026-10, but the books "
        "are closed up to 2026-11\n"
        "  → date it after 2026-11 (from 2026-12-01), or correct the books with a new entry "
        "dated today (coopledger reverse TRADE_ID; see 'coopledger help pull-requests')\n"
    )
    unchanged(coop, log, tree)
    # the cooperative is not jammed: the next write goes through, and check agrees
    after = coop.run(*AFTER_NOVEMBER, "trade", "alice", "bob", "1", "--date", "2026-12-02")
    assert after.code == 0, after.text
    assert coop.run(*AFTER_NOVEMBER, "check", "--no-cache").code == 0
    assert bean_check(coop.root).returncode == 0


def test_an_import_with_a_row_before_the_last_closed_month_is_refused(
    november_closed: Coop, tmp_path: Path
) -> None:
    coop = november_closed
    slips = tmp_path / "slips.csv"
    slips.write_text(
        "date,payer,payee,amount,memo\n2026-12-01,bob,alice,2,ok\n2026-10-20,bob,alice,1,late\n"
    )
    log, tree = coop.log(), files(coop)

    result = coop.run(*AFTER_NOVEMBER, "import", str(slips))

    assert result.code == 1
    assert result.err.startswith("error: journal/2026/10/20/bob.import-")
    assert (
        ".beancount: this write is dated in 2026-10, but the books are closed up to 2026-11\n"
        in result.err
    )
    unchanged(coop, log, tree)


def test_apply_rules_for_a_month_before_the_last_closed_month_is_refused(
    november_closed: Coop,
) -> None:
    coop = november_closed
    coop.append("rules.yaml", "accounts:\n  treasury: Assets:Coop:Treasury\n")
    coop.append("rules.yaml", "contribution:\n  person: {amount: 2, per: month}\n")
    coop.commit_all("rules: contributions")
    log, tree = coop.log(), files(coop)

    result = coop.run(*AFTER_NOVEMBER, "apply-rules", "2026-10")

    assert result.code == 1
    assert "this write is dated in 2026-10, but the books are closed up to 2026-11" in result.err
    unchanged(coop, log, tree)


def test_close_refuses_to_leave_an_earlier_month_open(coop: Coop) -> None:
    for day in ("2026-09-10", "2026-11-02"):
        assert coop.run("trade", "alice", "bob", "1", "--date", day).code == 0
    log, tree = coop.log(), files(coop)

    result = coop.run(*AFTER_NOVEMBER, "close", "2026-11")

    assert result.code == 1
    assert result.err == (
        "error: closing 2026-11 would leave earlier months with entries open: 2026-09\n"
        "  → close them too with 'coopledger close 2026-11 --with-earlier', or close them first\n"
    )
    unchanged(coop, log, tree)
    closed = coop.run(*AFTER_NOVEMBER, "close", "2026-11", "--with-earlier")
    assert closed.code == 0, closed.text
    assert coop.log()[0] == "close: 2026-09 to 2026-11"


# ---------------------------------------------------------------- reserved member ids


def test_the_reserved_ids_are_the_names_of_the_files_coopledger_writes() -> None:
    names = {
        CLOSE_FILE_NAME.removesuffix(".beancount"),
        GATHERED_FILE_NAME.removesuffix(".beancount"),
        RULES_OWNER,
        CLEARING_OWNER,
        Path(MAIN_FILE).stem,
        Path(CURRENCY_FILE).parent.name,
        Path(CURRENCY_FILE).stem,
    }
    assert names == set(accounts.RESERVED_MEMBER_IDS)


@pytest.mark.parametrize("member", ["close", "clearing", "main", "coop", "currency"])
def test_a_member_id_that_is_a_file_name_of_coopledger_is_refused(coop: Coop, member: str) -> None:
    log, tree = coop.log(), files(coop)

    result = coop.run("member", "add", member, "--name", "X", "--joined", "2024-01-01")

    assert result.code == 1
    assert result.err == (
        f"error: '{member}' is the name of a file coopledger writes, so it cannot be a member id\n"
        f"  → choose another id, e.g. {member}-1 (reserved: close, clearing, main, coop, "
        "currency)\n"
    )
    unchanged(coop, log, tree)


def test_a_reserved_id_written_by_hand_in_members_yaml_is_a_problem_with_its_line(
    coop: Coop,
) -> None:
    coop.append(
        "members.yaml",
        "  - id: close\n    name: Close\n    kind: person\n    joined: 2024-01-01\n",
    )
    coop.commit_all("members: by hand")
    line = coop.read("members.yaml").splitlines().index("  - id: close") + 1

    result = coop.run("check")

    assert result.code == 1
    assert (
        f"members.yaml:{line}: error: 'close' is the name of a file coopledger writes, "
        "so it cannot be a member id"
    ) in result.out
    log = coop.log()
    refused = coop.run("trade", "alice", "bob", "1")  # nothing written on top of it
    assert refused.code == 1
    assert refused.err.startswith("error: the cooperative's files have problems")
    assert coop.log() == log and coop.status() == ""


# ---------------------------------------------------------------- files git would not see


def test_a_sparse_checkout_is_refused(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "1", "--date", "2026-11-02").code == 0
    coop.git(
        "sparse-checkout",
        "set",
        "--no-cone",
        "/members.yaml",
        "/rules.yaml",
        "/journal/*.beancount",
        "/journal/coop/",
    )
    log = coop.log()

    result = coop.run("trade", "alice", "bob", "1", "--date", "2026-11-03")

    assert result.code == 3  # the place it runs in, as a dirty tree
    assert result.err == (
        "error: this working tree is a sparse checkout: files of the journal are missing from it\n"
        "  → write from a full checkout ('git sparse-checkout disable'), then retry\n"
    )
    assert coop.log() == log and coop.status() == ""
    assert not (coop.root / "journal/2026/11/03").exists()  # nothing written
    coop.git("sparse-checkout", "disable")
    assert coop.run("trade", "alice", "bob", "1", "--date", "2026-11-03").code == 0
    assert coop.read(coop.last_written()).count("Assets:Members:Alice") == 1
    assert len(coop.git("ls-files", "journal/2026/11").split()) == 2


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        (
            "--skip-worktree",
            "error: git is told not to look at members.yaml (1 file(s), skip-worktree)\n"
            "  → run 'git update-index --no-skip-worktree FILE' (or 'git sparse-checkout "
            "disable'), then retry\n",
        ),
        (
            "--assume-unchanged",
            "error: git is told to assume members.yaml unchanged (1 file(s)), "
            "so it would not commit what coopledger writes there\n"
            "  → run 'git update-index --no-assume-unchanged FILE', then retry\n",
        ),
    ],
)
def test_a_file_git_is_told_not_to_look_at_is_refused(coop: Coop, flag: str, words: str) -> None:
    """A trade writes a new file of its own (no flag on it yet); a write to a file
    git already holds (members.yaml, a month's folder for a close) is judged."""
    coop.git("update-index", flag, "members.yaml")
    log, tree = coop.log(), files(coop)

    result = coop.run("member", "add", "dora", "--name", "Dora", "--email", "dora@example.org")

    assert result.code == 3  # the place it runs in, as a dirty tree
    assert result.err == words
    unchanged(coop, log, tree)


# ---------------------------------------------------------------- duplicate imports, undo

SLIPS = """\
date,payer,payee,amount,memo
2026-11-03,alice,fournil,12.50,pain
2026-11-04,bob,alice,30,jardin
"""


def test_importing_the_same_slips_twice_is_refused(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(SLIPS)
    assert coop.run("import", str(slips)).code == 0
    (alice_file,) = [p for p in coop.git("ls-files", "journal").split() if "/alice." in p]
    log, tree = coop.log(), files(coop)

    result = coop.run("import", str(slips))

    assert result.code == 1
    assert (
        f"{slips}:2: error: a trade alice → fournil on 2026-11-03 with the same amount and memo "
        f"is already in the journal ({alice_file}:1); if the file was "
        "imported before, nothing is to be done; if these trades really happened twice, "
        "import again with --allow-duplicates"
    ) in result.err
    assert f"{slips}:3: error: a trade bob → alice on 2026-11-04" in result.err
    unchanged(coop, log, tree)
    again = coop.run("import", str(slips), "--allow-duplicates")
    assert again.code == 0, again.text
    assert "warning: a trade alice → fournil on 2026-11-03" in again.err


def test_an_import_is_undone_by_counter_entries_the_gate_accepts(
    coop: Coop, tmp_path: Path
) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(SLIPS)
    before = json.loads(coop.run("balances", "--json").out)["balances"]
    assert coop.run("import", str(slips)).code == 0
    imported = coop.git("rev-parse", "HEAD").strip()

    result = coop.run("import", "--undo", imported[:10])

    assert result.code == 0, result.text
    assert f"Reversed 2 trade(s) of the import {imported[:8]}" in result.out
    assert json.loads(coop.run("balances", "--json").out)["balances"] == before
    written = coop.git("ls-files", "journal/2026/11").split()
    (alice,) = [coop.read(p) for p in written if "/alice.import-" in p]
    (fournil,) = [coop.read(p) for p in written if "/fournil.undo-" in p]
    trade_ids = [line.split('"')[1] for line in alice.splitlines() if line.startswith("  trade:")]
    assert f'  reverses: "{trade_ids[0]}"' in fournil  # each counter-entry names its original
    assert coop.run("check").code == 0
    assert coop.run("check", "--since", imported).code == 0  # the gate: append-only holds
    # undone once only
    log, tree = coop.log(), files(coop)
    twice = coop.run("import", "--undo", imported)
    assert twice.code == 1
    assert "of this import is already reversed by" in twice.err
    unchanged(coop, log, tree)


def test_undo_of_a_commit_that_added_no_trade_is_refused(coop: Coop) -> None:
    log, tree = coop.log(), files(coop)

    result = coop.run("import", "--undo", "HEAD")

    assert result.code == 1
    assert result.err.startswith(
        f"error: the commit {coop.git('rev-parse', 'HEAD')[:8]} adds no trade to the journal\n"
    )
    unchanged(coop, log, tree)


# ---------------------------------------------------------------- after a killed command


def dead_pid() -> int:
    process = subprocess.run(["true"], check=True)
    del process
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_lock_of_git_left_by_a_killed_coopledger_is_removed_by_the_next_write(
    coop: Coop,
) -> None:
    (coop.root / ".git" / store.LOCK_FILE).write_text(f"pid {dead_pid()}\n")
    (coop.root / ".git" / "index.lock").write_text("")
    (coop.root / ".git" / "HEAD.lock").write_text("")

    result = coop.run("trade", "alice", "bob", "1")

    assert result.code == 0, result.text
    assert ".git/HEAD.lock: warning: removed this lock file of git" in result.err
    assert ".git/index.lock: warning: removed this lock file of git" in result.err
    assert coop.status() == ""
    assert (coop.root / ".git" / store.LOCK_FILE).read_text() == ""


def test_a_lock_of_git_held_by_a_live_process_is_left_alone(coop: Coop) -> None:
    (coop.root / ".git" / store.LOCK_FILE).write_text(f"pid {dead_pid()}\n")
    lock = coop.root / ".git" / "index.lock"
    lock.write_text("")
    with lock.open() as held:  # a git of someone else's, at work
        result = coop.run("trade", "alice", "bob", "1")
        assert held.readable()

    assert result.code == 3  # git refuses: the environment
    assert "index.lock" in result.err
    assert lock.exists()


def test_a_write_half_done_is_rolled_back_by_the_next_command(coop: Coop) -> None:
    """As a `kill -9` between writing the files and committing them leaves it."""
    log = coop.log()
    alice = coop.read("members.yaml")
    record = {
        "pid": dead_pid(),
        "parent": coop.git("rev-parse", "HEAD").strip(),
        "message": "import: 2 trade(s)",
        "files": {"members.yaml": alice, "journal/2026/11/alice.beancount": None},
        "folders": [],
    }
    (coop.root / ".git" / store.WRITE_RECORD).write_text(json.dumps(record))
    (coop.root / ".git" / store.LOCK_FILE).write_text(f"pid {record['pid']}\n")
    coop.write("journal/2026/11/alice.beancount", "half of an import\n")
    coop.write("members.yaml", alice + "# half\n")
    coop.git("add", "members.yaml")

    result = coop.run("check")

    assert result.code == 0, result.text
    assert result.err.startswith(
        "warning: a coopledger command was stopped while writing (import: 2 trade(s)); its 2 "
        "file(s) were put back as they were and nothing of it is committed"
    )
    assert coop.log() == log and coop.status() == ""
    assert not (coop.root / ".git" / store.WRITE_RECORD).exists()


def test_undo_of_a_close_is_refused_though_it_moved_trades_between_files(coop: Coop) -> None:
    for day in ("2026-09-10", "2026-09-12"):
        assert coop.run("trade", "alice", "bob", "1", "--date", day).code == 0
    assert coop.run("close", "2026-09").code == 0  # gathers the month's files into one
    log, tree = coop.log(), files(coop)

    result = coop.run("import", "--undo", "HEAD")

    assert result.code == 1
    assert "adds no trade to the journal" in result.err
    unchanged(coop, log, tree)


def test_the_documented_correction_of_an_entry_before_a_closed_month_passes_the_gate(
    coop: Coop,
) -> None:
    """docs/pull-requests.md: an entry dated before a closed month (written by
    hand) breaks the close's assertions; its counter-entry on the same date,
    added in a pull request, mends them, and the gate accepts it."""
    assert coop.run("trade", "alice", "bob", "3", "--date", "2026-11-02").code == 0
    assert coop.run(*AFTER_NOVEMBER, "close", "2026-11").code == 0
    coop.write(
        "journal/2026/10/alice.beancount",
        '2026-10-15 * "late"\n  trade: "2026-10-15-aaaaaaaa"\n'
        "  Assets:Members:Alice  -1.00 SEL\n  Assets:Members:Bob  1.00 SEL\n",
    )
    coop.commit_all("by hand, before this rule", email="alice@example.org")
    assert coop.run(*AFTER_NOVEMBER, "check", "--no-cache").code == 1  # jammed
    base = coop.git("rev-parse", "HEAD").strip()

    coop.write(
        "journal/2026/10/bob.beancount",
        '2026-10-15 * "reversal of 2026-10-15-aaaaaaaa: dated after the close of 2026-11"\n'
        '  trade: "2026-10-15-bbbbbbbb"\n  reverses: "2026-10-15-aaaaaaaa"\n'
        "  Assets:Members:Bob  -1.00 SEL\n  Assets:Members:Alice  1.00 SEL\n",
    )
    coop.commit_all("correction", email="bob@example.org")

    result = coop.run(*AFTER_NOVEMBER, "check", "--no-cache", "--since", base)
    assert result.code == 0, result.text
    assert bean_check(coop.root).returncode == 0
    after = coop.run(*AFTER_NOVEMBER, "trade", "alice", "bob", "1", "--date", "2026-12-02")
    assert after.code == 0, after.text


def test_import_without_a_file_or_undo_is_refused(coop: Coop) -> None:
    log = coop.log()

    result = coop.run("import")

    assert result.code == 1
    assert result.err == (
        "error: no file to import\n"
        "  → give the CSV file (coopledger import FILE.csv), or --undo COMMIT\n"
    )
    assert coop.log() == log and coop.status() == ""


def test_undo_that_would_break_a_limit_is_refused_whole(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text("date,payer,payee,amount,memo\n2026-11-03,bob,alice,400,x\n")
    assert coop.run("import", str(slips)).code == 0
    imported = coop.git("rev-parse", "HEAD").strip()
    assert coop.run("trade", "alice", "fournil", "600", "--date", "2026-11-04").code == 0
    log, tree = coop.log(), files(coop)

    result = coop.run("import", "--undo", imported)

    assert result.code == 1
    assert result.err.startswith(
        f"error: undoing the import {imported[:8]} is refused: it would break the rules below\n"
    )
    assert "alice's balance would be -600.00 SEL" in result.err
    unchanged(coop, log, tree)


def half_written_trade(coop: Coop) -> str:
    """A trade's new file written and staged, and its write's record in .git, as
    a `kill -9` just before the commit leaves them (its holder dead). Its name."""
    name = "journal/2026/11/alice.beancount"
    coop.write(name, "half of a trade\n")
    coop.git("add", name)
    record = {
        "pid": dead_pid(),
        "parent": coop.git("rev-parse", "HEAD").strip(),
        "message": "trade: alice -> bob 1",
        "files": {name: None},
        "folders": [],
    }
    (coop.root / ".git" / store.WRITE_RECORD).write_text(json.dumps(record))
    (coop.root / ".git" / store.LOCK_FILE).write_text(f"pid {record['pid']}\n")
    return name


def test_a_git_the_killed_write_started_is_waited_for_before_the_roll_back(coop: Coop) -> None:
    """A kill right after starting `git update-index`, before the git's id was
    written in the lock file: that git still holds the index's lock and will
    stage the new file. The next command waits for it, then puts the index back;
    it does not roll back under it (the file gone, the index saying it is added)."""
    log = coop.log()
    name = half_written_trade(coop)
    staged = (coop.root / ".git" / "index").read_bytes()  # the index git is writing
    coop.git("reset", "--quiet", "HEAD", "--", name)
    lock = coop.root / ".git" / "index.lock"
    staging = subprocess.Popen(  # git's way: write index.lock, then rename it over the index
        [
            sys.executable, "-c",
            "import os, sys, time; lock, index = sys.argv[1:3]; "
            "fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL); "
            "os.write(fd, sys.stdin.buffer.read()); time.sleep(1.5); "
            "os.rename(lock, index); os.close(fd)",
            str(lock), str(coop.root / ".git" / "index"),
        ],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    assert staging.stdin is not None
    staging.stdin.write(staged)
    staging.stdin.close()
    while not lock.exists() or lock.stat().st_size < len(staged):
        assert staging.poll() is None
        time.sleep(0.01)

    result = coop.run("check")
    staging.wait(timeout=30)

    assert result.code == 0, result.text
    assert "its 1 file(s) were put back as they were" in result.err
    assert coop.log() == log
    assert coop.status() == ""
    assert not (coop.root / ".git" / store.WRITE_RECORD).exists()


def test_a_roll_back_git_will_not_finish_is_left_for_the_next_command(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a live process holds the index's lock, a killed write cannot be put
    back whole: the command says what git said, and the record of the write stays,
    so the next command rolls it back once the lock is free."""
    monkeypatch.setattr(store, "GIT_WAIT_SECONDS", 0.2)
    log = coop.log()
    half_written_trade(coop)
    lock = coop.root / ".git" / "index.lock"
    lock.write_text("")
    with lock.open():  # someone's git, at work
        refused = coop.run("trade", "alice", "bob", "1")

    assert refused.code == 3, refused.text
    assert "index.lock" in refused.err
    assert (coop.root / ".git" / store.WRITE_RECORD).exists()
    assert coop.log() == log

    result = coop.run("check")  # the lock now free, and left behind

    assert result.code == 0, result.text
    assert "removed this lock file of git" in result.err
    assert "its 1 file(s) were put back as they were" in result.err
    assert coop.log() == log and coop.status() == ""
    assert not (coop.root / ".git" / store.WRITE_RECORD).exists()


def test_a_write_whose_commit_landed_before_the_kill_is_completed(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "1").code == 0
    aside = coop.root / ".coopledger" / "swap" / "new-old-month"
    aside.mkdir(parents=True)
    (aside / "alice.beancount").write_text("the month before the close\n")
    record = {
        "pid": dead_pid(),
        "parent": coop.git("rev-parse", "HEAD~1").strip(),
        "message": "close: 2026-10",
        "files": {},
        "folders": [["journal/2026/10", str(aside), 1]],
    }
    (coop.root / ".git" / store.WRITE_RECORD).write_text(json.dumps(record))
    log, tree = coop.log(), files(coop)

    result = coop.run("balances")

    assert result.code == 0, result.text
    assert result.err == (
        "warning: a coopledger command was stopped just after committing (close: 2026-10); "
        "its write is complete; nothing to do\n"
    )
    unchanged(coop, log, tree)
    assert not aside.exists()  # the old folder, committed away
    assert not (coop.root / ".git" / store.WRITE_RECORD).exists()
