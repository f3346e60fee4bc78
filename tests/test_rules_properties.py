"""Invariants of the rules: after any mix of trades (with levies) and monthly rule runs,
members and cooperative accounts sum to zero, no limit is broken, and a second run of a
month adds nothing.

Each step is accepted the way coopledger accepts a write: the entry is added only if
`check_ledger` finds no new error with it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from beancount.core import data
from beancount.parser import parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger.model.journal import Trade, as_trade, format_trade
from coopledger.model.members import Roster, parse_members
from coopledger.model.money import quantum
from coopledger.model.months import Month
from coopledger.model.rules import LevyRule, Rules, parse_rules
from coopledger.plans.fees import (
    applied_rules,
    format_rule_entry,
    levies_for,
    levy_amount,
    rule_entries,
)
from coopledger.validation.checks import check_ledger, coop_account_balances, daily_balances

RULES = """\
name: SEL
currency: SEL
limits:
  person: {floor: -100, ceiling: 150}
accounts:
  treasury: Assets:Coop:Treasury
levy: {percent: 3, fixed: 0.05, paid_by: both}
demurrage: {percent: 2.5, above: 20}
contribution:
  person: {amount: 1.5, per: month}
"""
MEMBERS = """\
members:
  - {id: ana, name: Ana, kind: person, joined: 2025-01-01}
  - {id: ben, name: Ben, kind: person, joined: 2025-01-01, floor: {2025-03-01: -40}}
  - {id: cleo, name: Cleo, kind: person, joined: 2025-01-01, ceiling: {2025-02-15: 60}}
"""
IDS = ["ana", "ben", "cleo"]


def setup() -> tuple[Rules, Roster]:
    rules, problems = parse_rules(RULES)
    assert rules is not None, problems
    roster, problems = parse_members(MEMBERS, rules)
    assert roster is not None, problems
    return rules, roster


def parse_one(text: str) -> data.Transaction:
    entries, errors, _ = parser.parse_string(text)
    assert not errors and len(entries) == 1, errors
    entry = entries[0]
    assert isinstance(entry, data.Transaction)
    return entry


trades = st.tuples(
    st.sampled_from(IDS),
    st.sampled_from(IDS),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("120"), places=2),
    st.integers(min_value=0, max_value=180),
).map(lambda t: ("trade", t))
runs = st.integers(min_value=1, max_value=6).map(lambda month: ("rules", month))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(trades, runs), min_size=1, max_size=25))
def test_zero_sum_and_limits_hold_after_any_mix_of_trades_and_rule_runs(
    steps: list[tuple[str, object]],
) -> None:
    rules, roster = setup()
    entries: list[data.Directive] = []
    levied = Decimal(0)
    written: dict[int, set[str]] = {}  # month -> rules written for it
    for kind, step in steps:
        if kind == "trade":
            payer, payee, amount, offset = step  # type: ignore[misc]
            if payer == payee:
                continue
            day = datetime.date(2025, 1, 1) + datetime.timedelta(days=offset)
            levies = levies_for(rules, payer, payee, amount)
            trade = Trade(day, payer, payee, amount, "t", None, None, levies=levies)
            new = [parse_one(format_trade(trade, rules.currency, rules.decimals))]
            parsed = as_trade(new[0])
            assert parsed is not None and parsed.levies == levies
        else:
            period = Month(2025, step)  # type: ignore[arg-type]
            history = daily_balances(entries)
            already = applied_rules(entries, period)
            planned = [
                e
                for e in rule_entries(history, roster, rules, period)
                if e.charges and e.rule not in already
            ]
            new = [parse_one(format_rule_entry(e, rules.currency, rules.decimals)) for e in planned]
        if any(p.is_error for p in check_ledger([*entries, *new], roster, rules, "")):
            continue  # refused, as coopledger would refuse it
        entries.extend(new)
        if kind == "trade":
            levied += sum((lv.amount for lv in levies), Decimal(0))
        else:
            month_rules = written.setdefault(step, set())  # type: ignore[arg-type]
            assert not month_rules & {e.rule for e in planned}, "a rule ran twice for a month"
            month_rules.update(e.rule for e in planned)

    assert not [p for p in check_ledger(entries, roster, rules, "") if p.is_error]
    history = daily_balances(entries)
    members = sum((s[-1].closing for s in history.values() if s), Decimal(0))
    treasury = coop_account_balances(entries, rules.coop_accounts)["Assets:Coop:Treasury"]
    assert members + treasury == 0
    assert treasury >= levied  # the treasury only ever receives
    for entry in entries:
        if isinstance(entry, data.Transaction):
            assert sum((p.units.number for p in entry.postings), Decimal(0)) == 0
    # what a second run looks for is exactly what the first one wrote
    for month in range(1, 7):
        assert applied_rules(entries, Month(2025, month)) == written.get(month, set())


@pytest.mark.slow
@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
    percent=st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=3),
)
def test_a_levy_is_within_half_a_cent_of_the_exact_percentage(
    amount: Decimal, percent: Decimal
) -> None:
    levy = LevyRule(percent, Decimal(0), "payer", "Assets:Coop:Treasury")
    value = levy_amount(amount, levy, 2)
    exact = amount * percent / 100
    assert value == value.quantize(quantum(2))
    assert abs(value - exact) <= Decimal("0.005")
