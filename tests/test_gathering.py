"""A closed month's files are gathered into one, `_month.beancount`.

`coopledger close` writes the month's close and, in the same commit, replaces
the month's folder by one holding the gathered file, the close, and the files
with invoices as they were. The entries do not change, so every check, bean-check
and the pull-request gate see the same cooperative; git's index then grows with
the open months only (docs/scaling.md).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest
from beancount import loader

from coopledger.storage import folders
from tests.conftest import Builds, Coop
from tests.test_gate import TRESA, commit_as

SEPTEMBER = "journal/2026/09"
GATHERED = f"{SEPTEMBER}/_month.beancount"


@pytest.fixture
def october(builds: Builds, coop: Coop) -> Coop:
    """`coop` after `trades_through_october` (`Builds.after`)."""
    return builds.after("trades-through-october", coop, trades_through_october)


def trades_through_october(coop: Coop) -> None:
    for args in (
        ("alice", "bob", "300", "--date", "2026-08-05"),
        ("alice", "fournil", "150", "--date", "2026-09-10"),
        ("bob", "fournil", "20", "--date", "2026-09-12"),
        ("fournil", "alice", "7.50", "--date", "2026-09-30"),
        ("bob", "fournil", "20", "--date", "2026-10-02"),
    ):
        assert coop.run("trade", *args).code == 0


def listing(coop: Coop, folder: str) -> list[str]:
    """The files under `folder`, its days' folders included (`10/alice.<id>.beancount`)."""
    top = coop.root / folder
    return sorted(
        str(Path(here, name).relative_to(top)) for here, _, names in os.walk(top) for name in names
    )


def written(coop: Coop, folder: str, payer: str) -> str:
    """The one file of `folder` a trade of `payer` was written to."""
    (name,) = [n for n in listing(coop, folder) if n.split("/")[-1].startswith(f"{payer}.")]
    return f"{folder}/{name}"


def balances(coop: Coop) -> dict[str, str]:
    result = coop.run("balances", "--json")
    assert result.code == 0, result.text
    return dict(json.loads(result.out)["balances"])


def test_close_gathers_the_months_files_into_one_file_in_the_same_commit(coop: Coop) -> None:
    trades_through_october(coop)
    before = {name: coop.read(f"{SEPTEMBER}/{name}") for name in listing(coop, SEPTEMBER)}
    alice = written(coop, SEPTEMBER, "alice")
    bob_october = written(coop, "journal/2026/10", "bob")
    balances_before = balances(coop)

    result = coop.run("close", "2026-09", "--with-earlier")

    assert result.code == 0, result.text
    assert f"  {SEPTEMBER}: the month's files gathered into _month.beancount" in result.out
    assert listing(coop, SEPTEMBER) == ["_month.beancount", "close.beancount"]
    assert listing(coop, "journal/2026/08") == ["_month.beancount", "close.beancount"]
    gathered = coop.read(GATHERED)
    for name, text in before.items():  # each file's text, whole, after its name
        assert f"; ---- {name}\n{text}" in gathered
    assert coop.log()[0] == "close: 2026-08 to 2026-09" and coop.status() == ""
    changed = coop.git("show", "--name-status", "--format=", "HEAD").splitlines()
    assert f"D\t{alice}" in changed and f"A\t{GATHERED}" in changed
    assert bob_october in coop.git("ls-files")  # the open month as it was
    _, errors, _ = loader.load_file(str(coop.root / "journal/main.beancount"))
    assert errors == []  # bean-check agrees: the closing balances hold
    assert balances(coop) == balances_before
    for args in (("check",), ("check", "--full")):
        checked = coop.run(*args)
        assert checked.code == 0 and "ok: 4 members, 5 trades" in checked.out, checked.text


def test_close_keep_files_leaves_each_file_as_it_is(october: Coop) -> None:
    coop = october
    before = listing(coop, SEPTEMBER)

    result = coop.run("close", "2026-09", "--keep-files", "--with-earlier")

    assert result.code == 0, result.text
    assert "gathered" not in result.out
    assert listing(coop, SEPTEMBER) == sorted([*before, "close.beancount"])
    assert coop.run("check").code == 0


def test_the_files_holding_invoices_stay_as_they_are(october: Coop) -> None:
    coop = october
    invoiced = coop.run("invoice", "bob", "alice", "80", "--ref", "F-9", "--date", "2026-09-03")
    assert invoiced.code == 0, invoiced.text
    name = "03/alice.invoice-f-9.beancount"  # the creditor's file of the invoice
    invoice_file = f"{SEPTEMBER}/{name}"
    text = coop.read(invoice_file)

    assert coop.run("close", "2026-09", "--with-earlier").code == 0

    assert listing(coop, SEPTEMBER) == [name, "_month.beancount", "close.beancount"]
    assert coop.read(invoice_file) == text
    assert f'invoices: "{name}"' in coop.read(f"{SEPTEMBER}/close.beancount")
    assert f"; ---- {name}" not in coop.read(GATHERED)
    assert coop.run("check").code == 0


