"""Every rule of the ledger, as one pure function returning problems.

`check_ledger(entries, roster, rules, root)` looks at beancount directives
(already parsed and booked) with the members and rules, and returns every
`Problem` it finds, each with the file and line of the entry at fault. It never
stops at the first one. The same function runs in `coopledger check`, before
every write, and inside bean-check and fava through `coopledger.plugin`.

Limits are judged on each member's balance at the end of every day on which it
moved, against the limit in force that day. A day breaks the floor when the
member's balance ends below the floor and the day's movements lowered it; it
breaks the ceiling when the balance ends above it and the day raised it. So a
member already below a (raised) floor may still be paid, and the order of
entries within a day, which depends on files, never matters.

Entries of a periodic rule (`rule: "demurrage"` or `"contribution"`, written by
`coopledger apply-rules`) may take a member below its floor: the floor limits
what a member spends, not what the cooperative charges. They count in the
balance, so the member cannot spend further until it is back above the floor.

The cooperative's own accounts (`accounts:` in rules.yaml) are accepted in any
entry and counted in the zero sum: members and cooperative accounts together
always sum to zero.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data

from coopledger.model import clock
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.closing import Opening, check_closed_months
from coopledger.model.days import DayBalance
from coopledger.model.invoices import CLEARS_KEY, INVOICE_KEY, SETTLES_KEY, check_invoices
from coopledger.model.journal import RULE_KEY, RULE_NAMES
from coopledger.model.limits import ceiling_at, floor_at, limit_change_days
from coopledger.model.members import NOT_JOINED, Member, Roster
from coopledger.model.money import (
    MAX_AMOUNT_TEXT,
    has_excess_precision,
    is_too_large,
    rounded,
)
from coopledger.model.paths import relative
from coopledger.model.plaintext import control_character
from coopledger.model.problems import Param, Problem, Severity
from coopledger.model.rules import HORIZON_KEY, Rules, latest_date
from coopledger.validation.loader_inputs import fava_code_problems

CONFLICT_MARKERS = ("<<<<<<<", ">>>>>>>", "|||||||")


def is_rule_entry(entry: data.Transaction) -> bool:
    """An entry of a periodic rule: only charges members, never credits one."""
    if (entry.meta or {}).get(RULE_KEY) not in RULE_NAMES:
        return False
    return all(
        member_of_account(p.account) is None or (p.units is not None and (p.units.number or 0) < 0)
        for p in entry.postings
    )


def conflict_markers(text: str, filename: str) -> list[Problem]:
    """Lines left by an unresolved git merge."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.rstrip()
        if stripped.startswith(CONFLICT_MARKERS) or stripped == "=======":
            problems.append(Problem("conflict-marker", filename, number, {"marker": stripped[:7]}))
    return problems


Location = tuple[str, int]  # (file, line), compared as in `max`


@dataclass(slots=True)  # one per member and day: no dict each
class DayMoves:
    """What one member's postings on one day add up to.

    Enough to rebuild that day's `DayBalance` after more postings are added,
    without the entries themselves: the net of trades, the part charged by
    periodic rules, and the latest (file, line) among the day's negative and
    non-negative movements (the one a broken limit is blamed on).
    """

    net: Decimal = Decimal(0)
    charged: Decimal = Decimal(0)
    last_negative: Location | None = None
    last_positive: Location | None = None

    def add(self, amount: Decimal, file: str | None, line: int | None, ruled: bool) -> None:
        if ruled:
            self.charged += amount
            return
        self.net += amount
        where = (file or "", line or 0)
        if amount < 0:
            self.last_negative = max(self.last_negative or where, where)
        else:
            self.last_positive = max(self.last_positive or where, where)

    def blamed(self) -> Location | None:
        pushing = self.last_negative if self.net < 0 else self.last_positive
        if pushing is None:
            candidates = [c for c in (self.last_negative, self.last_positive) if c]
            pushing = max(candidates) if candidates else None
        return pushing


class CarriedMoves(DayMoves):
    """A balance carried from closed months, on their last day (see
    `daily_balances`): `net` is the balance, `last_positive` the place of the
    close that carries it. `series_of` makes it a point that moves nothing."""


