"""Planning the writes of invoices: `coopledger invoice`, `settle`, `clear --apply`.

Each plan function takes the loaded `Cooperative` and what was asked, formats
the entries (`coopledger.model.invoices`), and judges them through the one
checked-write path (`coopledger.plans.writes.check_write`). It returns the `Change`
to apply, or raises `CoopError`. The model and rules of invoices live in
`coopledger.model.invoices`, which the checks import: planners stay out of it.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from coopledger.git.gitrepo import Identity
from coopledger.model import clock
from coopledger.model.invoices import (
    CLEARING_OWNER,
    Invoice,
    format_clears,
    format_invoice,
    format_settlement,
    is_ref,
    open_invoices,
    read_invoices,
)
from coopledger.model.journal import JOURNAL_DIR, entry_file, new_trade_id
from coopledger.model.money import format_amount, parse_amount, quantum
from coopledger.model.plaintext import checked_text
from coopledger.model.problems import CoopError
from coopledger.model.rules import check_horizon
from coopledger.plans.changes import known_member
from coopledger.plans.writes import append_entries, check_write, usable, within_open_period
from coopledger.setoff.clearing import (
    Clearing,
    Obligation,
    check_amounts,
    credit_headroom,
    solve_setoff,
    solve_with_credit,
)
from coopledger.storage.store import Change, Cooperative


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

    rules, roster = usable(coop)
    within_open_period(coop, [day])
    check_horizon(day, rules, clock.today())
    checked_text(memo, "memo")
    for member_id in (debtor, creditor):
        member = known_member(roster, member_id)
        status = member.status_at(day)
        if status != "active":
            raise CoopError(
                "member-not-active-on", member=member_id, status=status, date=day.isoformat()
            )
    if debtor == creditor:
        raise CoopError("self-invoice", member=debtor)
    if not is_ref(ref):
        raise CoopError("bad-invoice-ref", ref=ref)
    existing = read_invoices(coop.invoice_entries, str(coop.root)).invoices.get(ref)
    if existing is not None:
        raise CoopError("invoice-exists", ref=ref, where=f"{existing.file}:{existing.line}")
    value = parse_amount(amount, rules.decimals)
    if due is not None and due < day:
        raise CoopError("due-before-date", due=due.isoformat(), date=day.isoformat())
    invoice = Invoice(ref, debtor, creditor, value, day, due, memo.strip())
    path = entry_file(day, creditor, f"invoice-{ref}")
    new_text, entries = append_entries(
        coop.root, path, format_invoice(invoice, rules.currency, rules.decimals)
    )
    warnings = check_write(coop, entries, "change-refused")
    invoice = replace(invoice, file=path, line=entries[0].meta["lineno"])
    text = format_amount(value, rules.decimals)
    message = f"invoice {ref}: {debtor} owes {creditor} {text} {rules.currency}"
    if invoice.memo:
        message += f" — {invoice.memo}"
    return Change({path: new_text}, message, author, warnings), invoice


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

    rules, roster = usable(coop)
    within_open_period(coop, [day])
    check_horizon(day, rules, clock.today())
    checked_text(memo, "memo")
    invoice = read_invoices(coop.invoice_entries, str(coop.root)).invoices.get(ref)
    if invoice is None:
        raise CoopError("unknown-invoice", ref=ref)
    left = invoice.remaining
    value = left if amount is None else parse_amount(amount, rules.decimals)
    if value <= 0 or value > left:
        raise CoopError(
            "settle-too-much",
            ref=ref,
            amount=format_amount(value, rules.decimals),
            left=format_amount(left, rules.decimals),
            currency=rules.currency,
        )
    for member_id in (invoice.debtor, invoice.creditor):
        member = roster.get(member_id)
        status = member.status_at(day) if member else "unknown"
        if status != "active":
            raise CoopError(
                "member-not-active-on", member=member_id, status=status, date=day.isoformat()
            )
    path = entry_file(day, invoice.debtor, new_trade_id(day))
    entry_text = format_settlement(invoice, value, day, rules.currency, rules.decimals, memo)
    new_text, entries = append_entries(coop.root, path, entry_text)
    warnings = check_write(coop, entries, "trade-refused")
    text = format_amount(value, rules.decimals)
    message = f"settle {ref}: {invoice.debtor} → {invoice.creditor} {text} {rules.currency}"
    return Change({path: new_text}, message, author, warnings), invoice, value


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

    rules, _ = usable(coop)
    within_open_period(coop, [day])
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
    path = entry_file(day, CLEARING_OWNER, clearing_id)
    assert path.startswith(JOURNAL_DIR)
    new_text, entries = append_entries(coop.root, path, "\n".join(parts))
    warnings = check_write(coop, entries, "change-refused")
    total = format_amount(Decimal(clearing.total_cleared) * unit, rules.decimals)
    message = (
        f"clearing {clearing_id}: {total} {rules.currency} set off over {len(rows)} invoice(s)"
    )
    if clearing.total_paid:
        paid_text = format_amount(Decimal(clearing.total_paid) * unit, rules.decimals)
        message += f", {paid_text} {rules.currency} paid in the currency"
    return Change({path: new_text}, message, author, warnings), clearing_id


def journal_obligations(
    coop: Cooperative, at: datetime.date
) -> tuple[list[Obligation], dict[str, Invoice], int]:
    """The invoices open at `at` as obligations in minor units, every invoice
    by ref, and the currency's decimal places."""
    assert coop.rules is not None
    decimals = coop.rules.decimals
    found = read_invoices(coop.invoice_entries, str(coop.root)).invoices
    scale = Decimal(10) ** decimals
    obligations = [
        Obligation(i.ref, i.debtor, i.creditor, int(i.remaining * scale), i.due)
        for i in open_invoices(found.values(), at)
    ]
    return obligations, found, decimals


def solve_clearing(
    coop: Cooperative,
    obligations: list[Obligation],
    with_credit: bool,
    at: datetime.date,
    decimals: int,
) -> Clearing:
    """The best set-off of `obligations`; `with_credit`, what is left paid too
    through the members' headroom at `at`."""
    check_amounts([o.amount for o in obligations], decimals)
    if with_credit:
        assert coop.rules is not None and coop.roster is not None
        headroom = credit_headroom(coop.roster, coop.rules, coop.history, at)
        return solve_with_credit(obligations, headroom)
    return solve_setoff(obligations)