def test_a_file_with_a_pushtag_is_not_gathered(october: Coop) -> None:
    """pushtag reaches every entry after it in its file: gathered, it would reach
    the files after it, so the month keeps its files."""
    coop = october
    coop.write(
        f"{SEPTEMBER}/bob-notes.beancount",
        "pushtag #market\n"
        '2026-09-20 * "by hand"\n'
        "  Assets:Members:Bob  -1.00 SEL\n  Assets:Members:Alice  1.00 SEL\n"
        "poptag #market\n",
    )
    coop.commit_all()

    result = coop.run("close", "2026-09", "--with-earlier")

    assert result.code == 0, result.text
    assert f"{SEPTEMBER}: the month's files gathered" not in result.out
    assert "bob-notes.beancount" in listing(coop, SEPTEMBER)
    assert "_month.beancount" not in listing(coop, SEPTEMBER)
    assert coop.run("check").code == 0


def test_the_gate_accepts_a_treasurers_close_that_gathers(october: Coop, tmp_path: Path) -> None:
    coop = october
    base = coop.git("rev-parse", "HEAD").strip()
    assert coop.run("close", "2026-09", "--with-earlier").code == 0
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(coop.root), str(clone)], check=True)

    result = Coop(clone, coop.capsys).run("check", "--since", base)

    assert result.code == 0, result.text


def test_the_gate_refuses_a_close_that_changes_an_entry_while_gathering(october: Coop) -> None:
    coop = october
    alice = written(coop, SEPTEMBER, "alice")
    base = coop.git("rev-parse", "HEAD").strip()
    assert coop.run("close", "2026-09", "--with-earlier").code == 0
    coop.write(GATHERED, coop.read(GATHERED).replace("150.00 SEL", "140.00 SEL"))
    coop.git("add", "-A")
    coop.git(
        "-c", f"user.name={TRESA[0]}", "-c", f"user.email={TRESA[1]}",
        "commit", "-q", "--amend", "--no-edit",
    )  # fmt: skip

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert f"{alice}:1: error: commit " in result.out
    assert "removes the entry of 2026-09-10" in result.out


def test_moving_entries_between_files_is_no_close(october: Coop) -> None:
    """Only a close gathers: moving an entry to another file is a removal."""
    coop = october
    base = coop.git("rev-parse", "HEAD").strip()
    october = written(coop, "journal/2026/10", "bob")
    coop.write("journal/2026/10/bob-moved.beancount", coop.read(october))
    (coop.root / october).unlink()
    commit_as(coop, TRESA, "tidy")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert f"{october}:1: error: commit " in result.out and "removes the entry" in result.out


def test_a_failed_commit_puts_the_month_back_as_it_was(october: Coop) -> None:
    coop = october
    before = {name: coop.read(f"{SEPTEMBER}/{name}") for name in listing(coop, SEPTEMBER)}
    log = coop.log()
    (coop.root / ".git/index.lock").write_text("another git is running")

    result = coop.run("close", "2026-09", "--with-earlier")

    assert result.code != 0
    assert "index.lock" in result.err
    (coop.root / ".git/index.lock").unlink()
    assert {name: coop.read(f"{SEPTEMBER}/{name}") for name in listing(coop, SEPTEMBER)} == before
    assert coop.log() == log and coop.status() == ""
    assert listing(coop, ".coopledger/swap") == []


def test_what_a_crash_left_aside_is_never_read_and_is_cleared(october: Coop) -> None:
    """A crash after the swap leaves the old folder in .coopledger/swap: git
    ignores it, beancount does not read it, the next close clears it."""
    coop = october
    coop.write(".coopledger/swap/new-x/alice.beancount", "not beancount at all\n")

    assert coop.run("check").code == 0
    assert coop.status() == ""
    assert coop.run("close", "2026-09", "--with-earlier").code == 0
    assert listing(coop, ".coopledger/swap") == []


def test_after_a_close_gits_index_no_longer_holds_the_gathered_files(october: Coop) -> None:
    """git keeps most of its index in a shared file that it rewrites only now
    and then: the close has it rewritten, or every later git command would
    still read the thousands of files it removed."""
    coop = october
    alice, bob_october = written(coop, SEPTEMBER, "alice"), written(coop, "journal/2026/10", "bob")
    # as in a big journal, where what a close adds is little against what git's index holds
    coop.git("config", "splitIndex.maxPercentChange", "100")

    assert coop.run("close", "2026-09", "--with-earlier").code == 0

    shared = coop.root / coop.git("rev-parse", "--shared-index-path").strip()
    index = shared.read_bytes() + (coop.root / ".git/index").read_bytes()
    assert alice.encode() not in index
    assert GATHERED.encode() in index
    assert bob_october in coop.git("ls-files")


def test_a_disk_that_fills_up_while_the_month_is_built_aside_changes_nothing(
    october: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop = october
    before = {name: coop.read(f"{SEPTEMBER}/{name}") for name in listing(coop, SEPTEMBER)}
    log = coop.log()

    def full_disk(root: Path, *args: object) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(root / ".coopledger/swap/new"))

    monkeypatch.setattr(folders, "build_aside", full_disk)
    result = coop.run("close", "2026-09", "--with-earlier")

    assert result.code == 3  # the environment: the disk
    assert result.err.startswith(
        "error: could not write .coopledger/swap/new: No space left on device"
    )
    assert "free some disk space" in result.err
    assert {name: coop.read(f"{SEPTEMBER}/{name}") for name in listing(coop, SEPTEMBER)} == before
    assert coop.log() == log and coop.status() == ""