MemberDays = dict[datetime.date, DayMoves]


def add_entry_moves(
    days_by_member: dict[str, MemberDays], entry: data.Directive, root: str
) -> set[str]:
    """Add one entry's member postings to `days_by_member`; return the members touched."""
    touched: set[str] = set()
    if not isinstance(entry, data.Transaction):
        return touched
    ruled = is_rule_entry(entry)
    meta = entry.meta or {}
    file, line = relative(meta.get("filename"), root), meta.get("lineno")
    for posting in entry.postings:
        member = member_of_account(posting.account)
        if member is None or posting.units is None or posting.units.number is None:
            continue
        days = days_by_member.get(member)
        if days is None:
            days = days_by_member[member] = {}
        moves = days.get(entry.date)
        if moves is None:
            moves = days[entry.date] = DayMoves()
        moves.add(posting.units.number, file, line, ruled)
        touched.add(member)
    return touched


def series_of(days: MemberDays, opening: DayBalance | None = None) -> list[DayBalance]:
    """A member's closing balance on each day it moved, from its day aggregates,
    after the balance carried from a closed period (`opening`, or a
    `CarriedMoves` among the days), if any."""
    balance = opening.closing if opening else Decimal(0)
    series: list[DayBalance] = [opening] if opening else []
    for day in sorted(days):
        moves = days[day]
        balance += moves.net + moves.charged
        if isinstance(moves, CarriedMoves):  # moves nothing: no limit is judged on it
            close_file, close_line = moves.last_positive or ("", 0)
            series.append(
                DayBalance(day, balance, Decimal(0), close_file or None, close_line or None)
            )
            continue
        net = moves.net  # `moves.blamed()`, inline: a million days at 1M trades
        blamed = moves.last_negative if net < 0 else moves.last_positive
        if blamed is None:
            blamed = moves.last_negative or moves.last_positive
        file, line = (blamed[0] or None, blamed[1] or None) if blamed else (None, None)
        series.append(DayBalance(day, balance, net + moves.charged, file, line, moves.charged))
    return series


def member_days(entries: Iterable[data.Directive], root: str = "") -> dict[str, MemberDays]:
    """`add_entry_moves` for every entry, in one pass: each account's member
    found once, each file's path made relative once."""
    days_by_member: dict[str, MemberDays] = {}
    files: dict[str | None, str | None] = {}
    members: dict[str, str | None] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        meta = entry.meta or {}
        ruled = meta.get(RULE_KEY) in RULE_NAMES and is_rule_entry(entry)
        filename = meta.get("filename")
        if filename in files:
            file = files[filename]
        else:
            file = files[filename] = relative(filename, root)
        where = (file or "", meta.get("lineno") or 0)  # as `DayMoves.add` makes it
        for posting in entry.postings:
            account = posting.account
            if account in members:
                member = members[account]
            else:
                member = members[account] = member_of_account(account)
            if member is None:
                continue
            units = posting.units
            if units is None or units.number is None:
                continue
            _add_moves(days_by_member, member, entry.date, units.number, where, ruled)
    return days_by_member


def daily_balances(
    entries: Iterable[data.Directive], root: str = "", opening: Opening | None = None
) -> dict[str, list[DayBalance]]:
    """For every member account, its closing balance on each day it moved.

    With an `opening`, each series starts with the balance carried from the
    closed period, on its last day (a point that moves nothing, so no limit is
    judged on it)."""
    return _history(member_days(entries, root), opening)


def _history(
    days_by_member: dict[str, MemberDays], opening: Opening | None
) -> dict[str, list[DayBalance]]:
    """`daily_balances`, from the members' days."""
    if opening is None:
        return {member: series_of(days) for member, days in days_by_member.items()}
    last_closed_day = opening.day - datetime.timedelta(days=1)
    carried = {
        member: DayBalance(last_closed_day, balance, Decimal(0), opening.file, opening.line)
        for member, balance in opening.balances.items()
        if balance
    }
    return {
        member: series_of(days_by_member.get(member, {}), carried.get(member))
        for member in sorted({*days_by_member, *carried})
    }


def balance_at(series: Sequence[DayBalance], day: datetime.date | None) -> Decimal:
    result = Decimal(0)
    for point in series:
        if day is not None and point.date > day:
            break
        result = point.closing
    return result


