"""Invoices between members: what they are in the journal, and their rules.

An invoice says that a debtor owes a creditor an amount. It lives on two
obligation accounts that never touch the members' currency balances, so an
open invoice changes nobody's balance, limits or the zero sum:

    2026-11-03 * "pain, novembre"
      invoice: "F-2026-031"
      due: 2026-12-31
      Assets:Receivable:Fournil        120.00 SEL
      Liabilities:Payable:Alice       -120.00 SEL

A settlement pays (part of) an invoice in the currency: a trade from the
debtor to the creditor, in the same transaction that reduces the invoice:

    2026-11-20 * "settles F-2026-031"
      settles: "F-2026-031"
      Assets:Members:Alice             -50.00 SEL
      Assets:Members:Fournil            50.00 SEL
      Liabilities:Payable:Alice         50.00 SEL
      Assets:Receivable:Fournil        -50.00 SEL

An applied clearing reduces invoices without any payment, one transaction per
invoice, all with the same `clearing` id; together they leave every member's
net position (owed to it minus owed by it) unchanged:

    2026-11-30 * "clearing 2026-11-30-5e0c41aa: F-2026-031"
      clearing: "2026-11-30-5e0c41aa"
      solver: "ortools 9.15.6755"
      clears: "F-2026-031"
      Liabilities:Payable:Alice         50.00 SEL
      Assets:Receivable:Fournil        -50.00 SEL

`read_invoices` turns the entries into `Invoice` values with what was settled
and cleared, and `check_invoices` returns every problem as a `Problem`. The
plan functions at the end prepare the writes of `coopledger invoice`, `settle`
and `clear --apply`.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from beancount.core import data

from coopledger import clock
from coopledger.accounts import (
    member_account,
    member_of_account,
    obligation_of_account,
    payable_account,
    receivable_account,
)
from coopledger.journal import JOURNAL_DIR, entry_path, quote_string
from coopledger.money import format_amount, rounded
from coopledger.plaintext import checked_text
from coopledger.problems import CoopError, Problem
from coopledger.rules import check_horizon

if TYPE_CHECKING:
    from coopledger.clearing import Clearing
    from coopledger.gitrepo import Identity
    from coopledger.store import Change, Cooperative

INVOICE_KEY = "invoice"
DUE_KEY = "due"
SETTLES_KEY = "settles"
CLEARS_KEY = "clears"
CLEARING_KEY = "clearing"
SOLVER_KEY = "solver"
CLEARING_OWNER = "clearing"
REF_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._/#-]{0,63}"
_REF = re.compile(REF_PATTERN)


@dataclass(frozen=True)
class Invoice:
    """What `debtor` owes `creditor`, and how much of it is left."""

    ref: str
    debtor: str
    creditor: str
    amount: Decimal
    date: datetime.date
    due: datetime.date | None = None
    memo: str = ""
    file: str | None = None
    line: int | None = None
    settled: Decimal = Decimal(0)
    cleared: Decimal = Decimal(0)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.settled - self.cleared

    @property
    def is_open(self) -> bool:
        return self.remaining > 0


@dataclass(frozen=True)
class Reduction:
    """A settlement (`settles`) or a clearing (`clears`) of one invoice."""

    kind: str  # SETTLES_KEY or CLEARS_KEY
    ref: str
    debtor: str
    creditor: str
    amount: Decimal
    date: datetime.date
    clearing: str | None
    file: str | None
    line: int | None


@dataclass
class Obligations:
    """Every invoice of the journal, with its reductions and the problems found."""

    invoices: dict[str, Invoice] = field(default_factory=dict)
    reductions: list[Reduction] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def is_ref(text: str) -> bool:
    return bool(_REF.fullmatch(text))


def _relative(path: str | None, root: str) -> str | None:
    from coopledger.checks import relative

    return relative(path, root)


def _legs(
    entry: data.Transaction,
) -> tuple[list[tuple[str, str, Decimal]], list[tuple[str, Decimal]]]:
    """(obligation postings as (kind, member, number), member postings as (member, number))."""
    obligations: list[tuple[str, str, Decimal]] = []
    members: list[tuple[str, Decimal]] = []
    for posting in entry.postings:
        number = posting.units.number if posting.units is not None else None
        if number is None:
            continue
        found = obligation_of_account(posting.account)
        if found is not None:
            obligations.append((found[0], found[1], number))
            continue
        member = member_of_account(posting.account)
        if member is not None:
            members.append((member, number))
    return obligations, members


def _pair(obligations: list[tuple[str, str, Decimal]]) -> tuple[str, str, Decimal] | None:
    """(debtor, creditor, amount) when there is one payable and one receivable of
    opposite amounts; amount is what the payable posting says, negated."""
    if len(obligations) != 2:
        return None
    by_kind = {kind: (member, number) for kind, member, number in obligations}
    if set(by_kind) != {"payable", "receivable"}:
        return None
    (debtor, owed), (creditor, due) = by_kind["payable"], by_kind["receivable"]
    if owed + due != 0:
        return None
    return debtor, creditor, -owed


def _due_of(value: object) -> datetime.date | str | None:
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return str(value)


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
        obligations, members = _legs(entry)
        if not kinds and not obligations:
            continue
        file, line = _relative(meta.get("filename"), root), meta.get("lineno")
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


def _reduction(
    entry: data.Transaction,
    kind: str,
    ref: str,
    file: str | None,
    line: int | None,
    invoices: Mapping[str, Invoice],
    problems: list[Problem],
) -> Reduction | None:
    obligations, members = _legs(entry)
    invoice = invoices.get(ref)
    if invoice is None:
        problems.append(Problem("unknown-invoice-ref", file, line, {"ref": ref, "key": kind}))
        return None
    malformed = Problem(
        "reduction-malformed",
        file,
        line,
        {"ref": ref, "key": kind, "debtor": invoice.debtor, "creditor": invoice.creditor},
    )
    pair = _pair(obligations)
    if pair is None or pair[0] != invoice.debtor or pair[1] != invoice.creditor:
        problems.append(malformed)
        return None
    amount = -pair[2]  # the payable goes up by what is paid or cleared
    clearing_id = entry.meta.get(CLEARING_KEY)
    if kind == CLEARS_KEY:
        if members or clearing_id is None:
            problems.append(malformed)
            return None
        if amount <= 0:
            problems.append(
                Problem(
                    "clearing-increases-invoice",
                    file,
                    line,
                    {"ref": ref, "clearing": str(clearing_id)},
                )
            )
            return None
    else:
        expected = sorted([(invoice.debtor, -amount), (invoice.creditor, amount)])
        if amount <= 0 or sorted(members) != expected:
            problems.append(malformed)
            return None
    if entry.date < invoice.date:
        problems.append(
            Problem(
                "reduction-before-invoice",
                file,
                line,
                {"ref": ref, "date": invoice.date},
            )
        )
    return Reduction(
        kind,
        ref,
        invoice.debtor,
        invoice.creditor,
        amount,
        entry.date,
        str(clearing_id) if clearing_id is not None else None,
        file,
        line,
    )


def _apply_reductions(result: Obligations) -> None:
    ordered = sorted(result.reductions, key=lambda r: (r.date, r.file or "", r.line or 0, r.ref))
    for reduction in ordered:
        invoice = result.invoices[reduction.ref]
        if reduction.amount > invoice.remaining:
            result.problems.append(
                Problem(
                    "invoice-overpaid",
                    reduction.file,
                    reduction.line,
                    {
                        "ref": invoice.ref,
                        "amount": reduction.amount,
                        "left": invoice.remaining,
                    },
                )
            )
        if reduction.kind == SETTLES_KEY:
            invoice = replace(invoice, settled=invoice.settled + reduction.amount)
        else:
            invoice = replace(invoice, cleared=invoice.cleared + reduction.amount)
        result.invoices[reduction.ref] = invoice


def clearing_problems(reductions: Sequence[Reduction]) -> list[Problem]:
    """A clearing whose set-offs change some member's net position."""
    groups: dict[str, list[Reduction]] = defaultdict(list)
    for reduction in reductions:
        if reduction.kind == CLEARS_KEY and reduction.clearing is not None:
            groups[reduction.clearing].append(reduction)
    problems = []
    for clearing_id, group in sorted(groups.items()):
        change: dict[str, Decimal] = defaultdict(Decimal)
        for reduction in group:
            change[reduction.debtor] -= reduction.amount  # owes less: net position up
            change[reduction.creditor] += reduction.amount  # is owed less: net position down
        first = min(group, key=lambda r: (r.file or "", r.line or 0))
        for member, delta in sorted(change.items()):
            if delta != 0:
                problems.append(
                    Problem(
                        "clearing-changes-net-position",
                        first.file,
                        first.line,
                        {"clearing": clearing_id, "member": member, "change": str(-delta)},
                    )
                )
    return problems


