"""Levies on trades and the cooperative's own accounts, from rules.yaml to the journal."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from beancount.parser import parser

from coopledger.model.journal import Levy, Trade, as_trade, format_trade
from coopledger.model.rules import LevyRule, parse_rules
from coopledger.plans.fees import levies_for, levy_amount
from tests.conftest import Coop, bean_check

TREASURY = "Assets:Coop:Treasury"

RULES_WITH_LEVY = """\
accounts:
  treasury: Assets:Coop:Treasury
levy: {percent: 2, paid_by: payer}
"""


def with_rules(coop: Coop, extra: str) -> Coop:
    """The fixture's cooperative with `extra` appended to rules.yaml, committed."""
    coop.append("rules.yaml", extra)
    coop.commit_all("rules: " + extra.splitlines()[0])
    return coop


def balances(coop: Coop) -> dict[str, object]:
    result = coop.run("balances", "--json", "--at", "2025-12-31")
    assert result.code == 0, result.text
    return json.loads(result.out)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("amount", "percent", "fixed", "expected"),
    [
        ("40.00", "2", "0", "0.80"),
        ("40.10", "2.5", "0", "1.00"),  # 1.0025: rounds down
        ("40.30", "2.5", "0", "1.01"),  # 1.0075: rounds up
        ("0.25", "10", "0", "0.02"),  # 0.025: half to even, down
        ("0.35", "10", "0", "0.04"),  # 0.035: half to even, up
        ("40.00", "0", "0.50", "0.50"),
        ("40.00", "1", "0.10", "0.50"),
        ("0.01", "2", "0", "0.00"),
    ],
)
def test_levy_is_the_percent_rounded_half_even_plus_the_fixed_part(
    amount: str, percent: str, fixed: str, expected: str
) -> None:
    levy = LevyRule(Decimal(percent), Decimal(fixed), "payer", TREASURY)
    assert levy_amount(Decimal(amount), levy, 2) == Decimal(expected)


def rules_with(levy_yaml: str) -> object:
    rules, problems = parse_rules(
        "name: SEL\ncurrency: SEL\nlimits:\n  person: {floor: -500, ceiling: 1000}\n"
        "accounts: {treasury: Assets:Coop:Treasury}\n" + levy_yaml
    )
    assert rules is not None, problems
    return rules


@pytest.mark.parametrize(
    ("paid_by", "expected"),
    [
        ("payer", (Levy("alice", TREASURY, Decimal("0.80")),)),
        ("payee", (Levy("bob", TREASURY, Decimal("0.80")),)),
        (
            "both",
            (Levy("alice", TREASURY, Decimal("0.80")), Levy("bob", TREASURY, Decimal("0.80"))),
        ),
    ],
)
def test_who_pays_the_levy(paid_by: str, expected: tuple[Levy, ...]) -> None:
    rules = rules_with(f"levy: {{percent: 2, paid_by: {paid_by}}}\n")
    assert levies_for(rules, "alice", "bob", Decimal("40")) == expected  # type: ignore[arg-type]


def test_a_levy_rounded_to_zero_adds_no_posting() -> None:
    rules = rules_with("levy: {percent: 2}\n")
    assert levies_for(rules, "alice", "bob", Decimal("0.20")) == ()  # type: ignore[arg-type]


def test_a_trade_with_levies_round_trips_through_beancount() -> None:
    import datetime

    trade = Trade(
        datetime.date(2025, 3, 1),
        "alice",
        "bob",
        Decimal("40.00"),
        "pain",
        "2025-03-01-abcd",
        levies=(Levy("alice", TREASURY, Decimal("0.80")), Levy("bob", TREASURY, Decimal("0.80"))),
    )
    text = format_trade(trade, "SEL", 2)
    assert text == (
        '2025-03-01 * "pain"\n'
        '  trade: "2025-03-01-abcd"\n'
        "  Assets:Members:Alice  -40.00 SEL\n"
        "  Assets:Members:Bob     40.00 SEL\n"
        "  Assets:Members:Alice   -0.80 SEL\n"
        "  Assets:Coop:Treasury    0.80 SEL\n"
        "  Assets:Members:Bob     -0.80 SEL\n"
        "  Assets:Coop:Treasury    0.80 SEL\n"
    )
    entries, errors, _ = parser.parse_string(text)
    assert not errors
    parsed = as_trade(entries[0])
    assert parsed is not None
    assert (parsed.payer, parsed.payee, parsed.amount) == ("alice", "bob", Decimal("40.00"))
    assert parsed.levies == trade.levies


def test_an_entry_whose_extra_postings_are_no_levy_is_not_a_trade() -> None:
    entries, errors, _ = parser.parse_string(
        '2025-03-01 * "odd"\n'
        "  Assets:Members:Alice  -40.00 SEL\n"
        "  Assets:Members:Bob     40.00 SEL\n"
        "  Assets:Members:Carol   -1.00 SEL\n"  # not a party to the trade
        "  Assets:Coop:Treasury    1.00 SEL\n"
    )
    assert not errors
    assert as_trade(entries[0]) is None


# ---------------------------------------------------------------- the trade command


