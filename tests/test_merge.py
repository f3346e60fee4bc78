"""Two branches that add trades in the same month merge with a plain `git merge`.

Each trade coopledger writes has a file of its own
(journal/YYYY/MM/DD/<payer>.<id>.beancount), so two branches touch different
files; two entries appended by hand to one month file of the first layout
(journal/YYYY/MM/<payer>.beancount) are both kept by the `merge=union`
attribute that init writes. tests/test_layout_merge.py merges without it.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Coop

BY_HAND = """
2025-01-20 * "cours de guitare"
  Assets:Members:{payer}   -30.00 SEL
  Assets:Members:Tresa      30.00 SEL
"""


def merge(coop: Coop, branch: str) -> str:
    return coop.git(
        "-c", "user.name=Merger", "-c", "user.email=merger@example.org",
        "merge", "--no-edit", branch,
    )  # fmt: skip


def balances(coop: Coop) -> dict[str, str]:
    return json.loads(coop.run("balances", "--json", "--at", "2025-12-31").out)["balances"]


@pytest.mark.parametrize("hand_payer", ["bob", "alice"], ids=["different-payers", "same-payer"])
@pytest.mark.parametrize("earlier_entry", [True, False], ids=["file-existed", "new-file"])
def test_branches_adding_trades_in_the_same_month_merge_cleanly(
    coop: Coop, hand_payer: str, earlier_entry: bool
) -> None:
    if earlier_entry:
        assert coop.run("trade", "alice", "fournil", "5", "--date", "2025-01-02").code == 0
    coop.git("branch", "by-hand")

    # on main: a trade recorded with coopledger
    assert coop.run("trade", "alice", "bob", "12", "--date", "2025-01-15", "-m", "pain").code == 0

    # on another branch: a volunteer writes an entry by hand and commits it
    coop.git("switch", "-q", "by-hand")
    path = f"journal/2025/01/{hand_payer}.beancount"
    coop.append(path, BY_HAND.format(payer=hand_payer.capitalize()))
    coop.commit_all(f"by hand: {hand_payer} pays tresa 30")
    coop.git("switch", "-q", "main")

    merge(coop, "by-hand")

    assert coop.status() == ""
    for name in coop.git("ls-files", "journal/2025/01").splitlines():
        assert "<<<<<<<" not in coop.read(name)
    check = coop.run("check")
    assert check.code == 0, check.text
    paid_before = 5 if earlier_entry else 0
    expected_alice = -12 - paid_before - (30 if hand_payer == "alice" else 0)
    assert balances(coop)["alice"] == f"{expected_alice}.00"
    assert balances(coop)["tresa"] == "30.00"
    assert coop.run("trade", "bob", "alice", "1", "--date", "2025-01-31").code == 0


def test_two_coopledger_trades_on_two_branches_by_the_same_payer(coop: Coop) -> None:
    assert coop.run("trade", "alice", "fournil", "5", "--date", "2025-01-02").code == 0
    coop.git("branch", "other")
    assert coop.run("trade", "alice", "bob", "12", "--date", "2025-01-15").code == 0
    coop.git("switch", "-q", "other")
    assert coop.run("trade", "alice", "fournil", "7", "--date", "2025-01-16").code == 0
    coop.git("switch", "-q", "main")

    merge(coop, "other")

    assert coop.status() == ""
    assert coop.run("check").code == 0
    assert balances(coop)["alice"] == "-24.00"
    written = coop.git("ls-files", "journal/2025/01").splitlines()
    assert [name.split("/")[-1].split(".")[0] for name in written] == ["alice"] * 3


def test_a_merge_that_together_breaks_a_limit_is_caught_by_check(coop: Coop) -> None:
    """Each branch is valid alone; merged, alice is below her floor: check says where."""
    coop.git("branch", "other")
    assert coop.run("trade", "alice", "bob", "300", "--date", "2025-01-15").code == 0
    coop.git("switch", "-q", "other")
    assert coop.run("trade", "alice", "fournil", "300", "--date", "2025-01-16").code == 0
    coop.git("switch", "-q", "main")

    merge(coop, "other")

    check = coop.run("check")
    assert check.code == 1
    assert "journal/2025/01/16/alice.2025-01-16-" in check.out
    assert "alice's balance would be -600.00 SEL at the end of 2025-01-16" in check.out


def test_two_hand_written_entries_appended_to_one_month_file_merge_by_union(coop: Coop) -> None:
    """The first layout: both branches append to alice's month file; `merge=union`
    (from init's .gitattributes) keeps both sides' lines in a local merge."""
    coop.append("journal/2025/01/alice.beancount", BY_HAND.format(payer="Alice"))
    coop.commit_all("alice pays tresa 30")
    coop.git("branch", "other")
    coop.append("journal/2025/01/alice.beancount", BY_HAND.format(payer="Alice"))
    coop.commit_all("again on main")
    coop.git("switch", "-q", "other")
    other = BY_HAND.format(payer="Alice").replace("30", "31").replace("-20", "-21")
    coop.append("journal/2025/01/alice.beancount", other.replace("guitare", "piano"))
    coop.commit_all("another on the branch")
    coop.git("switch", "-q", "main")

    merge(coop, "other")

    assert coop.status() == ""
    assert coop.read("journal/2025/01/alice.beancount").count("cours de") == 3
    assert coop.run("check").code == 0
    assert balances(coop)["alice"] == "-91.00"