def check_invoices(entries: Iterable[data.Directive], root: str = "") -> list[Problem]:
    """Every problem of invoices, settlements and clearings in the journal."""
    result = read_invoices(entries, root)
    return [*result.problems, *clearing_problems(result.reductions)]


# ---------------------------------------------------------------- entries


def _posting_lines(postings: Sequence[tuple[str, str]], currency: str) -> list[str]:
    width = max(len(account) for account, _ in postings) + 2
    return [f"  {account:<{width}}{amount:>14} {currency}" for account, amount in postings]


def format_invoice(invoice: Invoice, currency: str, decimals: int) -> str:
    amount = format_amount(invoice.amount, decimals)
    lines = [f"{invoice.date.isoformat()} * {quote_string(invoice.memo or 'invoice')}"]
    lines.append(f"  {INVOICE_KEY}: {quote_string(invoice.ref)}")
    if invoice.due is not None:
        lines.append(f"  {DUE_KEY}: {invoice.due.isoformat()}")
    lines += _posting_lines(
        [
            (receivable_account(invoice.creditor), amount),
            (payable_account(invoice.debtor), "-" + amount),
        ],
        currency,
    )
    return "\n".join(lines) + "\n"


def format_settlement(
    invoice: Invoice,
    amount: Decimal,
    day: datetime.date,
    currency: str,
    decimals: int,
    memo: str = "",
    clearing_id: str | None = None,
) -> str:
    text = format_amount(amount, decimals)
    lines = [f"{day.isoformat()} * {quote_string(memo or f'settles {invoice.ref}')}"]
    if clearing_id is not None:
        lines.append(f"  {CLEARING_KEY}: {quote_string(clearing_id)}")
    lines.append(f"  {SETTLES_KEY}: {quote_string(invoice.ref)}")
    lines += _posting_lines(
        [
            (member_account(invoice.debtor), "-" + text),
            (member_account(invoice.creditor), text),
            (payable_account(invoice.debtor), text),
            (receivable_account(invoice.creditor), "-" + text),
        ],
        currency,
    )
    return "\n".join(lines) + "\n"


