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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from beancount.core import data

from coopledger.accounts import member_of_account, obligation_of_account
from coopledger.checks import DayBalance, balance_at, daily_balances, relative
from coopledger.journal import Trade, as_trade, trades_of
from coopledger.limits import ceiling_at, floor_at
from coopledger.members import Member, Roster
from coopledger.money import quantum
from coopledger.months import Month
from coopledger.rules import Rules

CLEARING_KEY = "clearing"  # metadata of the entries of an applied clearing
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


def _active_during(member: Member, month: Month) -> bool:
    days = [month.first]
    if member.joined in month:
        days.append(member.joined)
    if member.status is not None:
        days.extend(d for d, _ in member.status.changes if d in month)
    return any(member.status_at(d) == "active" for d in days if d in month)


def _left_during(member: Member, month: Month) -> bool:
    if member.status is None:
        return False
    return any(s == "left" and d in month for d, s in member.status.changes)


def _trades_by_month(trades: Iterable[Trade]) -> dict[Month, list[Trade]]:
    grouped: dict[Month, list[Trade]] = defaultdict(list)
    for trade in trades:
        grouped[Month.of(trade.date)].append(trade)
    return grouped


def _collected_and_cleared(
    entries: Sequence[data.Directive], month: Month
) -> tuple[Decimal, Decimal]:
    fees = cleared = Decimal(0)
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date not in month:
            continue
        clearing = CLEARING_KEY in (entry.meta or {})
        for posting in entry.postings:
            number = posting.units.number if posting.units is not None else None
            if number is None or number <= 0:
                continue
            obligation = obligation_of_account(posting.account)
            if obligation is not None:
                if clearing and obligation[0] == "payable":
                    cleared += number
            elif member_of_account(posting.account) is None:
                fees += number
    return fees, cleared


def _summary(
    month: Month,
    entries: Sequence[data.Directive],
    trades: Sequence[Trade],
    history: dict[str, list[DayBalance]],
    roster: Roster,
    decimals: int,
) -> Summary:
    volume = sum((t.amount for t in trades), Decimal(0))
    fees, cleared = _collected_and_cleared(entries, month)
    closing = [balance_at(series, month.last) for series in history.values()]
    positive = sum((b for b in closing if b > 0), Decimal(0))
    return Summary(
        month=month,
        trades=len(trades),
        volume=volume,
        average=_ratio(volume, Decimal(len(trades)), decimals),
        trading_members=len({t.payer for t in trades} | {t.payee for t in trades}),
        active_members=sum(1 for m in roster if _active_during(m, month)),
        joined=tuple(m.id for m in roster if m.joined in month),
        left=tuple(m.id for m in roster if _left_during(m, month)),
        credit_in_use=-sum((b for b in closing if b < 0), Decimal(0)),
        velocity=_ratio(volume, positive, RATIO_PLACES),
        fees=fees,
        cleared=cleared,
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


def _member_rows(
    month: Month,
    entries: Sequence[data.Directive],
    trades: Sequence[Trade],
    history: dict[str, list[DayBalance]],
    roster: Roster,
    rules: Rules,
) -> list[MemberRow]:
    paid: dict[str, Decimal] = defaultdict(Decimal)
    received: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction) and entry.date in month:
            for posting in entry.postings:
                member = member_of_account(posting.account)
                if member is None or posting.units is None or posting.units.number is None:
                    continue
                number = posting.units.number
                if number < 0:
                    paid[member] += -number
                else:
                    received[member] += number
    last_trade: dict[str, datetime.date] = {}
    for trade in trades:
        if trade.date <= month.last:
            for member_id in (trade.payer, trade.payee):
                last_trade[member_id] = max(trade.date, last_trade.get(member_id, trade.date))
    window_start = month.minus(DORMANT_MONTHS - 1).first
    rows = []
    for member in roster:
        if member.joined > month.last:
            continue
        series = history.get(member.id, [])
        closing = balance_at(series, month.last)
        floor = floor_at(member, rules, month.last)
        ceiling = ceiling_at(member, rules, month.last)
        status = member.status_at(month.last)
        last = last_trade.get(member.id)
        rows.append(
            MemberRow(
                member=member.id,
                name=member.name,
                status=status,
                opening=balance_at(series, month.first - datetime.timedelta(days=1)),
                paid=paid[member.id],
                received=received[member.id],
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


def _categories(trades: Sequence[Trade], rules: Rules) -> list[CategoryRow]:
    counts: dict[str | None, int] = {c: 0 for c in rules.categories}
    volumes: dict[str | None, Decimal] = {c: Decimal(0) for c in rules.categories}
    for trade in trades:
        counts[trade.category] = counts.get(trade.category, 0) + 1
        volumes[trade.category] = volumes.get(trade.category, Decimal(0)) + trade.amount
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
    trades = list(trades_of(entries))
    by_month = _trades_by_month(trades)
    history = daily_balances(entries)
    previous = month.previous()
    trends = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        point_month = month.minus(back)
        point_trades = by_month.get(point_month, [])
        trends.append(
            TrendPoint(
                month=point_month,
                trades=len(point_trades),
                volume=sum((t.amount for t in point_trades), Decimal(0)),
                trading_members=len(
                    {t.payer for t in point_trades} | {t.payee for t in point_trades}
                ),
            )
        )
    month_trades = by_month.get(month, [])
    return MonthlyReport(
        currency=rules.currency,
        decimals=rules.decimals,
        name=rules.name,
        summary=_summary(month, entries, month_trades, history, roster, rules.decimals),
        previous=_summary(
            previous, entries, by_month.get(previous, []), history, roster, rules.decimals
        ),
        members=tuple(_member_rows(month, entries, trades, history, roster, rules)),
        categories=tuple(_categories(month_trades, rules)),
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
) -> Statement:
    """Every movement of `member_id` from `start` to `end` (inclusive), with running balance.

    Entries within a day come in file and line order, so the running balance is
    the same on every machine.
    """
    transactions = sorted((e for e in entries if isinstance(e, data.Transaction)), key=_entry_order)
    balance = opening = Decimal(0)
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
