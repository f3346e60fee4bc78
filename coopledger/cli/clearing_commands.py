"""invoice, invoices, settle and clear."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from coopledger import i18n
from coopledger.cli.common import (
    app,
    money_text,
    open_ledger,
    out,
    parse_day,
    print_json,
    print_problems,
    say_route,
)
from coopledger.cli.tables import fitted_table
from coopledger.i18n import N_, _, pgettext
from coopledger.model.money import format_amount, rounded
from coopledger.model.problems import CoopError
from coopledger.setoff.clearing import (
    WITHOUT_DUE,
    Clearing,
    InvoiceColumns,
    Setoff,
    check_amounts,
    minor_formatter,
    minor_texts,
    percent,
    read_invoice_bytes,
    read_invoice_text,
    solve_columns,
)

if TYPE_CHECKING:  # numpy is imported when clearing, not with the command line
    import numpy as np

    from coopledger.ledger import Change, Cooperative, Identity
    from coopledger.model.invoices import Invoice


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
    from coopledger.plans.invoice_plans import plan_invoice

    books = open_ledger()
    day = parse_day(date)
    due_day = parse_day(due) if due else None
    done = books.write(
        lambda coop, author: plan_invoice(
            coop,
            debtor=debtor,
            creditor=creditor,
            amount=amount,
            ref=ref,
            day=day,
            due=due_day,
            memo=memo,
            author=author,
        ),
        as_member,
        open_period=True,
    )
    say_route(done.route, done.reason)
    print_problems(done.warnings)
    recorded, rules, sha = done.value, done.rules, done.sha or ""
    out.print(
        _("Recorded invoice {ref}: {debtor} owes {creditor} {amount} (commit {commit})").format(
            ref=recorded.ref,
            debtor=debtor,
            creditor=creditor,
            amount=money_text(recorded.amount, rules),
            commit=sha[:8],
        ),
        markup=False,
    )


@app.command("invoices")
def invoices_command(
    only_open: bool = typer.Option(False, "--open", help="Only invoices with something left."),
    member: str = typer.Option(None, "--member", help="Only invoices of this member."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every invoice, with what was settled, cleared and is left to pay."""
    found = open_ledger().invoices(member, only_open)
    say_route(found.route, found.reason)
    rows, rules = found.items, found.rules
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
    if i18n.language() != i18n.DEFAULT:  # for people: 1 234,50 (the JSON above stays 1234.50)
        amount = lambda value: i18n.amount_text(rounded(value, rules.decimals))  # noqa: E731
    day = lambda value: i18n.date_text(value, short=True)  # noqa: E731
    cells = [
        [
            i.ref,
            day(i.date),
            day(i.due) if i.due else "",
            i.debtor,
            i.creditor,
            amount(i.amount),
            amount(i.settled),
            amount(i.cleared),
            amount(i.remaining),
        ]
        for i in rows
    ]
    left = sum((i.remaining for i in rows), Decimal(0))
    cells.append([_("total left"), "", "", "", "", "", "", "", amount(left)])
    words = (N_("ref"), N_("date"), N_("due"), N_("debtor"), N_("creditor"), N_("amount"))
    headings = [_(word) for word in (*words, N_("settled"), N_("cleared"))]
    headings.append(pgettext("invoice", "left"))
    table = fitted_table(
        _("{name}: invoices ({currency})").format(name=rules.name, currency=rules.currency),
        headings,
        cells,
        right={5, 6, 7, 8},
        optional=[2],  # the due date may go; every amount stays (the rows stack)
        width=out.width,
        sections={len(cells) - 1},
    )
    out.print(table)