def format_clears(
    invoice: Invoice,
    amount: Decimal,
    day: datetime.date,
    clearing_id: str,
    solver: str,
    currency: str,
    decimals: int,
) -> str:
    text = format_amount(amount, decimals)
    lines = [
        f"{day.isoformat()} * {quote_string(f'clearing {clearing_id}: {invoice.ref}')}",
        f"  {CLEARING_KEY}: {quote_string(clearing_id)}",
        f"  {SOLVER_KEY}: {quote_string(solver)}",
        f"  {CLEARS_KEY}: {quote_string(invoice.ref)}",
    ]
    lines += _posting_lines(
        [
            (payable_account(invoice.debtor), text),
            (receivable_account(invoice.creditor), "-" + text),
        ],
        currency,
    )
    return "\n".join(lines) + "\n"


def open_invoices(invoices: Iterable[Invoice], day: datetime.date | None = None) -> list[Invoice]:
    """Invoices issued on or before `day` with something left to pay, by date then ref."""
    return sorted(
        (i for i in invoices if i.is_open and (day is None or i.date <= day)),
        key=lambda i: (i.date, i.ref),
    )


# ---------------------------------------------------------------- planning writes


def _check_after(
    coop: Cooperative, new_entries: list[data.Directive], refusal: str
) -> list[Problem]:
    from coopledger.changes import _new_errors, usable
    from coopledger.checks import check_ledger

    rules, roster = usable(coop)
    after = check_ledger([*coop.entries, *new_entries], roster, rules, str(coop.root))
    errors, warnings = _new_errors(coop, after)
    if errors:
        raise CoopError(refusal, problems=tuple(errors))
    return warnings


