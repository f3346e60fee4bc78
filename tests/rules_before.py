"""The rules as they were before they were made cheaper (commit 24023f9, and
`check_ledger` as of 64d0b52, with its `invoices`): the oracle of
tests/test_rules_oracle.py. Each function here is the package's function of the
same name, word for word, calling the others here; what did not change is
imported from the package.

Kept in tests/, never in the package: nothing of coopledger calls it.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import printer

from coopledger.model import clock
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.closing import (
    _IGNORED_META,
    DIGEST_LENGTH,
    ClosedMonth,
    Opening,
    closed_months,
    content_by_month,
    month_key,
    month_of,
    relative,
)
from coopledger.model.days import DayBalance
from coopledger.model.invoices import (
    CLEARS_KEY,
    DUE_KEY,
    INVOICE_KEY,
    SETTLES_KEY,
    Invoice,
    Obligations,
    _apply_reductions,
    _due_of,
    _legs,
    _pair,
    _reduction,
    clearing_problems,
)
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import Roster
from coopledger.model.money import (
    MAX_AMOUNT_TEXT,
    has_excess_precision,
    is_too_large,
    rounded,
)
from coopledger.model.plaintext import control_character
from coopledger.model.problems import CoopError, Param, Problem, Severity
from coopledger.model.rules import HORIZON_KEY, Rules, latest_date
from coopledger.validation.checks import (
    CarriedMoves,
    DayMoves,
    MemberDays,
    check_zero_sum,
    coop_account_balances,
    is_rule_entry,
)
from coopledger.validation.loader_inputs import fava_code_problems


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


def _meta_items(meta: dict[str, object] | None) -> list[tuple[str, str]]:
    return sorted(
        (str(k), str(v))
        for k, v in (meta or {}).items()
        if k not in _IGNORED_META and not str(k).startswith("__")
    )


def canonical_text(entry: data.Directive) -> str:
    """One entry as stable text: what it says, never where it stands.

    A transaction gives its date, flag, payee, narration, tags, links, sorted
    metadata and postings (account, number, currency, metadata, and the flag,
    cost and price of a posting that has them); other directives are
    printed by beancount's printer without their file and line.
    """
    if isinstance(entry, data.Transaction):
        parts = [
            entry.date.isoformat(),
            str(entry.flag),
            entry.payee or "",
            entry.narration or "",
            " ".join(sorted(entry.tags or ())),
            " ".join(sorted(entry.links or ())),
            repr(_meta_items(entry.meta)),
        ]
        for posting in entry.postings:
            units = posting.units  # an elided amount is beancount's MISSING, not an Amount
            number = units.number if isinstance(units, Amount) else None
            number_text = f"{number:f}" if isinstance(number, Decimal) else ""
            currency = str(units.currency or "") if isinstance(units, Amount) else ""
            line = f"{posting.account} {number_text} {currency} {_meta_items(posting.meta)!r}"
            parts.append(line + _posting_extras(posting))
        return "\n".join(parts)
    meta = {k: v for k, v in (entry.meta or {}).items() if k not in _IGNORED_META}
    return printer.format_entry(entry._replace(meta=meta))


def _posting_extras(posting: data.Posting) -> str:
    """A posting's flag, cost and price, when it has them: empty for every
    posting coopledger writes, so that the fingerprints of such entries are
    the same as before these were counted."""
    extras = []
    if posting.flag:
        extras.append(f"flag {posting.flag}")
    if posting.cost is not None:
        extras.append(f"cost {posting.cost!r}")
    if posting.price is not None:
        extras.append(f"price {posting.price!r}")
    return (" | " + " | ".join(extras)) if extras else ""


def digest(entry: data.Directive) -> str:
    text = canonical_text(entry)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def fingerprint(entries: Iterable[data.Directive]) -> tuple[str, list[str]]:
    """The month's fingerprint and the sorted digests of its entries."""
    texts = sorted(canonical_text(e) for e in entries)
    whole = hashlib.sha256("\n\x1e\n".join(texts).encode("utf-8")).hexdigest()
    digests = sorted(hashlib.sha256(t.encode("utf-8")).hexdigest()[:DIGEST_LENGTH] for t in texts)
    return f"sha256:{whole}", digests


