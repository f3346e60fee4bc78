"""invoice, invoices, settle and clear."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from coopledger import gitrepo, store
from coopledger.checks import balance_at
from coopledger.clearing import (
    Clearing,
    Obligation,
    minor_formatter,
    percent,
    read_invoice_csv,
    report_values_head,
    solve_setoff,
    solve_with_credit,
)
from coopledger.cli.common import (
    app,
    author_for,
    cooperative_root,
    out,
    parse_day,
    prepare_write,
    print_json,
    print_problems,
)
from coopledger.invoices import (
    Invoice,
    open_invoices,
    plan_clearing,
    plan_invoice,
    plan_settle,
    read_invoices,
)
from coopledger.limits import ceiling_at, floor_at
from coopledger.money import format_amount
from coopledger.problems import CoopError


def _usable(coop: store.Cooperative) -> None:
    from coopledger.changes import usable

    usable(coop)


@app.command()
def invoice(
    debtor: str = typer.Argument(..., help="Member who owes."),
    creditor: str = typer.Argument(..., help="Member who is owed."),
    amount: str = typer.Argument(..., help="Amount, e.g. 120 or 12.50."),
    ref: str = typer.Option(..., "--ref", help="The invoice's reference, unique."),
    due: str = typer.Option(None, "--due", help="Due date, YYYY-MM-DD."),
    memo: str = typer.Option("", "--memo", "-m", help="What the invoice is for."),
    date: str = typer.Option(None, "--date", help="Date of the invoice (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Record that DEBTOR owes CREDITOR an AMOUNT (an invoice), and commit it."""
    root = cooperative_root()
    day = parse_day(date)
    due_day = parse_day(due) if due else None
    with store.locked(root):
        prepare_write(root)
        coop = store.load(root)
        author = author_for(root, coop, as_member)
        change, recorded = plan_invoice(
            coop,
            debtor=debtor,
            creditor=creditor,
            amount=amount,
            ref=ref,
            day=day,
            due=due_day,
            memo=memo,
            author=author,
        )
        sha = store.apply(root, change)
    assert coop.rules is not None
    print_problems(change.warnings)
    text = format_amount(recorded.amount, coop.rules.decimals)
    out.print(
        f"Recorded invoice {recorded.ref}: {debtor} owes {creditor} {text} "
        f"{coop.rules.currency} (commit {sha[:8]})",
        markup=False,
    )