def _append(coop: Cooperative, path: str, entry_text: str) -> tuple[str, list[data.Directive]]:
    """The new text of `path` and the parsed entries appended, with their real lines."""
    from beancount.parser import parser

    from coopledger.changes import appended

    full = coop.root / path
    old = full.read_text(encoding="utf-8") if full.exists() else ""
    new_text = appended(old, entry_text)
    first_line = new_text[: len(new_text) - len(entry_text)].count("\n") + 1
    entries, errors, _ = parser.parse_string(entry_text, report_filename=str(full))
    assert not errors, errors
    moved: list[data.Directive] = []
    for entry in entries:
        meta = dict(entry.meta)
        meta["lineno"] = meta["lineno"] + first_line - 1
        moved.append(entry._replace(meta=meta))
    return new_text, moved


def plan_invoice(
    coop: Cooperative,
    *,
    debtor: str,
    creditor: str,
    amount: str,
    ref: str,
    day: datetime.date,
    due: datetime.date | None = None,
    memo: str = "",
    author: Identity,
) -> tuple[Change, Invoice]:
    """`debtor` owes `creditor` `amount`: the invoice entry, in the creditor's file."""
    from coopledger.changes import known_member, usable
    from coopledger.money import parse_amount
    from coopledger.store import Change

    rules, roster = usable(coop)
    check_horizon(day, rules, clock.today())
    checked_text(memo, "memo")
    for member_id in (debtor, creditor):
        member = known_member(roster, member_id)
        status = member.status_at(day)
        if status != "active":
            raise CoopError("member-not-active-on", member=member_id, status=status, date=day)
    if debtor == creditor:
        raise CoopError("self-invoice", member=debtor)
    if not is_ref(ref):
        raise CoopError("bad-invoice-ref", ref=ref)
    existing = read_invoices(coop.entries, str(coop.root)).invoices.get(ref)
    if existing is not None:
        raise CoopError("invoice-exists", ref=ref, where=f"{existing.file}:{existing.line}")
    value = parse_amount(amount, rules.decimals)
    if due is not None and due < day:
        raise CoopError("due-before-date", due=due, date=day)
    invoice = Invoice(ref, debtor, creditor, value, day, due, memo.strip())
    path = entry_path(day, creditor)
    new_text, entries = _append(coop, path, format_invoice(invoice, rules.currency, rules.decimals))
    warnings = _check_after(coop, entries, "change-refused")
    invoice = replace(invoice, file=path, line=entries[0].meta["lineno"])
    text = format_amount(value, rules.decimals)
    message = f"invoice {ref}: {debtor} owes {creditor} {text} {rules.currency}"
    if invoice.memo:
        message += f" — {invoice.memo}"
    return Change({path: new_text}, message, author, tuple(warnings)), invoice