@app.command()
def settle(
    ref: str = typer.Argument(..., help="The invoice's reference."),
    amount: str = typer.Argument(None, help="How much to pay (default: all that is left)."),
    memo: str = typer.Option("", "--memo", "-m", help="A note for the entry."),
    date: str = typer.Option(None, "--date", help="Date of the payment (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Pay (part of) invoice REF in the currency: the debtor pays the creditor."""
    from coopledger.plans.invoice_plans import plan_settle

    books = open_ledger()
    day = parse_day(date)

    def planned(coop: Cooperative, author: Identity) -> tuple[Change, tuple[Invoice, Decimal]]:
        change, invoice, value = plan_settle(
            coop, ref=ref, amount=amount, day=day, memo=memo, author=author
        )
        return change, (invoice, value)

    done = books.write(planned, as_member, open_period=True)
    say_route(done.route, done.reason)
    print_problems(done.warnings)
    (settled, value), sha = done.value, done.sha or ""
    decimals, currency = done.rules.decimals, done.rules.currency
    if as_json:
        print_json(
            {
                "invoice": ref,
                "debtor": settled.debtor,
                "creditor": settled.creditor,
                "paid": format_amount(value, decimals),
                "left": format_amount(settled.remaining - value, decimals),
                "currency": currency,
                "commit": sha,
            }
        )
        return
    out.print(
        _(
            "Settled {amount} of invoice {ref}: {debtor} → {creditor}; "
            "{left} left (commit {commit})"
        ).format(
            amount=money_text(value, done.rules),
            ref=ref,
            debtor=settled.debtor,
            creditor=settled.creditor,
            left=money_text(settled.remaining - value, done.rules),
            commit=sha[:8],
        ),
        markup=False,
    )


# ---------------------------------------------------------------- clear


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


_CHUNK = 100_000  # invoices per piece of output
_MEMBER_KEYS = (
    "owed_by",
    "owed_to",
    "net_position",
    "as_debtor",
    "as_creditor",
    "paid",
    "received",
)


# minor units (int64) to the texts of a report: `minor_texts` (JSON, and text in English)
Texts = Callable[["np.ndarray", int], Sequence[str]]


def people_texts(values: np.ndarray, decimals: int) -> Sequence[str]:
    """Amounts in minor units as the report for people writes them: `1234.50` in
    English (`minor_texts`, vectorized), `1 234,50` in French (`i18n.amount_texts`,
    as every table of the command line, each distinct amount formatted once)."""
    if i18n.language() == i18n.DEFAULT:
        return minor_texts(values, decimals)
    return i18n.amount_texts(values.tolist(), decimals)


def _texts_like(
    values: np.ndarray,
    amounts: np.ndarray,
    amount_texts: np.ndarray,
    decimals: int,
    texts_of: Texts = minor_texts,
) -> Iterable[str]:
    """The texts of `values`, reusing those of `amounts` where equal (most invoices)."""
    import numpy as np

    zero = texts_of(np.zeros(1, dtype=np.int64), decimals)[0]
    if not values.any():
        return repeat(zero, len(values))
    texts = np.where(values == amounts, amount_texts, zero)
    other = np.flatnonzero((values != amounts) & (values != 0))
    if len(other):
        texts[other] = np.array(texts_of(values[other], decimals), dtype=object)
    return texts


def _invoice_pieces(
    result: Setoff, decimals: int, line: str, json_values: bool, texts_of: Texts = minor_texts
) -> Iterator[str | bytes]:
    """The invoice lines `line % (ref, debtor, creditor, [due], amount, cleared,
    [paid], remaining)`, joined by ",\\n" (JSON) or "\\n", a chunk at a time, the
    amounts written by `texts_of`.

    One `%` format per invoice (the numbers are turned into text a chunk at a time).
    """
    import numpy as np

    invoices = result.invoices
    quote = json.encoder.encode_basestring if json_values else str  # as json.dumps does, in C
    names = np.array([quote(name) for name in invoices.names], dtype=object)
    due_values, due_of = np.unique(invoices.due, return_inverse=True)
    dues = np.array(
        [
            "null" if d == WITHOUT_DUE else _json(datetime.date.fromordinal(d).isoformat())
            for d in due_values.tolist()
        ],
        dtype=object,
    )
    separator = ",\n" if json_values else "\n"
    for start in range(0, len(invoices), _CHUNK):
        part = slice(start, start + _CHUNK)
        amount, cleared, paid = invoices.amount[part], result.cleared[part], result.paid[part]
        amount_texts = np.array(texts_of(amount, decimals), dtype=object)
        texts: list[Iterable[str]] = [
            map(quote, invoices.refs[part]),
            names[invoices.debtor[part]],
            names[invoices.creditor[part]],
        ]
        if json_values:
            texts.append(dues[due_of[part]])
        same = (amount, amount_texts, decimals, texts_of)
        texts += [amount_texts, _texts_like(cleared, *same)]
        if json_values or result.with_credit:
            texts.append(_texts_like(paid, *same))
        texts.append(_texts_like(amount - cleared - paid, *same))
        yield (separator if start else "") + separator.join(
            map(line.__mod__, zip(*texts, strict=True))
        )


# where reports are written: texts (and ASCII bytes, which stdout_writer passes straight through)
Write = Callable[[str | bytes], object]


def stdout_writer() -> Write:
    """Texts to sys.stdout, ASCII bytes straight to its binary buffer when it has one
    (160 MB of invoice lines at 1M invoices, not decoded and encoded again)."""
    stream = sys.stdout
    binary = getattr(stream, "buffer", None)

    def write(piece: str | bytes) -> None:
        if isinstance(piece, str):
            stream.write(piece)
        elif binary is None:
            stream.write(piece.decode("ascii"))
        else:
            stream.flush()  # what was written as text first
            binary.write(piece)

    return write


def _joined(pieces: list[str | bytes]) -> str:
    return "".join(p if isinstance(p, str) else p.decode("ascii") for p in pieces)


def write_report_json(result: Setoff, decimals: int, write: Write) -> None:
    """The report as JSON: one member and one invoice per line, same input same bytes.

    The values are those of `clearing.report_values`, written a chunk of
    invoices at a time (a million invoices make 160 MB of JSON).
    """
    text = minor_formatter(decimals)
    head = {
        "solver": result.solver,
        "with_credit": result.with_credit,
        "total_before": text(result.total_before),
        "cleared": text(result.total_cleared),
        "paid": text(result.total_paid),
        "total_after": text(result.total_after),
        "percent_cleared": percent(result.total_cleared, result.total_before),
        "percent_discharged": percent(
            result.total_cleared + result.total_paid, result.total_before
        ),
        "upper_bound": text(result.upper_bound),
    }
    pieces = ["{\n"] + [f"  {_json(key)}: {_json(value)},\n" for key, value in head.items()]
    pieces.append('  "members": {\n')
    if result.invoices.names:
        totals = result.member_totals()
        member_line = "    %s: {" + ", ".join(f'"{key}": "%s"' for key in _MEMBER_KEYS) + "}"
        columns = [minor_texts(totals[key], decimals) for key in _MEMBER_KEYS]
        quoted = map(json.encoder.encode_basestring, result.invoices.names)
        pieces.append(
            ",\n".join(map(member_line.__mod__, zip(quoted, *columns, strict=True))) + "\n"
        )
    pieces.append("  },\n")
    pieces.append('  "invoices": [\n')
    write("".join(pieces))
    line = (
        '    {"ref": %s, "debtor": %s, "creditor": %s, "due": %s, '
        + ", ".join(f'"{key}": "%s"' for key in ("amount", "cleared", "paid", "remaining"))
        + "}"
    )
    for piece in _invoice_pieces(result, decimals, line, json_values=True):
        write(piece)
    write("\n  ]\n}\n" if len(result.invoices) else "  ]\n}\n")


# the clearing report's column headings (write_report_text)
_MEMBER_HEADINGS = (
    N_("member"),
    N_("owed by"),
    N_("owed to"),
    N_("net position"),
    N_("cleared as debtor"),
    N_("cleared as creditor"),
    N_("paid"),
    N_("received"),
)
_INVOICE_HEADINGS = (
    N_("ref"),
    N_("debtor"),
    N_("creditor"),
    N_("amount"),
    N_("cleared"),
    N_("remaining"),
)


def write_report_text(result: Setoff, decimals: int, currency: str, write: Write) -> None:
    """The report for people: totals, the member table, then every invoice, its
    numbers as the reader's language writes them (`people_texts`)."""
    import numpy as np

    def text(value: int) -> str:
        return people_texts(np.array([value], dtype=np.int64), decimals)[0]

    def share(part: int, whole: int) -> str:
        tenths = percent(part, whole)
        return tenths if i18n.language() == i18n.DEFAULT else i18n.amount_text(Decimal(tenths))

    before = result.total_before
    open_before, set_off, open_after, upper_bound = (
        f"  {_(words):<13} "
        for words in (N_("open before"), N_("set off"), N_("open after"), N_("upper bound"))
    )
    member, owed_by, owed_to, net, as_debtor, as_creditor, paid, received = (
        _(word) for word in _MEMBER_HEADINGS
    )
    ref, debtor, creditor, amount, cleared, remaining = (_(word) for word in _INVOICE_HEADINGS)
    lines = [
        (
            _("Clearing of {count} open invoice(s), {currency}, solved by {solver}")
            if currency  # a CSV file of invoices (--invoices) names no currency
            else _("Clearing of {count} open invoice(s), solved by {solver}")
        ).format(
            count=i18n.amount_text(Decimal(len(result.invoices))),
            currency=currency,
            solver=result.solver,
        ),
        f"{open_before}{text(before):>16}",
        f"{set_off}{text(result.total_cleared):>16}  ({share(result.total_cleared, before)} %)",
    ]
    if result.with_credit:
        paid_in = _("paid in {currency}").format(currency=f"{currency:<5}")
        lines.append(
            f"  {paid_in:<13} {text(result.total_paid):>16}  ({share(result.total_paid, before)} %)"
        )
    lines += [
        f"{open_after}{text(result.total_after):>16}",
        f"{upper_bound}{text(result.upper_bound):>16}  "
        + _("(open before minus the sum of net debts: no set-off can clear more)"),
        "",
        _("Members: each cancels as much of what it owes as of what it is owed."),
        f"  {member:<20} {owed_by:>14} {owed_to:>14} {net:>14} "
        f"{as_debtor:>18} {as_creditor:>20}"
        + (f" {paid:>12} {received:>12}" if result.with_credit else ""),
    ]
    if result.invoices.names:
        totals = result.member_totals()
        keys = _MEMBER_KEYS if result.with_credit else _MEMBER_KEYS[:5]
        member_line = "  %-20s %14s %14s %14s %18s %20s" + (
            " %12s %12s" if result.with_credit else ""
        )
        columns = [people_texts(totals[key], decimals) for key in keys]
        lines.append(
            "\n".join(map(member_line.__mod__, zip(result.invoices.names, *columns, strict=True)))
        )
    lines += [
        "",
        _("Invoices (each pair's share spread oldest due date first, then by reference):"),
        f"  {ref:<20} {debtor:<16} {creditor:<16} {amount:>12} {cleared:>12}"
        + (f" {paid:>12}" if result.with_credit else "")
        + f" {remaining:>12}",
    ]
    write("\n".join(lines) + "\n")
    line = "  %-20s %-16s %-16s %12s %12s" + (" %12s" if result.with_credit else "") + " %12s"
    for piece in _invoice_pieces(result, decimals, line, json_values=False, texts_of=people_texts):
        write(piece)
    if len(result.invoices):
        write("\n")


def report_json(clearing: Clearing | Setoff, decimals: int) -> str:
    """`write_report_json` as one string."""
    pieces: list[str | bytes] = []
    result = clearing.columns() if isinstance(clearing, Clearing) else clearing
    write_report_json(result, decimals, pieces.append)
    return _joined(pieces)


def report_text(clearing: Clearing | Setoff, decimals: int, currency: str) -> str:
    """`write_report_text` as one string."""
    pieces: list[str | bytes] = []
    result = clearing.columns() if isinstance(clearing, Clearing) else clearing
    write_report_text(result, decimals, currency, pieces.append)
    return _joined(pieces)


def _read_csv(path: Path, decimals: int) -> InvoiceColumns:
    try:
        plain = read_invoice_bytes(path.read_bytes(), decimals)
    except OSError as error:
        raise CoopError("file-unreadable", file=str(path), detail=str(error)) from None
    if plain is not None:
        check_amounts(plain.amount, decimals)
        return plain
    try:
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                text = handle.read()
        except UnicodeDecodeError:
            # read line by line, as the CSV reader would, for the same error
            with path.open(encoding="utf-8", newline="") as handle:
                for _line in handle:
                    pass
            raise
    except (OSError, UnicodeDecodeError) as error:
        raise CoopError("file-unreadable", file=str(path), detail=str(error)) from None
    invoices, problems = read_invoice_text(text, str(path), decimals)
    if invoices is None:
        raise CoopError("csv-errors", file=str(path), problems=tuple(problems))
    check_amounts(invoices.amount, decimals)
    return invoices


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
    if branch is not None and not apply:  # a dry run stays one: no write, no new branch
        raise CoopError("branch-needs-apply", branch=branch)
    if invoices_file is not None:
        if with_credit:
            raise CoopError("credit-needs-journal")
        if apply:
            raise CoopError("apply-needs-journal")
        columns = _read_csv(invoices_file, decimals)
        setoff = solve_columns(columns)
        if as_json:
            write_report_json(setoff, decimals, stdout_writer())
        else:
            write_report_text(setoff, decimals, "", stdout_writer())
        return
    books = open_ledger()
    at = parse_day(date)
    if not apply:
        found = books.clearing(at, with_credit)
        say_route(found.route, found.reason)
        places, currency = found.rules.decimals, found.rules.currency
        sys.stdout.write(
            report_json(found.items, places)
            if as_json
            else report_text(found.items, places, currency)
            + "\n"
            + _("Nothing was written (a dry run): add --apply to write and commit it.")
            + "\n"
        )
        return
    from coopledger.plans.invoice_plans import journal_obligations, plan_clearing, solve_clearing

    def planned(
        coop: Cooperative, author: Identity
    ) -> tuple[Change | None, tuple[Clearing, str | None]]:
        obligations, found, places = journal_obligations(coop, at)
        result = solve_clearing(coop, obligations, with_credit, at, places)
        found_plan = plan_clearing(coop, result, found, day=at, author=author)
        if found_plan is None:
            return None, (result, None)
        change, clearing_id = found_plan
        return change, (result, clearing_id)

    done = books.write(planned, as_member, branch=branch, open_period=True)
    say_route(done.route, done.reason)
    print_problems(done.warnings)
    (result, clearing_id), sha, rules = done.value, done.sha, done.rules
    places = rules.decimals
    if as_json:
        values = json.loads(report_json(result, places))
        values["applied"] = {"clearing": clearing_id, "commit": sha, "branch": branch}
        print_json(values)
        return
    sys.stdout.write(report_text(result, places, rules.currency))
    if sha is None:
        out.print("\n" + _("Nothing to clear: nothing was written."), markup=False)
    elif branch:
        out.print(
            "\n"
            + _("Applied clearing {clearing} on the new branch {branch} (commit {commit}).").format(
                clearing=clearing_id, branch=branch, commit=sha[:8]
            ),
            markup=False,
        )
    else:
        out.print(
            "\n"
            + _("Applied clearing {clearing} (commit {commit}).").format(
                clearing=clearing_id, commit=sha[:8]
            ),
            markup=False,
        )
