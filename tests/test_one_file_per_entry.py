"""One file per write in the open period, in the folder of its day; `close` gathers them.

`coopledger trade` writes `journal/YYYY/MM/DD/<payer>.<trade id>.beancount`
(docs/journal-format.md, "Where an entry goes"); a close gathers the month's
files and its days' folders into `_month.beancount` in the same commit, the
close's fingerprint covers the days' folders, and the gate sees the gathering
as a move. Month files of the first layout are read and gathered as before.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path

import pytest

from coopledger.model.journal import entry_file
from tests.conftest import Builds, Coop, bean_check
from tests.test_gate import ALICE, BOB, commit_as

OCTOBER = "journal/2026/10"
CARRIED = "Months up to 2026-10 are closed and unchanged"
BY_HAND = """2026-10-20 * "by hand"
  Assets:Members:Bob    -2.00 SEL
  Assets:Members:Alice   2.00 SEL
"""


def files_under(coop: Coop, folder: str) -> list[str]:
    top = coop.root / folder
    return sorted(
        str(Path(here, name).relative_to(top)) for here, _, names in os.walk(top) for name in names
    )


@pytest.fixture
def october(builds: Builds, coop: Coop) -> Coop:
    """`coop` after `trades_in_october` (`Builds.after`)."""
    return builds.after("trades-in-october", coop, trades_in_october)


def trades_in_october(coop: Coop) -> None:
    coop.write(f"{OCTOBER}/bob.beancount", BY_HAND)  # a month file of the first layout
    coop.commit_all("bob pays alice 2, by hand, in bob's month file")
    for args in (
        ("alice", "bob", "30", "--date", "2026-10-05"),
        ("alice", "fournil", "12", "--date", "2026-10-05"),
        ("fournil", "alice", "7.50", "--date", "2026-10-30"),
    ):
        assert coop.run("trade", *args).code == 0


def test_a_trade_gets_a_file_of_its_own_in_its_days_folder(coop: Coop) -> None:
    result = coop.run("trade", "alice", "bob", "12", "--date", "2026-11-03", "-m", "pain")

    assert result.code == 0, result.text
    (name,) = files_under(coop, "journal/2026/11")
    trade_id = name.split(".")[1]
    assert name == f"03/alice.{trade_id}.beancount"
    assert entry_file(datetime.date(2026, 11, 3), "alice", trade_id) == f"journal/2026/11/{name}"
    assert f'trade: "{trade_id}"' in coop.read(f"journal/2026/11/{name}")
    assert coop.status() == ""
    assert bean_check(coop.root).returncode == 0


def test_close_gathers_the_days_folders_and_the_month_files_into_one(coop: Coop) -> None:
    trades_in_october(coop)
    assert len(files_under(coop, OCTOBER)) == 4  # bob.beancount, 05/ (2 files), 30/
    base = coop.git("rev-parse", "HEAD").strip()

    result = coop.run("close", "2026-10")

    assert result.code == 0, result.text
    assert files_under(coop, OCTOBER) == ["_month.beancount", "close.beancount"]
    gathered = coop.read(f"{OCTOBER}/_month.beancount")
    assert "; ---- bob.beancount\n" in gathered and "; ---- 05/alice.2026-10-05-" in gathered
    assert coop.status() == ""
    assert coop.run("check", "--since", base).code == 0  # the gate: a move, not a removal
    checked = coop.run("--verbose", "check")
    assert checked.code == 0 and CARRIED in checked.out, checked.text
    assert "ok: 4 members, 4 trades" in coop.run("check", "--full").out


def test_close_keep_files_keeps_the_days_folders_and_carries_the_month(october: Coop) -> None:
    coop = october
    before = files_under(coop, OCTOBER)

    assert coop.run("close", "2026-10", "--keep-files").code == 0

    assert files_under(coop, OCTOBER) == sorted([*before, "close.beancount"])
    assert 'folder: "sha256:' in coop.read(f"{OCTOBER}/close.beancount")
    checked = coop.run("check")
    assert checked.code == 0 and CARRIED in checked.out, checked.text


def test_an_entry_added_in_a_days_folder_of_a_closed_month_is_reported(october: Coop) -> None:
    """The open period skips the closed months' folders with their days' folders:
    the close's fingerprint must cover those, or this entry would go unseen."""
    coop = october
    assert coop.run("close", "2026-10", "--keep-files").code == 0
    coop.write(f"{OCTOBER}/05/bob.later.beancount", BY_HAND.replace("2.00", "3.00"))
    coop.commit_all("an entry slipped into a closed month")

    result = coop.run("check")

    assert result.code == 1
    assert f"{OCTOBER}/05/bob.later.beancount:1: error:" in result.out
    assert CARRIED not in result.out


