"""trades: the trades of the journal with their ids, to pick one to reverse."""

from __future__ import annotations

import typer

from coopledger import i18n
from coopledger.cli.common import app, open_ledger, out, print_json, say_route, trade_record
from coopledger.cli.tables import fitted_table
from coopledger.i18n import N_, _
from coopledger.language.words import counted
from coopledger.model.money import rounded


@app.command("trades")
def trades_command(
    member: str = typer.Option(None, "--member", help="Only the trades this member is in."),
    month: str = typer.Option(None, "--month", metavar="YYYY-MM", help="Only this month's."),
    text: str = typer.Option(None, "--text", help="Only those whose memo holds these words."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the trades with their ids (give the start of an id to 'reverse')."""
    from coopledger.cli.report_commands import warn_if_problems

    found = open_ledger().trades(member, month, text)
    say_route(found.route, found.reason)
    chosen, rules = found.items, found.rules
    if as_json:
        print_json([trade_record(t, rules.decimals, rules.currency) for t in chosen])
        warn_if_problems(found.error_count)
        return
    cells = [
        [
            t.trade_id or "",
            i18n.date_text(t.date, short=True),
            t.payer,
            t.payee,
            i18n.amount_text(rounded(t.amount, rules.decimals)),
            t.memo,
        ]
        for t in chosen
    ]
    trades = counted(len(chosen), N_("{count} trade"), N_("{count} trades"))
    title = _("{name}: {trades}").format(name=rules.name, trades=trades)
    headings = [_("id"), _("date"), _("payer"), _("payee"), rules.currency, _("memo")]
    out.print(fitted_table(title, headings, cells, right={4}, optional=[5], width=out.width))
    warn_if_problems(found.error_count)