def check_limits(
    history: dict[str, list[DayBalance]], roster: Roster, rules: Rules
) -> list[Problem]:
    """The days a member broke its floor or its ceiling.

    A member's limits change only on the days one of its timelines (its own, its
    kind's) changes: they are looked up again only when a day falls outside the
    span between two such days that the previous one fell in."""
    severity = Severity.ERROR if rules.hard_limits else Severity.WARNING
    problems: list[Problem] = []
    for member_id, series in history.items():
        member = roster.get(member_id)
        if member is None:
            continue  # reported as an unknown account
        changes = limit_change_days(member, rules)
        since: datetime.date | None = None  # the limits hold from `since` to `until`, excluded
        until: datetime.date | None = None
        floor = ceiling = None
        for point in series:
            day = point.date
            if changes is None or since is None or day < since or (until and day >= until):
                floor = floor_at(member, rules, day)
                ceiling = ceiling_at(member, rules, day)
                if changes is not None:
                    at = bisect.bisect_right(changes, day)
                    since = changes[at - 1] if at else datetime.date.min
                    until = changes[at] if at < len(changes) else None
            # periodic charges count after the day's trades, and never break the floor
            below = (
                floor is not None
                and point.net - point.charged < 0
                and point.closing - point.charged < floor
            )
            above = ceiling is not None and point.net > 0 and point.closing > ceiling
            if not below and not above:
                continue
            params: dict[str, Param] = {
                "member": member_id,
                "date": day,
                "balance": rounded(point.closing, rules.decimals),
                "currency": rules.currency,
            }
            if below:
                assert floor is not None
                problems.append(
                    Problem(
                        "below-floor",
                        point.file,
                        point.line,
                        {**params, "limit": rounded(floor, rules.decimals)},
                        severity,
                    )
                )
            if above:
                assert ceiling is not None
                problems.append(
                    Problem(
                        "above-ceiling",
                        point.file,
                        point.line,
                        {**params, "limit": rounded(ceiling, rules.decimals)},
                        severity,
                    )
                )
    return problems


def check_postings(
    entries: Iterable[data.Directive], roster: Roster, rules: Rules, root: str
) -> list[Problem]:
    """Accounts, currency, precision, size, member status, self-trades, trade ids,
    control characters in text, dates too far ahead (see `_scan`)."""
    return _scan(entries, roster, rules, root, with_days=False).problems


@dataclass
class _Scan:
    """What one pass over the entries finds for `check_ledger`."""

    problems: list[Problem]  # `check_postings`
    days: dict[str, MemberDays] | None  # `member_days`, when asked for
    coop: dict[str, Decimal]  # `coop_account_balances`
    obligations: list[data.Transaction]  # the entries `read_invoices` looks at


