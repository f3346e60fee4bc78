"""The cooperative's rules that move units: levies, demurrage, contributions.

Everything here is pure arithmetic on Decimals plus the planning of journal
entries; rules.yaml is read by `coopledger.model.rules`.

**Rounding.** A levy or a demurrage charge is computed exactly, then rounded
to the currency's decimals with round-half-even (banker's rounding), once,
per member. The rounded value is what the member pays *and* what the
cooperative's account receives, in the same balanced transaction, so rounding
never creates or loses a unit:

    >>> from coopledger.model.rules import LevyRule
    >>> levy = LevyRule(Decimal("2.5"), Decimal("0"), "payer", "Assets:Coop:Treasury")
    >>> levy_amount(Decimal("40.10"), levy, 2)      # 1.0025 -> 1.00
    Decimal('1.00')
    >>> levy_amount(Decimal("40.30"), levy, 2)      # 1.0075 -> 1.01
    Decimal('1.01')

**Periodic rules.** `coopledger apply-rules 2026-11` plans one entry per
periodic rule, dated the last day of the month, in
journal/2026/11/_rules.beancount:

    2026-11-30 * "demurrage 2026-11: 1% a month of balances above 500.00 SEL"
      rule: "demurrage"
      period: "2026-11"
      Assets:Members:Fournil     -4.00 SEL
      Assets:Coop:Treasury        4.00 SEL

Demurrage and contributions are computed from the balances at the end of the
month before the run; they charge members active on the last day of the month.
The `rule` and `period` metadata make a run idempotent: a rule already applied
for a period is skipped, so a second run writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from beancount.core import data

from coopledger.git.gitrepo import Identity
from coopledger.model.accounts import member_account
from coopledger.model.journal import (
    PERIOD_KEY,
    RULE_KEY,
    Levy,
    entry_path,
    posting_lines,
    quote_string,
)
from coopledger.model.members import Member, Roster
from coopledger.model.money import format_amount, quantum
from coopledger.model.months import Month
from coopledger.model.problems import CoopError
from coopledger.model.rules import Contributions, DemurrageRule, LevyRule, Rules
from coopledger.plans.writes import check_write, parse_entries_at, usable
from coopledger.storage import journal_text
from coopledger.storage.store import Change, Cooperative
from coopledger.validation.checks import DayBalance, balance_at

DEMURRAGE = "demurrage"
CONTRIBUTION = "contribution"
RULES_OWNER = "_rules"  # journal/YYYY/MM/_rules.beancount; "_" is never in a member id
TREASURER = "treasurer"


def round_units(value: Decimal, decimals: int) -> Decimal:
    """Round to the currency's decimals, half to even."""
    return value.quantize(quantum(decimals), rounding=ROUND_HALF_EVEN)


def percent_of(value: Decimal, percent: Decimal, decimals: int) -> Decimal:
    return round_units(value * percent / 100, decimals)


def percent_text(percent: Decimal) -> str:
    """`2`, `0.5`: a percentage without trailing zeros."""
    text = f"{percent.normalize():f}"
    return text


# ---------------------------------------------------------------- levies


def levy_amount(amount: Decimal, levy: LevyRule, decimals: int) -> Decimal:
    """What one party pays on a trade of `amount`: rounded percent plus fixed."""
    return percent_of(amount, levy.percent, decimals) + levy.fixed


def levies_for(rules: Rules, payer: str, payee: str, amount: Decimal) -> tuple[Levy, ...]:
    """The levies a trade carries under `rules` (none when there is no levy or it is 0).

    With `paid_by: both`, the payer and the payee each pay the whole levy.
    """
    levy = rules.levy
    if levy is None:
        return ()
    value = levy_amount(amount, levy, rules.decimals)
    if value == 0:
        return ()
    members = {"payer": (payer,), "payee": (payee,), "both": (payer, payee)}[levy.paid_by]
    return tuple(Levy(member, levy.into, value) for member in members)


# ---------------------------------------------------------------- periods


# ---------------------------------------------------------------- periodic rules


@dataclass(frozen=True)
class Charge:
    """What one member pays under a periodic rule, and on what it was computed."""

    member: str
    amount: Decimal
    basis: Decimal


@dataclass(frozen=True)
class RuleEntry:
    """One planned entry of a periodic rule: members pay `into` the cooperative."""

    rule: str
    period: Month
    into: str
    narration: str
    charges: tuple[Charge, ...]

    @property
    def day(self) -> datetime.date:
        return self.period.last

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.charges), Decimal(0))


def chargeable(roster: Roster, period: Month) -> list[Member]:
    """Members active on the last day of the period, in members.yaml order."""
    return [m for m in roster if m.status_at(period.last) == "active"]


def demurrage_charges(
    balances: Mapping[str, Decimal], rule: DemurrageRule, decimals: int
) -> list[Charge]:
    """`percent` of the part of each balance above `above`, rounded half-even."""
    charges = []
    for member, balance in balances.items():
        if balance <= rule.above:
            continue
        amount = percent_of(balance - rule.above, rule.percent, decimals)
        if amount > 0:
            charges.append(Charge(member, amount, balance))
    return charges


