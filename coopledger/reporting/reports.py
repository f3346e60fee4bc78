"""The monthly report and member statements, as figures (no words).

Everything here is computed from the journal's beancount entries, the roster
and the rules, so the same figures come out of `coopledger report`, of a test,
and of `bean-query` on the same files. Amounts are Decimals; words, headings
and layout belong to `coopledger.cli.render_report`.

    >>> Month.parse("2026-11").previous(), Month.parse("2026-01").previous()
    (Month(year=2026, month=10), Month(year=2025, month=12))
    >>> Month.parse("2026-11").last
    datetime.date(2026, 11, 30)

Definitions (docs/reports.md explains them to members):

- a *trade* is an entry moving units from one member to another (two postings);
  the month's *volume* is the sum of its trades' amounts;
- *trading members* took part in at least one trade of the month; *active
  members* had the status active on at least one day of it;
- *credit in use* is the sum of the negative balances at the end of the month,
  as a positive amount; *velocity* is the volume divided by the sum of the
  positive balances at the end of the month;
- *fees collected* is what the cooperative's own accounts (any account that is
  neither a member's nor an invoice's) received in the month: levies,
  contributions, demurrage; *debt cleared* is the invoice debt cancelled by
  the clearings applied in the month (entries with `clearing` metadata);
- a member is *near a limit* when its closing balance is within 10% of its
  floor or ceiling, and *dormant* when it was active at the end of the month,
  had been a member for the three months ending with it, and traded in none.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from beancount.core import data

from coopledger.cache.aggregates import Figures, MonthFigures, month_figures
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.journal import as_trade
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import Member, Roster
from coopledger.model.money import quantum
from coopledger.model.months import Month
from coopledger.model.rules import Rules
from coopledger.validation.checks import relative

TREND_MONTHS = 12
DORMANT_MONTHS = 3
NEAR_LIMIT = Decimal("0.1")
RATIO_PLACES = 2


@dataclass(frozen=True)
class Summary:
    month: Month
    trades: int
    volume: Decimal
    average: Decimal | None
    trading_members: int
    active_members: int
    joined: tuple[str, ...]
    left: tuple[str, ...]
    credit_in_use: Decimal
    velocity: Decimal | None
    fees: Decimal = Decimal(0)
    cleared: Decimal = Decimal(0)


CHANGING_FIGURES = (
    "trades",
    "volume",
    "average",
    "trading_members",
    "active_members",
    "credit_in_use",
    "velocity",
    "fees",
    "cleared",
)


def summary_changes(current: Summary, previous: Summary) -> dict[str, Decimal | int | None]:
    """Each figure of `current` minus the same figure of `previous` (None if either is)."""
    changes: dict[str, Decimal | int | None] = {}
    for name in CHANGING_FIGURES:
        now, before = getattr(current, name), getattr(previous, name)
        changes[name] = None if now is None or before is None else now - before
    changes["joined"] = len(current.joined) - len(previous.joined)
    changes["left"] = len(current.left) - len(previous.left)
    return changes


@dataclass(frozen=True)
class MemberRow:
    member: str
    name: str
    status: str
    opening: Decimal
    paid: Decimal
    received: Decimal
    closing: Decimal
    floor: Decimal | None
    ceiling: Decimal | None
    limit_use: Decimal
    """Percent of the floor (if the balance is negative) or ceiling (if positive) in use."""
    near_limit: str | None
    """"floor" or "ceiling" when the closing balance is within 10% of it."""
    dormant: bool
    last_trade: datetime.date | None


@dataclass(frozen=True)
class CategoryRow:
    category: str | None  # None: trades without a category
    trades: int
    volume: Decimal
    share: Decimal  # percent of the month's volume


@dataclass(frozen=True)
class TrendPoint:
    month: Month
    trades: int
    volume: Decimal
    trading_members: int


@dataclass(frozen=True)
class MonthlyReport:
    currency: str
    decimals: int
    name: str
    summary: Summary
    previous: Summary
    members: tuple[MemberRow, ...]
    categories: tuple[CategoryRow, ...]
    trends: tuple[TrendPoint, ...]

    @property
    def changes(self) -> dict[str, Decimal | int | None]:
        return summary_changes(self.summary, self.previous)


def _ratio(numerator: Decimal, denominator: Decimal, places: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(quantum(places), rounding=ROUND_HALF_EVEN)


def _active_during(member: Member, first: datetime.date, last: datetime.date) -> bool:
    days = [first]
    if first <= member.joined <= last:
        days.append(member.joined)
    if member.status is not None:
        days.extend(d for d, _ in member.status.changes if first <= d <= last)
    return any(member.status_at(d) == "active" for d in days)


def _left_during(member: Member, first: datetime.date, last: datetime.date) -> bool:
    if member.status is None:
        return False
    return any(s == "left" and first <= d <= last for d, s in member.status.changes)


def _summary(
    month: Month,
    figures: MonthFigures,
    closing: dict[str, Decimal],
    roster: Roster,
    decimals: int,
) -> Summary:
    positive = sum((b for b in closing.values() if b > 0), Decimal(0))
    first, last = month.first, month.last
    return Summary(
        month=month,
        trades=figures.trades,
        volume=figures.volume,
        average=_ratio(figures.volume, Decimal(figures.trades), decimals),
        trading_members=len(figures.traders),
        active_members=sum(1 for m in roster if _active_during(m, first, last)),
        joined=tuple(m.id for m in roster if first <= m.joined <= last),
        left=tuple(m.id for m in roster if _left_during(m, first, last)),
        credit_in_use=-sum((b for b in closing.values() if b < 0), Decimal(0)),
        velocity=_ratio(figures.volume, positive, RATIO_PLACES),
        fees=figures.fees,
        cleared=figures.cleared,
    )


def _limit_use(closing: Decimal, floor: Decimal | None, ceiling: Decimal | None) -> Decimal:
    if closing < 0 and floor is not None and floor < 0:
        return _ratio(closing * 100, floor, 0) or Decimal(0)
    if closing > 0 and ceiling is not None and ceiling > 0:
        return _ratio(closing * 100, ceiling, 0) or Decimal(0)
    return Decimal(0)


def _near_limit(closing: Decimal, floor: Decimal | None, ceiling: Decimal | None) -> str | None:
    if floor is not None and floor < 0 and closing - floor <= -floor * NEAR_LIMIT:
        return "floor"
    if ceiling is not None and ceiling > 0 and ceiling - closing <= ceiling * NEAR_LIMIT:
        return "ceiling"
    return None


@dataclass(frozen=True)
class _Balances:
    """Every member's balance at the end of the month before and of the month,
    and the day of its last trade up to the month's end."""

    opening: dict[str, Decimal]
    closing: dict[str, Decimal]
    last_trade: dict[str, datetime.date]