@app.command("invoices")
def invoices_command(
    only_open: bool = typer.Option(False, "--open", help="Only invoices with something left."),
    member: str = typer.Option(None, "--member", help="Only invoices of this member."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every invoice, with what was settled, cleared and is left to pay."""
    coop = store.load(cooperative_root())
    _usable(coop)
    assert coop.rules is not None and coop.roster is not None
    if member is not None:
        from coopledger.changes import known_member

        known_member(coop.roster, member)
    rules = coop.rules
    found = read_invoices(coop.entries, str(coop.root)).invoices.values()
    rows = sorted(
        (
            i
            for i in found
            if (not only_open or i.is_open) and (member is None or member in (i.debtor, i.creditor))
        ),
        key=lambda i: (i.date, i.ref),
    )
    amount = lambda value: format_amount(value, rules.decimals)  # noqa: E731
    if as_json:
        print_json(
            [
                {
                    "ref": i.ref,
                    "date": i.date.isoformat(),
                    "due": i.due.isoformat() if i.due else None,
                    "debtor": i.debtor,
                    "creditor": i.creditor,
                    "amount": amount(i.amount),
                    "settled": amount(i.settled),
                    "cleared": amount(i.cleared),
                    "remaining": amount(i.remaining),
                    "memo": i.memo,
                }
                for i in rows
            ]
        )
        return
    table = Table(title=f"{rules.name}: invoices ({rules.currency})")
    for heading in (
        "ref",
        "date",
        "due",
        "debtor",
        "creditor",
        "amount",
        "settled",
        "cleared",
        "left",
    ):
        justify = "right" if heading in ("amount", "settled", "cleared", "left") else "left"
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for i in rows:
        table.add_row(
            i.ref,
            i.date.isoformat(),
            i.due.isoformat() if i.due else "",
            i.debtor,
            i.creditor,
            amount(i.amount),
            amount(i.settled),
            amount(i.cleared),
            amount(i.remaining),
        )
    left = sum((i.remaining for i in rows), Decimal(0))
    table.add_section()
    table.add_row("total left", "", "", "", "", "", "", "", amount(left))
    out.print(table)


@app.command()
def settle(
    ref: str = typer.Argument(..., help="The invoice's reference."),
    amount: str = typer.Argument(None, help="How much to pay (default: all that is left)."),
    memo: str = typer.Option("", "--memo", "-m", help="A note for the entry."),
    date: str = typer.Option(None, "--date", help="Date of the payment (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Pay (part of) invoice REF in the currency: the debtor pays the creditor."""
    root = cooperative_root()
    day = parse_day(date)
    with store.locked(root):
        prepare_write(root)
        coop = store.load(root)
        author = author_for(root, coop, as_member)
        change, settled, value = plan_settle(
            coop, ref=ref, amount=amount, day=day, memo=memo, author=author
        )
        sha = store.apply(root, change)
    assert coop.rules is not None
    print_problems(change.warnings)
    decimals, currency = coop.rules.decimals, coop.rules.currency
    out.print(
        f"Settled {format_amount(value, decimals)} {currency} of invoice {ref}: "
        f"{settled.debtor} → {settled.creditor}; "
        f"{format_amount(settled.remaining - value, decimals)} {currency} left "
        f"(commit {sha[:8]})",
        markup=False,
    )


# ---------------------------------------------------------------- clear


def _journal_obligations(
    coop: store.Cooperative, day: str | None
) -> tuple[list[Obligation], dict[str, Invoice], int]:
    assert coop.rules is not None
    decimals = coop.rules.decimals
    at = parse_day(day)
    found = read_invoices(coop.entries, str(coop.root)).invoices
    scale = Decimal(10) ** decimals
    obligations = [
        Obligation(i.ref, i.debtor, i.creditor, int(i.remaining * scale), i.due)
        for i in open_invoices(found.values(), at)
    ]
    return obligations, found, decimals


def _headroom(coop: store.Cooperative, day: str | None) -> tuple[dict[str, int], dict[str, int]]:
    """What each active member can still pay and receive, in minor units."""
    assert coop.rules is not None and coop.roster is not None
    at = parse_day(day)
    scale = Decimal(10) ** coop.rules.decimals
    can_pay: dict[str, int] = {}
    can_receive: dict[str, int] = {}
    for member in coop.roster:
        if member.status_at(at) != "active":
            continue
        balance = balance_at(coop.history.get(member.id, ()), None)
        floor = floor_at(member, coop.rules, at)
        ceiling = ceiling_at(member, coop.rules, at)
        unlimited = 10**15
        can_pay[member.id] = unlimited if floor is None else max(int((balance - floor) * scale), 0)
        can_receive[member.id] = (
            unlimited if ceiling is None else max(int((ceiling - balance) * scale), 0)
        )
    return can_pay, can_receive


def _solve(
    obligations: list[Obligation],
    coop: store.Cooperative | None,
    with_credit: bool,
    day: str | None,
) -> Clearing:
    if with_credit:
        assert coop is not None
        can_pay, can_receive = _headroom(coop, day)
        return solve_with_credit(obligations, can_pay, can_receive)
    return solve_setoff(obligations)


def report_json(clearing: Clearing, decimals: int) -> str:
    """The report as JSON: one member and one invoice per line, same input same bytes.

    The values are those of `clearing.report_values`; the invoice lines are
    written directly, as a million of them must print in about a second.
    """
    values = report_values_head(clearing, decimals)
    dump = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    money = minor_formatter(decimals)
    quote = json.encoder.encode_basestring  # what json.dumps does to a str, in C
    names = {name: quote(name) for name in {o.debtor for o in clearing.obligations}}
    names.update({name: quote(name) for name in {o.creditor for o in clearing.obligations}})
    invoice_lines = [
        f'    {{"ref": {quote(o.ref)}, "debtor": {names[o.debtor]}, '
        f'"creditor": {names[o.creditor]}, '
        f'"due": {dump(o.due.isoformat()) if o.due else "null"}, '
        f'"amount": "{money(o.amount)}", "cleared": "{money(cleared)}", '
        f'"paid": "{money(paid)}", "remaining": "{money(o.amount - cleared - paid)}"}}'
        for o, cleared, paid in zip(
            clearing.obligations, clearing.cleared, clearing.paid, strict=True
        )
    ]
    members = values.pop("members")
    assert isinstance(members, dict)
    lines = ["{"]
    lines += [f"  {dump(key)}: {dump(value)}," for key, value in values.items()]
    lines.append('  "members": {')
    lines.append(",\n".join(f"    {dump(key)}: {dump(row)}" for key, row in members.items()))
    lines.append("  },")
    lines.append('  "invoices": [')
    lines.append(",\n".join(invoice_lines))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(line for line in lines if line) + "\n"


def report_text(clearing: Clearing, decimals: int, currency: str) -> str:
    """The report for people: totals, the member table, then every invoice."""
    text = minor_formatter(decimals)
    before = clearing.total_before
    lines = [
        f"Clearing of {len(clearing.obligations)} open invoice(s), {currency}, "
        f"solved by {clearing.solver}",
        f"  open before   {text(before):>16}",
        f"  set off       {text(clearing.total_cleared):>16}  "
        f"({percent(clearing.total_cleared, before)} %)",
    ]
    if clearing.with_credit:
        lines.append(
            f"  paid in {currency:<5} {text(clearing.total_paid):>16}  "
            f"({percent(clearing.total_paid, before)} %)"
        )
    lines += [
        f"  open after    {text(clearing.total_after):>16}",
        f"  upper bound   {text(clearing.upper_bound):>16}  "
        "(open before minus the sum of net debts: no set-off can clear more)",
        "",
        "Members: each cancels as much of what it owes as of what it is owed.",
        f"  {'member':<20} {'owed by':>14} {'owed to':>14} {'net position':>14} "
        f"{'cleared as debtor':>18} {'cleared as creditor':>20}"
        + (f" {'paid':>12} {'received':>12}" if clearing.with_credit else ""),
    ]
    for row in clearing.members():
        line = (
            f"  {row.member:<20} {text(row.owed_by):>14} {text(row.owed_to):>14} "
            f"{text(row.net_position):>14} {text(row.as_debtor):>18} {text(row.as_creditor):>20}"
        )
        if clearing.with_credit:
            line += f" {text(row.paid):>12} {text(row.received):>12}"
        lines.append(line)
    lines += [
        "",
        "Invoices (each pair's share spread oldest due date first, then by reference):",
        f"  {'ref':<20} {'debtor':<16} {'creditor':<16} {'amount':>12} {'cleared':>12}"
        + (f" {'paid':>12}" if clearing.with_credit else "")
        + f" {'remaining':>12}",
    ]
    for o, cleared, paid in zip(clearing.obligations, clearing.cleared, clearing.paid, strict=True):
        line = (
            f"  {o.ref:<20} {o.debtor:<16} {o.creditor:<16} {text(o.amount):>12} "
            f"{text(cleared):>12}"
        )
        if clearing.with_credit:
            line += f" {text(paid):>12}"
        lines.append(line + f" {text(o.amount - cleared - paid):>12}")
    return "\n".join(lines) + "\n"


def _read_csv(path: Path, decimals: int) -> list[Obligation]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            obligations, problems = read_invoice_csv(handle, str(path), decimals)
    except (OSError, UnicodeDecodeError) as error:
        raise CoopError("file-unreadable", file=str(path), detail=str(error)) from None
    if problems:
        raise CoopError("csv-errors", file=str(path), problems=tuple(problems))
    return obligations


@app.command()
def clear(
    date: str = typer.Option(None, "--date", help="Clear invoices issued by this date."),
    apply: bool = typer.Option(False, "--apply", help="Write the clearing and commit it."),
    branch: str = typer.Option(
        None, "--branch", help="With --apply: commit on this new branch, for review."
    ),
    with_credit: bool = typer.Option(
        False, "--with-credit", help="Also pay what is left through members' headroom."
    ),
    invoices_file: Path = typer.Option(
        None, "--invoices", help="Clear a CSV file debtor,creditor,amount[,ref,due] instead."
    ),
    decimals: int = typer.Option(2, "--decimals", help="With --invoices: decimal places."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Cancel the most debt that runs in circles between members (a dry run without --apply)."""
    if branch is not None and not apply:
        apply = True
    if invoices_file is not None:
        if with_credit:
            raise CoopError("credit-needs-journal")
        if apply:
            raise CoopError("apply-needs-journal")
        obligations = _read_csv(invoices_file, decimals)
        result = solve_setoff(obligations)
        sys.stdout.write(
            report_json(result, decimals) if as_json else report_text(result, decimals, "")
        )
        return
    root = cooperative_root()
    if not apply:
        coop = store.load(root)
        _usable(coop)
        obligations, _, places = _journal_obligations(coop, date)
        result = _solve(obligations, coop, with_credit, date)
        assert coop.rules is not None
        sys.stdout.write(
            report_json(result, places)
            if as_json
            else report_text(result, places, coop.rules.currency)
            + "\nNothing was written (a dry run): add --apply to write and commit it.\n"
        )
        return
    with store.locked(root):
        prepare_write(root)
        coop = store.load(root)
        author = author_for(root, coop, as_member)
        obligations, found, places = _journal_obligations(coop, date)
        result = _solve(obligations, coop, with_credit, date)
        planned = plan_clearing(coop, result, found, day=parse_day(date), author=author)
        sha = None
        clearing_id = None
        if planned is not None:
            change, clearing_id = planned
            if branch is not None:
                gitrepo.create_branch(gitrepo.open_repo(root), branch)
            sha = store.apply(root, change)
    assert coop.rules is not None
    if as_json:
        values = json.loads(report_json(result, places))
        values["applied"] = {"clearing": clearing_id, "commit": sha, "branch": branch}
        print_json(values)
        return
    sys.stdout.write(report_text(result, places, coop.rules.currency))
    if sha is None:
        out.print("\nNothing to clear: nothing was written.", markup=False)
    else:
        where = f" on the new branch {branch}" if branch else ""
        out.print(f"\nApplied clearing {clearing_id}{where} (commit {sha[:8]}).", markup=False)
