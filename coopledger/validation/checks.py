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

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from coopledger.model import clock
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.closing import Opening, check_closed_months
from coopledger.model.days import DayBalance
from coopledger.model.invoices import check_invoices
from coopledger.model.journal import RULE_KEY, RULE_NAMES
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import Roster
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


@dataclass
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
        blamed = moves.blamed()
        file, line = (blamed[0] or None, blamed[1] or None) if blamed else (None, None)
        series.append(
            DayBalance(day, balance, moves.net + moves.charged, file, line, moves.charged)
        )
    return series


def member_days(entries: Iterable[data.Directive], root: str = "") -> dict[str, MemberDays]:
    days_by_member: dict[str, MemberDays] = {}
    for entry in entries:
        add_entry_moves(days_by_member, entry, root)
    return days_by_member


def daily_balances(
    entries: Iterable[data.Directive], root: str = "", opening: Opening | None = None
) -> dict[str, list[DayBalance]]:
    """For every member account, its closing balance on each day it moved.

    With an `opening`, each series starts with the balance carried from the
    closed period, on its last day (a point that moves nothing, so no limit is
    judged on it)."""
    days_by_member = member_days(entries, root)
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
    severity = Severity.ERROR if rules.hard_limits else Severity.WARNING
    problems: list[Problem] = []
    for member_id, series in history.items():
        member = roster.get(member_id)
        if member is None:
            continue  # reported as an unknown account
        for point in series:
            floor = floor_at(member, rules, point.date)
            ceiling = ceiling_at(member, rules, point.date)
            params: dict[str, Param] = {
                "member": member_id,
                "date": point.date,
                "balance": rounded(point.closing, rules.decimals),
                "currency": rules.currency,
            }
            # periodic charges count after the day's trades, and never break the floor
            spent = point.net - point.charged
            if floor is not None and spent < 0 and point.closing - point.charged < floor:
                problems.append(
                    Problem(
                        "below-floor",
                        point.file,
                        point.line,
                        {**params, "limit": rounded(floor, rules.decimals)},
                        severity,
                    )
                )
            if ceiling is not None and point.net > 0 and point.closing > ceiling:
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
    control characters in text, dates too far ahead."""
    problems: list[Problem] = []
    first_seen_ids: dict[str, tuple[str | None, int | None]] = {}
    latest = latest_date(rules, clock.today())
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
        if entry.date > latest:
            problems.append(
                Problem(
                    "journal-date-beyond-horizon",
                    file,
                    line,
                    {
                        "date": entry.date,
                        "latest": latest,
                        "key": HORIZON_KEY,
                    },
                )
            )
        problems.extend(_text_problems(entry, file, line))
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
        only_members = True
        for posting in entry.postings:
            member_id = member_of_account(posting.account)
            problems.extend(_posting_problems(entry, posting, member_id, roster, rules, file, line))
            if member_id is None:
                only_members = False
            elif posting.units is not None and posting.units.number:
                signs[member_id].add(posting.units.number > 0)
        members_in_entry = [m for m in signs if roster.get(m) is not None]
        if (
            len(entry.postings) == 2
            and only_members
            and len(members_in_entry) == 1
            and len(signs) == 1
        ):
            problems.append(Problem("self-trade", file, line, {"member": members_in_entry[0]}))
    return problems


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


def _posting_problems(
    entry: data.Transaction,
    posting: data.Posting,
    member_id: str | None,
    roster: Roster,
    rules: Rules,
    file: str | None,
    line: int | None,
) -> list[Problem]:
    """The problems of one posting; `member_id` is its account's member, if any."""
    problems: list[Problem] = []
    obligation = obligation_of_account(posting.account)  # invoices: see coopledger.model.invoices
    if member_id is None and posting.account in rules.coop_accounts:
        pass  # one of the cooperative's own accounts (rules.yaml `accounts:`)
    elif obligation is not None and roster.get(obligation[1]) is not None:
        pass  # a member's invoice account; coopledger.model.invoices checks how it is used
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
                    {"member": member_id, "status": status, "date": entry.date},
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
    if is_too_large(units.number):
        problems.append(
            Problem(
                "journal-amount-too-large",
                file,
                line,
                {"amount": f"{units.number:f}"[:40], "most": MAX_AMOUNT_TEXT},
            )
        )
    elif has_excess_precision(units.number, rules.decimals):
        problems.append(
            Problem(
                "too-precise",
                file,
                line,
                {"amount": units.number, "decimals": rules.decimals},
            )
        )
    if units.number == 0:
        problems.append(Problem("zero-amount", file, line, {"account": posting.account}))
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
    if history is None:
        history = daily_balances(entries, root, opening)
    coop_total = sum(coop_account_balances(entries, rules.coop_accounts).values(), Decimal(0))
    carried: Sequence[data.Directive] = ()
    if opening is not None:
        coop_total += sum(opening.coop_balances.values(), Decimal(0))
        carried = opening.carried
    problems = [
        *check_postings(entries, roster, rules, root),
        *check_limits(history, roster, rules),
        *check_closed_months(entries, root),
        *check_zero_sum(history, rules, main_file, coop_total),
        *(check_invoices([*carried, *entries], root) if invoices else ()),
        *fava_code_problems(entries, root),
    ]
    unique = {p.key(): p for p in reversed(problems)}  # one line per problem, e.g. one currency
    return sorted(unique.values(), key=Problem.sort_key)