def check_closed_months(entries: Sequence[data.Directive], root: str) -> list[Problem]:
    """Every change to a closed month: an entry added or edited (named by its file
    and line), entries removed, or a close directive that cannot be read."""
    problems: list[Problem] = []
    closes = closed_months(entries, root)
    if not closes:
        return problems
    seen: dict[str, ClosedMonth] = {}
    by_month = content_by_month(entries)  # one pass, whatever the number of closed months
    for close in closes:
        try:
            first, _ = month_of(close.month)
        except CoopError:
            problems.append(
                Problem("close-bad-month", close.file, close.line, {"value": close.month})
            )
            continue
        if not close.fingerprint:
            problems.append(
                Problem("close-no-fingerprint", close.file, close.line, {"month": close.month})
            )
            continue
        earlier = seen.get(close.month)
        if earlier is not None:
            problems.append(
                Problem(
                    "month-closed-twice",
                    close.file,
                    close.line,
                    {"month": close.month, "first": f"{earlier.file}:{earlier.line}"},
                )
            )
            continue
        seen[close.month] = close
        problems.extend(_month_problems(close, by_month.get(month_key(first), []), root))
    return problems


def _month_problems(close: ClosedMonth, current: list[data.Directive], root: str) -> list[Problem]:
    whole, _ = fingerprint(current)
    if whole == close.fingerprint:
        return []
    problems: list[Problem] = []
    if close.entries is None or close.entries != len(close.digests):
        return [Problem("closed-month-changed", close.file, close.line, {"month": close.month})]
    recorded = Counter(close.digests)
    where = f"{close.file}:{close.line}"
    for entry in sorted(
        current, key=lambda e: (e.meta.get("filename", ""), e.meta.get("lineno", 0))
    ):
        key = digest(entry)
        if recorded[key] > 0:
            recorded[key] -= 1
            continue
        meta = entry.meta or {}
        problems.append(
            Problem(
                "closed-month-entry-added",
                relative(meta.get("filename"), root),
                meta.get("lineno"),
                {"month": close.month, "date": entry.date, "close": where},
            )
        )
    missing = sum(recorded.values())
    if missing:
        problems.append(
            Problem(
                "closed-month-entry-removed",
                close.file,
                close.line,
                {"month": close.month, "count": str(missing)},
            )
        )
    if not problems:
        problems.append(
            Problem("closed-month-changed", close.file, close.line, {"month": close.month})
        )
    return problems


def read_invoices(entries: Iterable[data.Directive], root: str = "") -> Obligations:
    """Invoices and their settlements and clearings, with every problem of form."""
    result = Obligations()
    problems = result.problems
    first_seen: dict[str, tuple[str | None, int | None]] = {}
    pending: list[tuple[data.Transaction, str, str, str | None, int | None]] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        meta = entry.meta or {}
        kinds = [k for k in (INVOICE_KEY, SETTLES_KEY, CLEARS_KEY) if meta.get(k) is not None]
        if not kinds and not any(obligation_of_account(p.account) for p in entry.postings):
            continue  # a trade: most entries (its legs would be dropped just below)
        obligations, members = _legs(entry)
        if not kinds and not obligations:
            continue
        file, line = relative(meta.get("filename"), root), meta.get("lineno")
        if not kinds:
            account = next(
                p.account for p in entry.postings if obligation_of_account(p.account) is not None
            )
            problems.append(
                Problem("obligation-without-reference", file, line, {"account": account})
            )
            continue
        if len(kinds) > 1:
            problems.append(
                Problem("obligation-several-references", file, line, {"keys": ", ".join(kinds)})
            )
            continue
        kind, ref = kinds[0], str(meta[kinds[0]])
        if kind != INVOICE_KEY:
            pending.append((entry, kind, ref, file, line))
            continue
        pair = _pair(obligations)
        if pair is None or members or pair[2] <= 0:
            problems.append(Problem("invoice-malformed", file, line, {"ref": ref}))
            continue
        debtor, creditor, amount = pair
        if debtor == creditor:
            problems.append(Problem("invoice-to-self", file, line, {"ref": ref, "member": debtor}))
            continue
        if ref in first_seen:
            where = first_seen[ref]
            problems.append(
                Problem(
                    "duplicate-invoice-ref",
                    file,
                    line,
                    {"ref": ref, "first": f"{where[0]}:{where[1]}"},
                )
            )
            continue
        first_seen[ref] = (file, line)
        due = _due_of(meta.get(DUE_KEY))
        if isinstance(due, str):
            problems.append(Problem("invoice-bad-due", file, line, {"ref": ref, "value": due}))
            due = None
        result.invoices[ref] = Invoice(
            ref, debtor, creditor, amount, entry.date, due, entry.narration or "", file, line
        )
    for entry, kind, ref, file, line in pending:
        reduction = _reduction(entry, kind, ref, file, line, result.invoices, problems)
        if reduction is not None:
            result.reductions.append(reduction)
    _apply_reductions(result)
    return result


def check_invoices(entries: Iterable[data.Directive], root: str = "") -> list[Problem]:
    """Every problem of invoices, settlements and clearings in the journal."""
    result = read_invoices(entries, root)
    return [*result.problems, *clearing_problems(result.reductions)]