def test_a_trade_carries_its_levy_in_the_same_entry_and_commit(coop: Coop) -> None:
    with_rules(coop, RULES_WITH_LEVY)

    result = coop.run("trade", "alice", "fournil", "40", "--date", "2025-03-01", "-m", "pain")

    assert result.code == 0, result.text
    assert "levy: alice pays 0.80 SEL to Assets:Coop:Treasury" in result.out
    assert "alice                      -40.80 SEL" in result.out
    assert coop.log()[0] == "trade: alice → fournil 40.00 SEL — pain (levy 0.80 SEL)"
    entry = coop.read(coop.last_written())
    assert entry.endswith(
        "  Assets:Members:Alice    -40.00 SEL\n"
        "  Assets:Members:Fournil   40.00 SEL\n"
        "  Assets:Members:Alice     -0.80 SEL\n"
        "  Assets:Coop:Treasury      0.80 SEL\n"
    )
    shown = balances(coop)
    assert shown["balances"] == {
        "tresa": "0.00",
        "alice": "-40.80",
        "bob": "0.00",
        "fournil": "40.00",
    }
    assert shown["coop_accounts"] == {"treasury": "0.80"}
    assert shown["total"] == "0.00"
    check = coop.run("check")
    assert check.code == 0, check.text
    assert "1 trade, balances sum to 0.00 SEL" in check.out
    assert bean_check(coop.root).returncode == 0, bean_check(coop.root).stdout


def test_the_balances_table_shows_the_cooperative_accounts_in_the_total(coop: Coop) -> None:
    with_rules(coop, RULES_WITH_LEVY)
    assert coop.run("trade", "alice", "fournil", "100", "--date", "2025-03-01").code == 0

    result = coop.run("balances", "--at", "2025-12-31")

    assert result.code == 0, result.text
    rows = {line.split("│")[1].strip(): line for line in result.out.splitlines() if "│" in line}
    assert "Assets:Coop:Treasury" in rows["treasury"] and "2.00" in rows["treasury"]
    assert "0.00" in rows["total"]


def test_a_trade_whose_levy_would_break_the_floor_is_refused(coop: Coop) -> None:
    with_rules(coop, RULES_WITH_LEVY)

    # 490 + 9.80 of levy: -499.80, within alice's floor of -500
    assert coop.run("trade", "alice", "bob", "490", "--date", "2025-03-01").code == 0
    # 0.20 * 2% = 0.004, rounded to 0.00: no levy, -500.00 exactly
    assert coop.run("trade", "alice", "bob", "0.20", "--date", "2025-03-02").code == 0
    # bob pays alice 100 (and 2.00 of levy): alice is back at -400.00
    assert coop.run("trade", "bob", "alice", "100", "--date", "2025-03-03").code == 0
    before = coop.log()

    # 98.10 alone would fit (-498.10); with its levy of 1.96 it would not (-500.06)
    result = coop.run("trade", "alice", "bob", "98.10", "--date", "2025-03-04")

    assert result.code == 1
    assert (
        "alice's balance would be -500.06 SEL at the end of 2025-03-04, "
        "below its floor of -500.00 SEL" in result.err
    )
    assert coop.log() == before
    assert not coop.status()
    # 98.03 + 1.96 = 99.99: -499.99 fits
    assert coop.run("trade", "alice", "bob", "98.03", "--date", "2025-03-04").code == 0


def test_a_levy_paid_by_the_payee(coop: Coop) -> None:
    with_rules(
        coop,
        "accounts: {treasury: Assets:Coop:Treasury}\n"
        "levy: {percent: 5, fixed: 0.10, paid_by: payee}\n",
    )

    assert coop.run("trade", "alice", "fournil", "40", "--date", "2025-03-01").code == 0

    shown = balances(coop)
    assert shown["balances"]["fournil"] == "37.90"  # type: ignore[index]
    assert shown["coop_accounts"] == {"treasury": "2.10"}


def test_a_hand_written_levy_to_the_treasury_is_accepted(coop: Coop) -> None:
    with_rules(coop, RULES_WITH_LEVY)
    coop.write(
        "journal/2025/04/bob.beancount",
        '2025-04-01 * "jardinage"\n'
        "  Assets:Members:Bob    -15.00 SEL\n"
        "  Assets:Members:Alice   15.00 SEL\n"
        "  Assets:Members:Bob     -0.30 SEL\n"
        "  Assets:Coop:Treasury    0.30 SEL\n",
    )
    coop.commit_all()

    result = coop.run("check")

    assert result.code == 0, result.text
    assert "1 trade, balances sum to 0.00 SEL" in result.out


def test_a_member_paying_the_treasury_alone_is_no_self_trade(coop: Coop) -> None:
    with_rules(coop, RULES_WITH_LEVY)
    coop.write(
        "journal/2025/04/bob.beancount",
        '2025-04-01 * "cotisation"\n'
        "  Assets:Members:Bob    -5.00 SEL\n"
        "  Assets:Coop:Treasury   5.00 SEL\n",
    )
    coop.commit_all()

    result = coop.run("check")

    assert result.code == 0, result.text