def _scan(
    entries: Iterable[data.Directive], roster: Roster, rules: Rules, root: str, with_days: bool
) -> _Scan:
    """`check_postings`, `member_days` (`with_days`), `coop_account_balances` and
    the transactions that name an invoice or use an invoice account, in one pass:
    each entry and posting is read once (at a million trades, going over them
    again costs more than what is done with them).

    What depends only on an account (whose it is, whether it is known, whether it
    is the cooperative's or an invoice account) is found once per account, a path
    made relative once per file, whether a number is zero, too large or too
    precise once per value (each depends on the value alone): a posting costs a
    few look-ups. For each posting, in order: its account's problem or its
    member's status, then its currency, its size or precision, a zero."""
    problems: list[Problem] = []
    days_by_member: dict[str, MemberDays] | None = {} if with_days else None
    coop = {account: Decimal(0) for account in rules.coop_accounts}
    obligations: list[data.Transaction] = []
    first_seen_ids: dict[str, data.Transaction] = {}
    latest = latest_date(rules, clock.today())
    files: dict[str | None, str | None] = {}
    accounts: dict[str, _AccountKind] = {}
    numbers: dict[Decimal, bool] = {}  # a number's value: whether it needs `_number_problems`
    currency = rules.currency
    ruled, where = False, ("", 0)
    for entry in entries:
        meta = entry.meta or {}
        filename = meta.get("filename")
        if filename in files:
            file = files[filename]
        else:
            file = files[filename] = relative(filename, root)
        line = meta.get("lineno")
        if not isinstance(entry, data.Transaction):
            if isinstance(entry, data.Commodity) and entry.currency != currency:
                problems.append(
                    Problem(
                        "currency-mismatch",
                        file,
                        line,
                        {"currency": entry.currency, "expected": currency},
                    )
                )
            continue
        day = entry.date
        if day > latest:
            problems.append(
                Problem(
                    "journal-date-beyond-horizon",
                    file,
                    line,
                    {
                        "date": day,
                        "latest": latest,
                        "key": HORIZON_KEY,
                    },
                )
            )
        if not _printable(entry):
            problems.extend(_text_problems(entry, file, line))
        trade_id = meta.get("trade")
        if trade_id is not None:
            trade_key = str(trade_id)
            first = first_seen_ids.get(trade_key)
            if first is None:
                first_seen_ids[trade_key] = entry  # its place made only for a duplicate
            else:
                first_meta = first.meta or {}
                first_file = files[first_meta.get("filename")]
                first_line = first_meta.get("lineno")
                problems.append(
                    Problem(
                        "duplicate-trade-id",
                        file,
                        line,
                        {"trade_id": trade_key, "first": f"{first_file}:{first_line}"},
                    )
                )
        invoicing = (
            meta.get(INVOICE_KEY) is not None
            or meta.get(SETTLES_KEY) is not None
            or meta.get(CLEARS_KEY) is not None
        )
        if days_by_member is not None:
            ruled = meta.get(RULE_KEY) in RULE_NAMES and is_rule_entry(entry)
            where = (file or "", line or 0)  # as `DayMoves.add` makes it
        postings = entry.postings
        for posting in postings:
            account = posting.account
            kind = accounts.get(account)
            if kind is None:
                kind = accounts[account] = _account_kind(account, roster, rules)
            if kind.problem is not None:
                problems.append(Problem(kind.problem, file, line, dict(kind.params)))
            elif kind.member is not None:
                member = kind.member
                if member.status is None:  # `Member.status_at`, without a timeline
                    status = "active" if day >= member.joined else NOT_JOINED
                else:
                    status = member.status_at(day)
                if status != "active":
                    problems.append(
                        Problem(
                            "member-not-active",
                            file,
                            line,
                            {"member": member.id, "status": status, "date": day},
                        )
                    )
            if kind.obligation:
                invoicing = True
            units = posting.units
            if units is None:
                continue
            number = units.number
            if number is None:
                continue
            if kind.coop:
                coop[account] += number
            if days_by_member is not None and kind.member_id is not None:
                days = days_by_member.get(kind.member_id)  # `_add_moves`, inline
                if days is None:
                    days = days_by_member[kind.member_id] = {}
                moves = days.get(day)
                if moves is None:
                    moves = days[day] = DayMoves()
                if ruled:
                    moves.charged += number
                else:
                    moves.net += number
                    if number < 0:
                        if moves.last_negative is None or where > moves.last_negative:
                            moves.last_negative = where
                    elif moves.last_positive is None or where > moves.last_positive:
                        moves.last_positive = where
            if units.currency != currency:
                problems.append(
                    Problem(
                        "wrong-currency",
                        file,
                        line,
                        {"currency": str(units.currency), "expected": currency},
                    )
                )
            if not number.is_finite():
                problems.extend(_number_problems(number, account, rules, file, line))
                continue
            flagged = numbers.get(number)
            if flagged is None:
                flagged = numbers[number] = (
                    number == 0
                    or is_too_large(number)
                    or has_excess_precision(number, rules.decimals)
                )
            if flagged:
                problems.extend(_number_problems(number, account, rules, file, line))
        if invoicing:
            obligations.append(entry)
        if len(postings) == 2 and _may_self_trade(postings, accounts):
            self_trader = _self_trader(postings, accounts, roster)
            if self_trader is not None:
                problems.append(Problem("self-trade", file, line, {"member": self_trader}))
    return _Scan(problems, days_by_member, coop, obligations)