def contribution_charges(
    members: Iterable[Member], contributions: Contributions, period: Month
) -> list[Charge]:
    """Each member's contribution due in `period` by its kind (monthly, or yearly in `month`)."""
    charges = []
    for member in members:
        rule = contributions.by_kind.get(member.kind)
        if rule is None or rule.amount == 0:
            continue
        if rule.per == "year" and rule.month != period.month:
            continue
        charges.append(Charge(member.id, rule.amount, rule.amount))
    return charges


def rule_entries(
    history: Mapping[str, Sequence[DayBalance]], roster: Roster, rules: Rules, period: Month
) -> list[RuleEntry]:
    """Every entry the periodic rules call for in `period` (empty ones left out)."""
    members = chargeable(roster, period)
    planned: list[RuleEntry] = []
    if rules.demurrage is not None:
        rule = rules.demurrage
        balances = {m.id: balance_at(history.get(m.id, ()), period.last) for m in members}
        narration = (
            f"demurrage {period}: {percent_text(rule.percent)}% a month of balances above "
            f"{format_amount(rule.above, rules.decimals)} {rules.currency}"
        )
        charges = demurrage_charges(balances, rule, rules.decimals)
        planned.append(RuleEntry(DEMURRAGE, period, rule.into, narration, tuple(charges)))
    if rules.contribution is not None:
        charges = contribution_charges(members, rules.contribution, period)
        narration = f"membership contribution {period}"
        planned.append(
            RuleEntry(CONTRIBUTION, period, rules.contribution.into, narration, tuple(charges))
        )
    return planned


def applied_rules(entries: Iterable[data.Directive], period: Month) -> set[str]:
    """The rules that already have an entry for `period` in the journal."""
    found = set()
    for entry in entries:
        if isinstance(entry, data.Transaction):
            meta = entry.meta or {}
            if str(meta.get(PERIOD_KEY)) == str(period) and meta.get(RULE_KEY) is not None:
                found.add(str(meta[RULE_KEY]))
    return found


def format_rule_entry(entry: RuleEntry, currency: str, decimals: int) -> str:
    """The text of a periodic rule's entry, ending with a newline."""
    rows = [
        (member_account(c.member), "-" + format_amount(c.amount, decimals)) for c in entry.charges
    ]
    rows.append((entry.into, format_amount(entry.total, decimals)))
    lines = [
        f"{entry.day.isoformat()} * {quote_string(entry.narration)}",
        f"  {RULE_KEY}: {quote_string(entry.rule)}",
        f"  {PERIOD_KEY}: {quote_string(str(entry.period))}",
    ]
    lines += posting_lines(rows, currency)  # as bean-format aligns them
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- apply-rules


@dataclass(frozen=True)
class RulesRun:
    """What `apply-rules` found and planned for a period."""

    period: Month
    written: tuple[RuleEntry, ...]  # entries to write now
    already: tuple[str, ...]  # rules already applied for the period
    idle: tuple[str, ...]  # rules that charge no one this period
    change: Change | None  # None when there is nothing to write
    path: str


def treasurer_author(roster: Roster, rules: Rules, identity: Identity) -> Member:
    """The member behind the commit's identity, who must be a treasurer
    (the role rules.yaml `roles:` names treasurer, by default `treasurer`)."""
    role = rules.role(TREASURER)
    member = next((m for m in roster if identity[1] in m.emails), None)
    if member is None or not member.has_role(role):
        name = member.id if member else identity[1]
        treasurers = tuple(m.id for m in roster.with_role(role))
        raise CoopError("not-treasurer", member=name, treasurers=treasurers)
    return member


def plan_apply_rules(
    coop: Cooperative, period: Month, author: Identity, today: datetime.date
) -> RulesRun:
    """Plan the period's entries, checked like any write; refuse if not possible."""
    rules, roster = usable(coop)
    treasurer_author(roster, rules, author)
    if rules.demurrage is None and rules.contribution is None:
        raise CoopError("no-periodic-rules")
    if period.last >= today:
        raise CoopError("period-not-over", period=str(period), date=period.last)
    already = applied_rules(coop.entries, period)
    planned = rule_entries(coop.history, roster, rules, period)
    todo = [e for e in planned if e.rule not in already and e.charges]
    idle = tuple(e.rule for e in planned if e.rule not in already and not e.charges)
    path = entry_path(period.last, RULES_OWNER)
    if not todo:
        return RulesRun(period, (), tuple(sorted(already)), idle, None, path)
    file = coop.root / path
    text = journal_text.read_journal(file)
    entry_texts = [format_rule_entry(entry, rules.currency, rules.decimals) for entry in todo]
    inserted = journal_text.insert_entries(text, entry_texts)  # one column for all
    text = inserted.text
    new_entries = [
        parsed
        for entry_text, first_line in zip(entry_texts, inserted.lines, strict=True)
        for parsed in parse_entries_at(entry_text, first_line, str(file))
    ]
    warnings = check_write(coop, new_entries, "rules-refused", period=str(period))
    summary = ", ".join(
        f"{e.rule} {format_amount(e.total, rules.decimals)} {rules.currency}" for e in todo
    )
    change = Change({path: text}, f"apply-rules {period}: {summary}", author, tuple(warnings))
    return RulesRun(period, tuple(todo), tuple(sorted(already)), idle, change, path)
