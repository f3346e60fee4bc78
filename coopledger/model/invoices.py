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
writes of `coopledger invoice`, `settle` and `clear --apply` are planned in
`coopledger.plans.invoice_plans` (this module is read by the checks, so it imports
no planner).
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from beancount.core import data

from coopledger.model.accounts import (
    member_account,
    member_of_account,
    obligation_of_account,
    payable_account,
    receivable_account,
)
from coopledger.model.journal import posting_lines, quote_string
from coopledger.model.money import format_amount
from coopledger.model.paths import relative
from coopledger.model.problems import Problem

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
        if (
            meta.get(INVOICE_KEY) is None
            and meta.get(SETTLES_KEY) is None
            and meta.get(CLEARS_KEY) is None
        ):
            for posting in entry.postings:
                if obligation_of_account(posting.account):
                    break
            else:
                continue  # a trade: most entries (its legs would be dropped just below)
        kinds = [k for k in (INVOICE_KEY, SETTLES_KEY, CLEARS_KEY) if meta.get(k) is not None]
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
    return posting_lines(postings, currency)  # as bean-format aligns them


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