def _balances(figures: Figures, month: Month) -> _Balances:
    opening: dict[str, Decimal] = {}
    last_trade: dict[str, datetime.date] = {}
    for earlier in sorted(m for m in figures if m < month):
        for member, net in figures[earlier].net.items():
            opening[member] = opening.get(member, Decimal(0)) + net
        last_trade.update(figures[earlier].last_trade)  # later months come later
    closing = dict(opening)
    current = figures.get(month)
    if current is not None:
        for member, net in current.net.items():
            closing[member] = closing.get(member, Decimal(0)) + net
        last_trade.update(current.last_trade)
    return _Balances(opening, closing, last_trade)


def _member_rows(
    month: Month, figures: MonthFigures, balances: _Balances, roster: Roster, rules: Rules
) -> list[MemberRow]:
    window_start = month.minus(DORMANT_MONTHS - 1).first
    last_day = month.last
    rows = []
    for member in roster:
        if member.joined > last_day:
            continue
        closing = balances.closing.get(member.id, Decimal(0))
        floor = floor_at(member, rules, last_day)
        ceiling = ceiling_at(member, rules, last_day)
        status = member.status_at(last_day)
        last = balances.last_trade.get(member.id)
        rows.append(
            MemberRow(
                member=member.id,
                name=member.name,
                status=status,
                opening=balances.opening.get(member.id, Decimal(0)),
                paid=figures.paid.get(member.id, Decimal(0)),
                received=figures.received.get(member.id, Decimal(0)),
                closing=closing,
                floor=floor,
                ceiling=ceiling,
                limit_use=_limit_use(closing, floor, ceiling),
                near_limit=_near_limit(closing, floor, ceiling),
                dormant=status == "active"
                and member.joined < window_start
                and (last is None or last < window_start),
                last_trade=last,
            )
        )
    return rows


def _categories(figures: MonthFigures, rules: Rules) -> list[CategoryRow]:
    counts: dict[str | None, int] = {c: 0 for c in rules.categories}
    volumes: dict[str | None, Decimal] = {c: Decimal(0) for c in rules.categories}
    for category, count in figures.category_trades.items():
        counts[category] = counts.get(category, 0) + count
        volumes[category] = volumes.get(category, Decimal(0)) + figures.category_volume[category]
    total = sum(volumes.values(), Decimal(0))
    rows = [
        CategoryRow(c, counts[c], volumes[c], _ratio(volumes[c] * 100, total, 0) or Decimal(0))
        for c in counts
    ]
    return sorted(rows, key=lambda r: (r.category is None, -r.volume, -r.trades, r.category or ""))


