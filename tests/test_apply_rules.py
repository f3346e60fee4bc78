"""`coopledger apply-rules YYYY-MM`: demurrage and contributions, hand-computed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Builds, Coop, bean_check
from tests.test_docs import REPO, blocks, run_blocks, section

RULES = """\
accounts:
  treasury: Assets:Coop:Treasury
demurrage: {percent: 1, above: 100}
contribution:
  person: {amount: 2, per: month}
  business: {amount: 24, per: year, month: 10}
"""

OCTOBER_ENTRIES = """\
2025-10-31 * "demurrage 2025-10: 1% a month of balances above 100.00 SEL"
  rule: "demurrage"
  period: "2025-10"
  Assets:Members:Fournil   -4.50 SEL
  Assets:Coop:Treasury      4.50 SEL

2025-10-31 * "membership contribution 2025-10"
  rule: "contribution"
  period: "2025-10"
  Assets:Members:Tresa     -2.00 SEL
  Assets:Members:Alice     -2.00 SEL
  Assets:Members:Bob       -2.00 SEL
  Assets:Members:Fournil  -24.00 SEL
  Assets:Coop:Treasury     30.00 SEL
"""


def build_ruled(coop: Coop) -> None:
    coop.append("rules.yaml", RULES)
    coop.commit_all("rules: demurrage and contributions")
    for payer, amount, day in (("alice", "400", "2025-10-10"), ("bob", "150", "2025-10-12")):
        assert coop.run("trade", payer, "fournil", amount, "--date", day).code == 0


@pytest.fixture
def ruled(builds: Builds, coop: Coop) -> Coop:
    """The fixture's cooperative with RULES and two October trades:
    at the end of October alice is at -400, bob at -150, fournil at +550."""
    return builds.copy("ruled", coop, build_ruled)


def balances(coop: Coop, at: str) -> dict[str, object]:
    result = coop.run("balances", "--json", "--at", at)
    assert result.code == 0, result.text
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_a_month_of_demurrage_and_contributions(ruled: Coop) -> None:
    result = ruled.run("apply-rules", "2025-10")

    assert result.code == 0, result.text
    assert ruled.read("journal/2025/10/_rules.beancount") == OCTOBER_ENTRIES
    assert ruled.log()[0] == "apply-rules 2025-10: demurrage 4.50 SEL, contribution 30.00 SEL"
    assert ruled.git("log", "-1", "--format=%ae").strip() == "tresa@example.org"
    assert ruled.status() == ""
    assert "demurrage 2025-10: 4.50 SEL into Assets:Coop:Treasury" in result.out
    assert "Wrote 2 entries to journal/2025/10/_rules.beancount" in result.out
    shown = balances(ruled, "2025-10-31")
    assert shown["balances"] == {
        "tresa": "-2.00",
        "alice": "-402.00",
        "bob": "-152.00",
        "fournil": "521.50",
    }
    assert shown["coop_accounts"] == {"treasury": "34.50"}
    assert shown["total"] == "0.00"
    check = ruled.run("check")
    assert check.code == 0, check.text
    assert "balances sum to 0.00 SEL" in check.out


def test_the_next_month_rounds_half_even_and_skips_the_yearly_contribution(ruled: Coop) -> None:
    assert ruled.run("apply-rules", "2025-10").code == 0
    assert ruled.run("trade", "fournil", "bob", "50", "--date", "2025-11-03").code == 0

    result = ruled.run("apply-rules", "2025-11")

    assert result.code == 0, result.text
    # fournil: 521.50 - 50 = 471.50; 1% of 371.50 = 3.715 -> 3.72 (half to even)
    assert ruled.read("journal/2025/11/_rules.beancount") == (
        '2025-11-30 * "demurrage 2025-11: 1% a month of balances above 100.00 SEL"\n'
        '  rule: "demurrage"\n'
        '  period: "2025-11"\n'
        "  Assets:Members:Fournil  -3.72 SEL\n"
        "  Assets:Coop:Treasury     3.72 SEL\n"
        "\n"
        '2025-11-30 * "membership contribution 2025-11"\n'
        '  rule: "contribution"\n'
        '  period: "2025-11"\n'
        "  Assets:Members:Tresa    -2.00 SEL\n"
        "  Assets:Members:Alice    -2.00 SEL\n"
        "  Assets:Members:Bob      -2.00 SEL\n"
        "  Assets:Coop:Treasury     6.00 SEL\n"
    )
    assert balances(ruled, "2025-11-30")["coop_accounts"] == {"treasury": "44.22"}


def test_a_second_run_for_the_same_month_writes_nothing_and_says_so(ruled: Coop) -> None:
    assert ruled.run("apply-rules", "2025-10").code == 0
    before = ruled.log()

    result = ruled.run("apply-rules", "2025-10")

    assert result.code == 0, result.text
    assert "demurrage 2025-10: already applied, nothing written again" in result.out
    assert "contribution 2025-10: already applied, nothing written again" in result.out
    assert "Nothing to write for 2025-10." in result.out
    assert ruled.log() == before
    assert ruled.read("journal/2025/10/_rules.beancount") == OCTOBER_ENTRIES


def test_a_rule_added_later_is_applied_alone(coop: Coop) -> None:
    coop.append(
        "rules.yaml",
        "accounts: {treasury: Assets:Coop:Treasury}\ncontribution: {person: {amount: 2}}\n",
    )
    coop.commit_all()
    assert coop.run("apply-rules", "2025-10").code == 0
    coop.append("rules.yaml", "demurrage: {percent: 1}\n")
    coop.commit_all()
    assert coop.run("trade", "alice", "fournil", "10", "--date", "2025-10-05").code == 0

    result = coop.run("apply-rules", "2025-10")

    assert result.code == 0, result.text
    assert "contribution 2025-10: already applied" in result.out
    assert coop.log()[0] == "apply-rules 2025-10: demurrage 0.10 SEL"


def test_a_dry_run_shows_the_entries_and_writes_nothing(ruled: Coop) -> None:
    before = ruled.log()

    result = ruled.run("apply-rules", "2025-10", "--dry-run")

    assert result.code == 0, result.text
    assert "Dry run: nothing written." in result.out
    assert OCTOBER_ENTRIES.split("\n\n")[1] in result.out
    assert ruled.log() == before
    assert not (ruled.root / "journal/2025/10/_rules.beancount").exists()


def test_bean_check_accepts_the_rule_entries(ruled: Coop) -> None:
    assert ruled.run("apply-rules", "2025-10").code == 0

    result = bean_check(ruled.root)

    assert result.returncode == 0, result.stdout + result.stderr


def test_only_members_active_at_the_end_of_the_month_are_charged(ruled: Coop) -> None:
    assert ruled.run("member", "suspend", "bob", "--date", "2025-10-20").code == 0
    assert ruled.run("member", "add", "zoe", "--name", "Zoé", "--joined", "2025-11-02").code == 0

    assert ruled.run("apply-rules", "2025-10").code == 0

    entries = ruled.read("journal/2025/10/_rules.beancount")
    assert "Assets:Members:Bob" not in entries and "Assets:Members:Zoe" not in entries
    assert "Assets:Coop:Treasury     28.00 SEL" in entries


# ---------------------------------------------------------------- the floor


def test_a_contribution_may_take_a_member_below_its_floor(coop: Coop) -> None:
    """Documented choice: the floor limits what a member spends, not what the
    cooperative charges. The member then cannot pay until back above it."""
    coop.append("rules.yaml", RULES)
    coop.commit_all()
    assert coop.run("trade", "alice", "fournil", "499", "--date", "2025-10-10").code == 0

    result = coop.run("apply-rules", "2025-10")

    assert result.code == 0, result.text
    assert balances(coop, "2025-10-31")["balances"]["alice"] == "-501.00"  # type: ignore[index]
    assert coop.run("check").code == 0
    refused = coop.run("trade", "alice", "bob", "1", "--date", "2025-11-02")
    assert refused.code == 1
    assert "alice's balance would be -502.00 SEL at the end of 2025-11-02" in refused.err
    assert coop.run("trade", "bob", "alice", "5", "--date", "2025-11-02").code == 0


def test_late_charges_that_would_break_later_trades_are_refused(coop: Coop) -> None:
    coop.append("rules.yaml", RULES)
    coop.commit_all()
    assert coop.run("trade", "alice", "fournil", "499", "--date", "2025-10-10").code == 0
    assert coop.run("trade", "alice", "fournil", "1", "--date", "2025-11-02").code == 0
    later = coop.last_written()
    before = coop.log()

    result = coop.run("apply-rules", "2025-10")

    assert result.code == 1
    assert "error: the entries of 2025-10 are refused: they would break the rules below" in (
        result.err
    )
    assert (
        f"{later}:1: error: alice's balance would be -502.00 SEL "
        "at the end of 2025-11-02, below its floor of -500.00 SEL" in result.err
    )
    assert coop.log() == before
    assert coop.status() == ""


# ---------------------------------------------------------------- refusals


def test_only_a_treasurer_applies_the_rules(ruled: Coop) -> None:
    result = ruled.run("apply-rules", "2025-10", "--as", "alice")

    assert result.code == 1
    assert "'alice' is not a treasurer, and only a treasurer applies the rules" in result.err
    assert "pass --as with a treasurer (tresa)" in result.err


@pytest.mark.parametrize("period", ["2025-13", "novembre", "2025-1", "0000-01"])
def test_a_bad_period(ruled: Coop, period: str) -> None:
    result = ruled.run("apply-rules", period)

    assert result.code == 1
    assert f"'{period}' is not a month" in result.err
    assert "write it as YYYY-MM, like 2026-11" in result.err


def test_a_month_that_is_not_over(ruled: Coop) -> None:
    month = "2026-11"  # today is 2026-11-25 (conftest)

    result = ruled.run("apply-rules", month)

    assert result.code == 1
    assert f"the month {month} is not over" in result.err


def test_no_periodic_rule(coop: Coop) -> None:
    result = coop.run("apply-rules", "2025-10")

    assert result.code == 1
    assert "rules.yaml has no periodic rule (demurrage or contribution)" in result.err


def test_a_month_with_no_one_to_charge(coop: Coop) -> None:
    coop.append(
        "rules.yaml",
        "accounts: {treasury: Assets:Coop:Treasury}\ndemurrage: {percent: 1, above: 100}\n",
    )
    coop.commit_all()
    before = coop.log()

    result = coop.run("apply-rules", "2025-10")

    assert result.code == 0, result.text
    assert "demurrage 2025-10: no one to charge" in result.out
    assert "Nothing to write for 2025-10." in result.out
    assert coop.log() == before


# ---------------------------------------------------------------- the docs


@pytest.mark.slow
def test_the_worked_month_of_docs_rules_md_runs(tmp_path: Path) -> None:
    markdown = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    found = blocks(section(markdown, "## A worked month"))

    assert [kind for kind, _ in found].count("console") >= 4
    run_blocks(found, tmp_path)