def _add_moves(
    days_by_member: dict[str, MemberDays],
    member: str,
    day: datetime.date,
    amount: Decimal,
    where: Location,
    ruled: bool,
) -> None:
    """`DayMoves.add` of one posting, as `member_days` does it."""
    days = days_by_member.get(member)
    if days is None:
        days = days_by_member[member] = {}
    moves = days.get(day)
    if moves is None:
        moves = days[day] = DayMoves()
    if ruled:
        moves.charged += amount
        return
    moves.net += amount
    if amount < 0:
        if moves.last_negative is None or where > moves.last_negative:
            moves.last_negative = where
    elif moves.last_positive is None or where > moves.last_positive:
        moves.last_positive = where


class _AccountKind(NamedTuple):
    """What `check_postings` finds of an account, whatever the entry."""

    member_id: str | None  # `member_of_account`
    member: Member | None  # the roster's member, whose status is judged on each day
    problem: str | None  # the account's problem (its code), if any
    params: dict[str, Param]
    coop: bool  # one of the cooperative's own accounts (`coop_account_balances`)
    obligation: bool  # an invoice account (`obligation_of_account`)


def _account_kind(account: str, roster: Roster, rules: Rules) -> _AccountKind:
    """The problem of a posting on `account`, but a member's status on the day."""
    member_id = member_of_account(account)
    obligation = obligation_of_account(account)
    coop = account in rules.coop_accounts
    owed = obligation is not None
    if member_id is None and coop:
        return _AccountKind(member_id, None, None, {}, coop, owed)
    if obligation is not None and roster.get(obligation[1]) is not None:
        return _AccountKind(member_id, None, None, {}, coop, owed)
    if obligation is not None:
        params: dict[str, Param] = {"account": account, "member": obligation[1]}
        return _AccountKind(member_id, None, "unknown-member-account", params, coop, owed)
    if member_id is None:
        return _AccountKind(member_id, None, "foreign-account", {"account": account}, coop, owed)
    member = roster.get(member_id)
    if member is None:
        params = {"account": account, "member": member_id}
        return _AccountKind(member_id, None, "unknown-member-account", params, coop, owed)
    return _AccountKind(member_id, member, None, {}, coop, owed)


def _number_problems(
    number: Decimal, account: str, rules: Rules, file: str | None, line: int | None
) -> list[Problem]:
    """A posting's number too large or too precise, or zero."""
    problems = []
    if is_too_large(number):
        problems.append(
            Problem(
                "journal-amount-too-large",
                file,
                line,
                {"amount": f"{number:f}"[:40], "most": MAX_AMOUNT_TEXT},
            )
        )
    elif has_excess_precision(number, rules.decimals):
        problems.append(
            Problem(
                "too-precise",
                file,
                line,
                {"amount": number, "decimals": rules.decimals},
            )
        )
    if number == 0:
        problems.append(Problem("zero-amount", file, line, {"account": account}))
    return problems


def _may_self_trade(postings: Sequence[data.Posting], accounts: dict[str, _AccountKind]) -> bool:
    """False for the usual trade, two members each with a number: no self-trade."""
    first, second = postings
    one, other = accounts[first.account].member_id, accounts[second.account].member_id
    if one is None or other is None:
        return False
    return (
        one == other
        or first.units is None
        or not first.units.number
        or second.units is None
        or not second.units.number
    )


def _self_trader(
    postings: Sequence[data.Posting], accounts: dict[str, _AccountKind], roster: Roster
) -> str | None:
    """The member on both sides of a two-posting entry between members, if known."""
    signs: dict[str, set[bool]] = {}
    for posting in postings:
        member_id = accounts[posting.account].member_id
        if member_id is None:
            return None
        units = posting.units
        if units is not None and units.number:
            signs.setdefault(member_id, set()).add(units.number > 0)
    if len(signs) != 1:
        return None
    (member_id,) = signs
    return member_id if roster.get(member_id) is not None else None


def _printable(entry: data.Transaction) -> bool:
    """No control character in the narration, the payee or a text of the metadata."""
    for text in (entry.narration, entry.payee):
        if isinstance(text, str) and not text.isprintable():
            return False
    for value in (entry.meta or {}).values():
        if isinstance(value, str) and not value.isprintable():
            return False
    return True