def test_an_undeclared_cooperative_account_is_still_foreign(coop: Coop) -> None:
    coop.write(
        "journal/2025/04/bob.beancount",
        '2025-04-01 * "cotisation"\n'
        "  Assets:Members:Bob    -5.00 SEL\n"
        "  Assets:Coop:Treasury   5.00 SEL\n",
    )
    coop.commit_all()

    result = coop.run("check")

    assert result.code == 1
    assert "the account Assets:Coop:Treasury belongs to no member" in result.out


# ---------------------------------------------------------------- rules.yaml mistakes


def check_out(coop: Coop, extra: str) -> str:
    coop.append("rules.yaml", extra)
    result = coop.run("check")
    assert result.code == 1, result.text
    return result.out


def rules_line(coop: Coop, text: str) -> int:
    """The line of `text` in rules.yaml."""
    return coop.read("rules.yaml").splitlines().index(text) + 1


@pytest.mark.parametrize(
    ("extra", "bad_line", "expected"),
    [
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\nlevy:\n  percnt: 2\n",
            "  percnt: 2",
            "error: unknown key 'percnt' in levy; did you mean 'percent'? "
            "the known keys are: percent, fixed, paid_by, into",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\nlevy:\n  percent: 120\n",
            "  percent: 120",
            "error: 'levy.percent' is '120', which is not a percentage; "
            "write a number from 0 to 100, such as 2 or 0.5",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\nlevy:\n  percent: 2\n  paid_by: buyer\n",
            "  paid_by: buyer",
            "error: 'paid_by' is 'buyer'; use one of: payer, payee, both",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\nlevy:\n  fixed: -1\n",
            "  fixed: -1",
            "error: 'levy.fixed' is -1, below zero; write zero or a positive amount",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\nlevy:\n  fixed: 0.001\n",
            "  fixed: 0.001",
            "error: 'levy.fixed' has 0.001, more decimals than the currency's 2",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\nlevy:\n  percent: 2\n  into: tresury\n",
            "  into: tresury",
            "error: levy pays into 'tresury', which is not under 'accounts'; "
            "did you mean 'treasury'? add 'tresury: Assets:Coop:...' under 'accounts:', "
            "or set 'into:' to one of: treasury",
        ),
        (
            "levy:\n  percent: 2\n",
            "levy:",
            "error: levy pays into 'treasury', which is not under 'accounts'; "
            "add 'treasury: Assets:Coop:...' under 'accounts:', or set 'into:' to one of: none",
        ),
        (
            "accounts:\n  treasury: Coop:Treasury\n",
            "  treasury: Coop:Treasury",
            "error: the account 'Coop:Treasury' of 'treasury' is not a beancount account name",
        ),
        (
            "accounts:\n  treasury: Assets:Members:Treasury\n",
            "  treasury: Assets:Members:Treasury",
            "error: the account 'Assets:Members:Treasury' of 'treasury' is under "
            "Assets:Members, the members' accounts",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\n  fees: Assets:Coop:Treasury\n",
            "  fees: Assets:Coop:Treasury",
            "error: 'fees' uses the account Assets:Coop:Treasury, already used by 'treasury'",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ndemurrage:\n  percent: x\n",
            "  percent: x",
            "error: 'demurrage.percent' is 'x', which is not a percentage",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ndemurrage:\n  above: -5\n",
            "  above: -5",
            "error: 'demurrage.above' is -5, below zero",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ndemurage:\n  percent: 1\n",
            "demurage:",
            "error: unknown key 'demurage' in rules.yaml; did you mean 'demurrage'?",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ncontribution:\n  persn: {amount: 2}\n",
            "  persn: {amount: 2}",
            "error: unknown key 'persn' in contribution; did you mean 'person'? "
            "the known keys are: into, person, business",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ncontribution:\n"
            "  person: {amount: 2, per: week}\n",
            "  person: {amount: 2, per: week}",
            "error: 'per' is 'week'; use one of: month, year",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ncontribution:\n"
            "  person: {amount: 24, per: year, month: 13}\n",
            "  person: {amount: 24, per: year, month: 13}",
            "error: 'month' is '13'; use a whole number from 1 to 12",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ncontribution:\n  person: {per: month}\n",
            "  person: {per: month}",
            "error: the key 'amount' is missing; add 'amount:' with a value",
        ),
        (
            "accounts:\n  treasury: Assets:Coop:Treasury\ncontribution:\n  person: 2\n",
            "  person: 2",
            "error: 'contribution.person' must be a mapping",
        ),
    ],
)
def test_a_wrong_rule_gets_its_file_line_and_fix(
    coop: Coop, extra: str, bad_line: str, expected: str
) -> None:
    out = check_out(coop, extra)

    assert f"rules.yaml:{rules_line(coop, bad_line)}: {expected}" in out, out


def test_a_wrong_rule_stops_writes(coop: Coop) -> None:
    coop.append("rules.yaml", "levy:\n  percent: 2\n")
    coop.commit_all()

    result = coop.run("trade", "alice", "bob", "10", "--date", "2025-03-01")

    assert result.code == 1
    assert "rules.yaml:" in result.err and "levy pays into 'treasury'" in result.err