def plan_settle(
    coop: Cooperative,
    *,
    ref: str,
    amount: str | None,
    day: datetime.date,
    memo: str = "",
    author: Identity,
) -> tuple[Change, Invoice, Decimal]:
    """Pay (part of) invoice `ref` in the currency: one entry in the debtor's file."""
    from coopledger.changes import usable
    from coopledger.money import parse_amount
    from coopledger.store import Change

    rules, roster = usable(coop)
    check_horizon(day, rules, clock.today())
    checked_text(memo, "memo")
    invoice = read_invoices(coop.entries, str(coop.root)).invoices.get(ref)
    if invoice is None:
        raise CoopError("unknown-invoice", ref=ref)
    left = invoice.remaining
    value = left if amount is None else parse_amount(amount, rules.decimals)
    if value <= 0 or value > left:
        raise CoopError(
            "settle-too-much",
            ref=ref,
            amount=rounded(value, rules.decimals),
            left=rounded(left, rules.decimals),
            currency=rules.currency,
        )
    for member_id in (invoice.debtor, invoice.creditor):
        member = roster.get(member_id)
        status = member.status_at(day) if member else "unknown"
        if status != "active":
            raise CoopError("member-not-active-on", member=member_id, status=status, date=day)
    path = entry_path(day, invoice.debtor)
    entry_text = format_settlement(invoice, value, day, rules.currency, rules.decimals, memo)
    new_text, entries = _append(coop, path, entry_text)
    warnings = _check_after(coop, entries, "trade-refused")
    text = format_amount(value, rules.decimals)
    message = f"settle {ref}: {invoice.debtor} → {invoice.creditor} {text} {rules.currency}"
    return Change({path: new_text}, message, author, tuple(warnings)), invoice, value


def clearing_id_of(day: datetime.date, content: str) -> str:
    """A clearing's id: its date and a digest of what it does (same input, same id)."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:8]
    return f"{day.isoformat()}-{digest}"


def plan_clearing(
    coop: Cooperative,
    clearing: Clearing,
    invoices: Mapping[str, Invoice],
    *,
    day: datetime.date,
    author: Identity,
) -> tuple[Change, str] | None:
    """The entries of an applied clearing in journal/YYYY/MM/clearing.beancount,
    or None when it clears and pays nothing."""
    from coopledger.changes import usable
    from coopledger.money import quantum
    from coopledger.store import Change

    rules, _ = usable(coop)
    unit = quantum(rules.decimals)
    rows = [
        (invoices[o.ref], cleared, paid)
        for o, cleared, paid in zip(
            clearing.obligations, clearing.cleared, clearing.paid, strict=True
        )
        if cleared or paid
    ]
    if not rows:
        return None
    digest_source = "\n".join(f"{i.ref} {c} {p}" for i, c, p in rows)
    clearing_id = clearing_id_of(day, f"{coop.root.name}\n{digest_source}")
    parts = []
    for invoice, cleared, paid in rows:
        if cleared:
            parts.append(
                format_clears(
                    invoice,
                    cleared * unit,
                    day,
                    clearing_id,
                    clearing.solver,
                    rules.currency,
                    rules.decimals,
                )
            )
        if paid:
            parts.append(
                format_settlement(
                    invoice,
                    paid * unit,
                    day,
                    rules.currency,
                    rules.decimals,
                    f"clearing {clearing_id}: pays {invoice.ref}",
                    clearing_id,
                )
            )
    path = entry_path(day, CLEARING_OWNER)
    assert path.startswith(JOURNAL_DIR)
    new_text, entries = _append(coop, path, "\n".join(parts))
    warnings = _check_after(coop, entries, "change-refused")
    total = format_amount(Decimal(clearing.total_cleared) * unit, rules.decimals)
    message = (
        f"clearing {clearing_id}: {total} {rules.currency} set off over {len(rows)} invoice(s)"
    )
    if clearing.total_paid:
        paid_text = format_amount(Decimal(clearing.total_paid) * unit, rules.decimals)
        message += f", {paid_text} {rules.currency} paid in the currency"
    return Change({path: new_text}, message, author, tuple(warnings)), clearing_id
