"""Two pull requests conflict only when they change the same entry.

A hosting platform's merge button (GitHub, GitLab) ignores the `merge=union`
of `.gitattributes`. So here `.gitattributes` is gone from the base, as it is
for such a merge: a volunteer's payment and the treasurer's trade by the same
payer in the same month, each on its own branch, merge with a plain
`git merge` because each write has a file of its own
(`journal/YYYY/MM/<owner>.<id>.beancount`, docs/journal-format.md), and the
pull-request gate accepts the merge. With every entry appended to the
payer's month file (the first layout), the same merge stopped on a conflict.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import Coop

ALICE = ("Alice Martin", "alice@example.org")
BOB = ("Bob Durand", "bob@example.org")
MERGER = ("-c", "user.name=Merger", "-c", "user.email=merger@example.org")  # no member
HAND = """2026-11-12 * "jardinage, 2 heures"
  Assets:Members:Alice  -30.00 SEL
  Assets:Members:Bob     30.00 SEL
"""


def without_union_merge(coop: Coop) -> str:
    """Commit the removal of .gitattributes (as the treasurer), as a platform's merge
    button sees the repository; return the base commit of the pull requests."""
    coop.git("rm", "-q", ".gitattributes")
    coop.git("commit", "-qm", "no merge=union: as a hosting platform merges")
    attribute = coop.git("check-attr", "merge", "--", "journal/2026/11/alice.beancount")
    assert attribute.strip().endswith("merge: unspecified")
    return coop.git("rev-parse", "HEAD").strip()


def commit_as(coop: Coop, who: tuple[str, str], message: str) -> None:
    coop.git("add", "--", "journal")
    coop.git("-c", f"user.name={who[0]}", "-c", f"user.email={who[1]}", "commit", "-qm", message)


def merge(coop: Coop, branch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *MERGER, "merge", "--no-edit", branch],
        cwd=coop.root,
        capture_output=True,
        text=True,
        check=False,
    )


def balance(coop: Coop, member: str) -> str:
    shown = coop.run("balances", "--json", "--at", "2026-11-30")
    return str(json.loads(shown.out)["balances"][member])


@pytest.mark.parametrize("month_file_existed", [False, True], ids=["new-month", "file-existed"])
def test_a_volunteers_trade_and_the_treasurers_by_the_same_payer_merge_without_union(
    coop: Coop, month_file_existed: bool
) -> None:
    if month_file_existed:  # alice's month file of the first layout, with an entry
        coop.write("journal/2026/11/alice.beancount", HAND.replace("2026-11-12", "2026-11-02"))
        commit_as(coop, ALICE, "alice pays bob 30, by hand")
    base = without_union_merge(coop)
    coop.git("switch", "-qc", "volunteer")
    # alice records her own payment with coopledger, on her clone's branch
    coop.git("config", "user.email", ALICE[1])
    assert coop.run("trade", "alice", "bob", "12", "--date", "2026-11-15", "-m", "pain").code == 0
    coop.git("config", "user.email", "tresa@example.org")
    coop.git("switch", "-q", "main")
    # meanwhile the treasurer records a paper slip: alice pays fournil
    recorded = coop.run("trade", "alice", "fournil", "7", "--date", "2026-11-16", "-m", "bon")
    assert recorded.code == 0

    merged = merge(coop, "volunteer")

    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    assert coop.status() == ""
    gate = coop.run("check", "--since", base)
    assert gate.code == 0, gate.text
    paid_before = 30 if month_file_existed else 0
    assert balance(coop, "alice") == f"-{19 + paid_before}.00"


def test_a_hand_written_payment_in_a_file_of_its_own_and_a_trade_merge_and_pass_the_gate(
    coop: Coop,
) -> None:
    base = without_union_merge(coop)
    coop.git("switch", "-qc", "by-hand")
    coop.write("journal/2026/11/alice.jardinage.beancount", HAND)  # as docs/journal-format.md says
    commit_as(coop, ALICE, "alice pays bob 30: jardinage")
    coop.git("switch", "-q", "main")
    assert coop.run("trade", "alice", "fournil", "7", "--date", "2026-11-12").code == 0

    merged = merge(coop, "by-hand")

    assert merged.returncode == 0, merged.stdout + merged.stderr
    gate = coop.run("check", "--since", base)
    assert gate.code == 0, gate.text
    assert balance(coop, "alice") == "-37.00"


def test_a_file_of_ones_own_does_not_let_a_volunteer_spend_from_another_account(
    coop: Coop,
) -> None:
    base = without_union_merge(coop)
    coop.git("switch", "-qc", "by-hand")
    coop.write("journal/2026/11/bob.jardinage.beancount", HAND)  # bob's file, alice's money
    commit_as(coop, BOB, "bob takes 30 from alice")

    gate = coop.run("check", "--since", base)

    assert gate.code == 1
    assert gate.out.startswith("journal/2026/11/bob.jardinage.beancount:1: error: commit ")
    assert "adds an entry that takes units from alice's account" in gate.out


def test_two_branches_changing_the_same_entry_still_conflict(coop: Coop) -> None:
    """The layout hides no real conflict: the same entry changed two ways stops the merge."""
    coop.write("journal/2026/11/alice.jardinage.beancount", HAND)
    commit_as(coop, ALICE, "alice pays bob 30")
    without_union_merge(coop)
    coop.git("switch", "-qc", "other")
    coop.write("journal/2026/11/alice.jardinage.beancount", HAND.replace("30.00", "31.00"))
    commit_as(coop, ALICE, "31")
    coop.git("switch", "-q", "main")
    coop.write("journal/2026/11/alice.jardinage.beancount", HAND.replace("30.00", "32.00"))
    commit_as(coop, ALICE, "32")

    merged = merge(coop, "other")

    assert merged.returncode != 0
    assert "CONFLICT" in merged.stdout