def test_the_gate_refuses_a_volunteers_file_in_a_days_folder_of_a_closed_month(
    october: Coop,
) -> None:
    coop = october
    assert coop.run("close", "2026-10").code == 0
    base = coop.git("rev-parse", "HEAD").strip()
    coop.write(f"{OCTOBER}/20/bob.jardinage.beancount", BY_HAND)
    commit_as(coop, BOB, "bob pays alice in a closed month")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert f"{OCTOBER}/20/bob.jardinage.beancount:1: error: commit " in result.out
    assert "2026-10" in result.out


def test_a_volunteer_cannot_pass_off_a_removal_as_a_gathering(coop: Coop) -> None:
    """Only a treasurer's close moves entries within a month: alice moving an entry
    of a day's folder into another file of the month removes it."""
    base_trades = coop.run("trade", "alice", "bob", "5", "--date", "2026-11-03")
    assert base_trades.code == 0
    (name,) = files_under(coop, "journal/2026/11")
    base = coop.git("rev-parse", "HEAD").strip()
    moved = coop.read(f"journal/2026/11/{name}")
    (coop.root / "journal/2026/11" / name).unlink()
    coop.write("journal/2026/11/alice.beancount", moved)
    commit_as(coop, ALICE, "tidy")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert "removes the entry" in result.out


def test_a_days_folder_holding_something_else_is_not_gathered(october: Coop) -> None:
    """A close replaces the month's folder whole: a day's folder holding a file it
    would not gather (notes.txt) keeps the month's files as they are."""
    coop = october
    coop.write(f"{OCTOBER}/05/notes.txt", "receipts in the blue folder\n")
    coop.commit_all("notes")

    result = coop.run("close", "2026-10")

    assert result.code == 0, result.text
    assert "gathered" not in result.out
    assert coop.read(f"{OCTOBER}/05/notes.txt") == "receipts in the blue folder\n"
    assert "_month.beancount" not in os.listdir(coop.root / OCTOBER)
    assert coop.run("check").code == 0


def test_invoices_in_a_days_folder_stay_there_when_the_month_is_gathered(october: Coop) -> None:
    coop = october
    invoiced = coop.run("invoice", "bob", "alice", "80", "--ref", "F-9", "--date", "2026-10-03")
    assert invoiced.code == 0, invoiced.text
    invoice_file = "03/alice.invoice-f-9.beancount"
    text = coop.read(f"{OCTOBER}/{invoice_file}")

    assert coop.run("close", "2026-10").code == 0

    assert files_under(coop, OCTOBER) == [invoice_file, "_month.beancount", "close.beancount"]
    assert coop.read(f"{OCTOBER}/{invoice_file}") == text
    assert f'invoices: "{invoice_file}"' in coop.read(f"{OCTOBER}/close.beancount")
    checked = coop.run("check")
    assert checked.code == 0 and CARRIED in checked.out, checked.text
    assert coop.run("invoices", "--open").code == 0


def test_a_clone_judges_the_close_of_days_folders_as_the_gate_does(
    october: Coop, tmp_path: Path
) -> None:
    coop = october
    base = coop.git("rev-parse", "HEAD").strip()
    assert coop.run("close", "2026-10").code == 0
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(coop.root), str(clone)], check=True)

    result = Coop(clone, coop.capsys).run("check", "--since", base)

    assert result.code == 0, result.text