def monthly_report(
    entries: Sequence[data.Directive], roster: Roster, rules: Rules, month: Month
) -> MonthlyReport:
    """Every figure of the report for `month`, with the previous month's summary."""
    return report_of_figures(month_figures(entries), roster, rules, month)


def report_of_figures(
    figures: Figures, roster: Roster, rules: Rules, month: Month
) -> MonthlyReport:
    """The report for `month` from the figures of every month up to it
    (`coopledger.cache.aggregates`): the same report as `monthly_report` on the entries."""
    empty = MonthFigures()
    previous = month.previous()
    balances = _balances(figures, month)
    trends = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        point_month = month.minus(back)
        point = figures.get(point_month, empty)
        trends.append(
            TrendPoint(
                month=point_month,
                trades=point.trades,
                volume=point.volume,
                trading_members=len(point.traders),
            )
        )
    current = figures.get(month, empty)
    return MonthlyReport(
        currency=rules.currency,
        decimals=rules.decimals,
        name=rules.name,
        summary=_summary(month, current, balances.closing, roster, rules.decimals),
        previous=_summary(
            previous, figures.get(previous, empty), balances.opening, roster, rules.decimals
        ),
        members=tuple(_member_rows(month, current, balances, roster, rules)),
        categories=tuple(_categories(current, rules)),
        trends=tuple(trends),
    )


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class StatementLine:
    date: datetime.date
    kind: str  # see `entry_kind`
    counterparty: str
    memo: str
    amount: Decimal
    balance: Decimal
    trade_id: str | None
    file: str | None
    line: int | None


@dataclass(frozen=True)
class Statement:
    member: str
    start: datetime.date | None
    end: datetime.date | None
    opening: Decimal
    closing: Decimal
    paid: Decimal
    received: Decimal
    lines: tuple[StatementLine, ...]


KIND_KEYS = (  # metadata that names what an entry is, first match wins
    ("settles", "settlement"),
    ("clearing", "clearing"),
    ("invoice", "invoice"),
    ("trade", "trade"),
)


def entry_kind(entry: data.Transaction) -> str:
    """trade, settlement, clearing, invoice, the name of a periodic rule, or other."""
    meta = entry.meta or {}
    for key, kind in KIND_KEYS:
        if key in meta:
            return kind
    if "rule" in meta:
        return str(meta["rule"])
    return "trade" if as_trade(entry) is not None else "other"


def _entry_order(entry: data.Directive) -> tuple[datetime.date, str, int]:
    meta = entry.meta or {}
    return (entry.date, str(meta.get("filename") or ""), int(meta.get("lineno") or 0))


def statement(
    entries: Iterable[data.Directive],
    member_id: str,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    root: str = "",
    balance_before: Decimal = Decimal(0),
) -> Statement:
    """Every movement of `member_id` from `start` to `end` (inclusive), with running balance.

    Entries within a day come in file and line order, so the running balance is
    the same on every machine. `entries` may begin later than the books: then
    `balance_before` is the member's balance before the first of them.
    """
    transactions = sorted((e for e in entries if isinstance(e, data.Transaction)), key=_entry_order)
    balance = opening = balance_before
    lines: list[StatementLine] = []
    paid = received = Decimal(0)
    for entry in transactions:
        if end is not None and entry.date > end:
            break
        mine = Decimal(0)
        touches = False
        others: list[str] = []
        for posting in entry.postings:
            who = member_of_account(posting.account)
            obligation = obligation_of_account(posting.account)
            number = posting.units.number if posting.units is not None else None
            if who == member_id:
                touches = True
                mine += number or Decimal(0)
                continue
            if obligation is not None and obligation[1] == member_id:
                touches = True  # an invoice of the member: shown, moves no balance
                continue
            other = who or (obligation[1] if obligation else posting.account)
            if other not in others:
                others.append(other)
        if not touches:
            continue
        balance += mine
        if start is not None and entry.date < start:
            opening = balance
            continue
        if mine < 0:
            paid += -mine
        else:
            received += mine
        trade = as_trade(entry)
        meta = entry.meta or {}
        lines.append(
            StatementLine(
                date=entry.date,
                kind=entry_kind(entry),
                counterparty=", ".join(others),
                memo=entry.narration or "",
                amount=mine,
                balance=balance,
                trade_id=trade.trade_id if trade is not None else None,
                file=relative(meta.get("filename"), root) if root else meta.get("filename"),
                line=meta.get("lineno"),
            )
        )
    return Statement(member_id, start, end, opening, balance, paid, received, tuple(lines))
