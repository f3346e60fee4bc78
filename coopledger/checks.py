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
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from coopledger.accounts import member_of_account, obligation_of_account
from coopledger.closing import check_closed_months
from coopledger.invoices import check_invoices
from coopledger.limits import ceiling_at, floor_at
from coopledger.members import Roster
from coopledger.money import format_amount, has_excess_precision
from coopledger.problems import Problem, Severity
from coopledger.rules import Rules

CONFLICT_MARKERS = ("<<<<<<<", ">>>>>>>", "|||||||")


@dataclass(frozen=True)
class DayBalance:
    """A member's balance at the end of a day on which it moved."""

    date: datetime.date
    closing: Decimal
    net: Decimal
    file: str | None
    line: int | None


def relative(path: str | None, root: str) -> str | None:
    if path is None or path.startswith("<"):
        return path
    try:
        return os.path.relpath(path, root)
    except ValueError:  # pragma: no cover - another drive on Windows
        return path


def conflict_markers(text: str, filename: str) -> list[Problem]:
    """Lines left by an unresolved git merge."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.rstrip()
        if stripped.startswith(CONFLICT_MARKERS) or stripped == "=======":
            problems.append(Problem("conflict-marker", filename, number, {"marker": stripped[:7]}))
    return problems


def daily_balances(
    entries: Iterable[data.Directive], root: str = ""
) -> dict[str, list[DayBalance]]:
    """For every member account, its closing balance on each day it moved."""
    moves: dict[str, dict[datetime.date, list[tuple[Decimal, str | None, int | None]]]]
    moves = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            member = member_of_account(posting.account)
            if member is None or posting.units is None or posting.units.number is None:
                continue
            meta = entry.meta or {}
            moves[member][entry.date].append(
                (posting.units.number, relative(meta.get("filename"), root), meta.get("lineno"))
            )
    history: dict[str, list[DayBalance]] = {}
    for member, days in moves.items():
        balance = Decimal(0)
        series: list[DayBalance] = []
        for day in sorted(days):
            day_moves = days[day]
            net = sum((amount for amount, _, _ in day_moves), Decimal(0))
            balance += net
            # blame the last movement of the day that pushed the balance the way it went
            pushing = [m for m in day_moves if (m[0] < 0) == (net < 0)] or day_moves
            _, file, line = max(pushing, key=lambda m: (m[1] or "", m[2] or 0))
            series.append(DayBalance(day, balance, net, file, line))
        history[member] = series
    return history


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
    severity = Severity.ERROR if rules.hard_limits else Severity.WARNING
    problems: list[Problem] = []
    for member_id, series in history.items():
        member = roster.get(member_id)
        if member is None:
            continue  # reported as an unknown account
        for point in series:
            floor = floor_at(member, rules, point.date)
            ceiling = ceiling_at(member, rules, point.date)
            params = {
                "member": member_id,
                "date": point.date.isoformat(),
                "balance": format_amount(point.closing, rules.decimals),
                "currency": rules.currency,
            }
            if floor is not None and point.net < 0 and point.closing < floor:
                problems.append(
                    Problem(
                        "below-floor",
                        point.file,
                        point.line,
                        {**params, "limit": format_amount(floor, rules.decimals)},
                        severity,
                    )
                )
            if ceiling is not None and point.net > 0 and point.closing > ceiling:
                problems.append(
                    Problem(
                        "above-ceiling",
                        point.file,
                        point.line,
                        {**params, "limit": format_amount(ceiling, rules.decimals)},
                        severity,
                    )
                )
    return problems


def check_postings(
    entries: Iterable[data.Directive], roster: Roster, rules: Rules, root: str
) -> list[Problem]:
    """Accounts, currency, precision, member status, self-trades, trade ids."""
    problems: list[Problem] = []
    first_seen_ids: dict[str, tuple[str | None, int | None]] = {}
    for entry in entries:
        meta = entry.meta or {}
        file, line = relative(meta.get("filename"), root), meta.get("lineno")
        if isinstance(entry, data.Commodity) and entry.currency != rules.currency:
            problems.append(
                Problem(
                    "currency-mismatch",
                    file,
                    line,
                    {"currency": entry.currency, "expected": rules.currency},
                )
            )
        if not isinstance(entry, data.Transaction):
            continue
        trade_id = meta.get("trade")
        if trade_id is not None:
            first = first_seen_ids.get(str(trade_id))
            if first is None:
                first_seen_ids[str(trade_id)] = (file, line)
            else:
                problems.append(
                    Problem(
                        "duplicate-trade-id",
                        file,
                        line,
                        {"trade_id": str(trade_id), "first": f"{first[0]}:{first[1]}"},
                    )
                )
        signs: dict[str, set[bool]] = defaultdict(set)
        for posting in entry.postings:
            problems.extend(_posting_problems(entry, posting, roster, rules, file, line))
            member_id = member_of_account(posting.account)
            if member_id is not None and posting.units is not None and posting.units.number:
                signs[member_id].add(posting.units.number > 0)
        members_in_entry = [m for m in signs if roster.get(m) is not None]
        if len(entry.postings) == 2 and len(members_in_entry) == 1 and len(signs) == 1:
            problems.append(Problem("self-trade", file, line, {"member": members_in_entry[0]}))
    return problems


def _posting_problems(
    entry: data.Transaction,
    posting: data.Posting,
    roster: Roster,
    rules: Rules,
    file: str | None,
    line: int | None,
) -> list[Problem]:
    problems: list[Problem] = []
    member_id = member_of_account(posting.account)
    obligation = obligation_of_account(posting.account)  # invoices: see coopledger.invoices
    if obligation is not None and roster.get(obligation[1]) is not None:
        pass  # a member's invoice account; coopledger.invoices checks how it is used
    elif obligation is not None:
        problems.append(
            Problem(
                "unknown-member-account",
                file,
                line,
                {"account": posting.account, "member": obligation[1]},
            )
        )
    elif member_id is None:
        problems.append(Problem("foreign-account", file, line, {"account": posting.account}))
    elif roster.get(member_id) is None:
        problems.append(
            Problem(
                "unknown-member-account",
                file,
                line,
                {"account": posting.account, "member": member_id},
            )
        )
    else:
        status = roster.by_id[member_id].status_at(entry.date)
        if status != "active":
            problems.append(
                Problem(
                    "member-not-active",
                    file,
                    line,
                    {"member": member_id, "status": status, "date": entry.date.isoformat()},
                )
            )
    units = posting.units
    if units is None or units.number is None:
        return problems
    if units.currency != rules.currency:
        problems.append(
            Problem(
                "wrong-currency",
                file,
                line,
                {"currency": str(units.currency), "expected": rules.currency},
            )
        )
    if has_excess_precision(units.number, rules.decimals):
        problems.append(
            Problem(
                "too-precise",
                file,
                line,
                {"amount": str(units.number), "decimals": str(rules.decimals)},
            )
        )
    if units.number == 0:
        problems.append(Problem("zero-amount", file, line, {"account": posting.account}))
    return problems


def check_zero_sum(
    history: dict[str, list[DayBalance]], rules: Rules, main_file: str
) -> list[Problem]:
    total = sum((series[-1].closing for series in history.values() if series), Decimal(0))
    if total == 0:
        return []
    return [
        Problem(
            "total-not-zero",
            main_file,
            None,
            {"total": format_amount(total, rules.decimals), "currency": rules.currency},
        )
    ]


def check_ledger(
    entries: Sequence[data.Directive],
    roster: Roster,
    rules: Rules,
    root: str,
    main_file: str = "journal/main.beancount",
) -> list[Problem]:
    """Every problem of the ledger, in file and line order."""
    history = daily_balances(entries, root)
    problems = [
        *check_postings(entries, roster, rules, root),
        *check_limits(history, roster, rules),
        *check_closed_months(entries, root),
        *check_zero_sum(history, rules, main_file),
        *check_invoices(entries, root),
    ]
    unique = {p.key(): p for p in reversed(problems)}  # one line per problem, e.g. one currency
    return sorted(unique.values(), key=Problem.sort_key)