def _text_problems(entry: data.Transaction, file: str | None, line: int | None) -> list[Problem]:
    """A control character in the narration, the payee or a text of the metadata."""
    if all(
        not isinstance(text, str) or text.isprintable()
        for text in (entry.narration, entry.payee, *(entry.meta or {}).values())
    ):
        return []  # the usual entry, checked in C
    texts = [("narration", entry.narration), ("payee", entry.payee)]
    texts += [(str(k), v) for k, v in (entry.meta or {}).items() if k not in ("filename", "lineno")]
    problems = []
    for what, text in texts:
        found = control_character(text) if isinstance(text, str) else None
        if found is not None:
            position, code = found
            problems.append(
                Problem(
                    "journal-control-character",
                    file,
                    line,
                    {"what": what, "position": position, "character": code},
                )
            )
    return problems


def coop_account_balances(
    entries: Iterable[data.Directive], accounts: Sequence[str], day: datetime.date | None = None
) -> dict[str, Decimal]:
    """The balance of each of the cooperative's own accounts at the end of `day`."""
    balances = {account: Decimal(0) for account in accounts}
    for entry in entries:
        if not isinstance(entry, data.Transaction) or (day is not None and entry.date > day):
            continue
        for posting in entry.postings:
            if posting.account in balances and posting.units and posting.units.number is not None:
                balances[posting.account] += posting.units.number
    return balances


def check_zero_sum(
    history: dict[str, list[DayBalance]],
    rules: Rules,
    main_file: str,
    coop_total: Decimal = Decimal(0),
) -> list[Problem]:
    """Members' balances plus the cooperative's accounts (`coop_total`) sum to zero."""
    members_total = sum((s[-1].closing for s in history.values() if s), Decimal(0))
    total = members_total + coop_total
    if total == 0:
        return []
    return [
        Problem(
            "total-not-zero",
            main_file,
            None,
            {"total": rounded(total, rules.decimals), "currency": rules.currency},
        )
    ]


def check_ledger(
    entries: Sequence[data.Directive],
    roster: Roster,
    rules: Rules,
    root: str,
    main_file: str = "journal/main.beancount",
    history: dict[str, list[DayBalance]] | None = None,
    opening: Opening | None = None,
    invoices: bool = True,
) -> list[Problem]:
    """Every problem of the ledger, in file and line order.

    `history` is `daily_balances(entries, root, opening)`, when the caller has
    it already. With an `opening`, `entries` are those of the open period only,
    and the closed period counts through the balances and invoices it carries.
    Without `invoices`, invoices are left for the caller to judge with those of
    other periods (`check_invoices`: see coopledger.storage.along_closes).
    """
    problems, _ = check_ledger_with_history(
        entries, roster, rules, root, main_file, history, opening, invoices
    )
    return problems


def check_ledger_with_history(
    entries: Sequence[data.Directive],
    roster: Roster,
    rules: Rules,
    root: str,
    main_file: str = "journal/main.beancount",
    history: dict[str, list[DayBalance]] | None = None,
    opening: Opening | None = None,
    invoices: bool = True,
) -> tuple[list[Problem], dict[str, list[DayBalance]]]:
    """`check_ledger`, and `daily_balances(entries, root, opening)` (`history`
    when given), found in the same pass over the entries."""
    scan = _scan(entries, roster, rules, root, with_days=history is None)
    if history is None:
        assert scan.days is not None
        history = _history(scan.days, opening)
    coop_total = sum(scan.coop.values(), Decimal(0))
    carried: Sequence[data.Directive] = ()
    if opening is not None:
        coop_total += sum(opening.coop_balances.values(), Decimal(0))
        carried = opening.carried
    problems = [
        *scan.problems,
        *check_limits(history, roster, rules),
        *check_closed_months(entries, root),
        *check_zero_sum(history, rules, main_file, coop_total),
        *(check_invoices([*carried, *scan.obligations], root) if invoices else ()),  # others: none
        *fava_code_problems(entries, root),
    ]
    unique = {p.key(): p for p in reversed(problems)}  # one line per problem, e.g. one currency
    return sorted(unique.values(), key=Problem.sort_key), history
