"""trades: the trades of the journal with their ids, to pick one to reverse."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from coopledger import i18n
from coopledger.cli.common import app, cooperative_root, out, print_json, trade_record
from coopledger.cli.lazy import lazy_module
from coopledger.cli.tables import fitted_table
from coopledger.i18n import N_, _
from coopledger.money import rounded
from coopledger.words import counted

if TYPE_CHECKING:
    from coopledger import store
else:
    store = lazy_module("coopledger.store")


@app.command("trades")
def trades_command(
    member: str = typer.Option(None, "--member", help="Only the trades this member is in."),
    month: str = typer.Option(None, "--month", metavar="YYYY-MM", help="Only this month's."),
    text: str = typer.Option(None, "--text", help="Only those whose memo holds these words."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the trades with their ids (give the start of an id to 'reverse')."""
    from coopledger.changes import known_member
    from coopledger.cli.report_commands import usable_parts, warn_if_problems
    from coopledger.journal import trades_of
    from coopledger.trade_list import select_trades

    coop = store.load(cooperative_root())
    rules, roster = usable_parts(coop)
    if member is not None:
        known_member(roster, member)
    chosen = select_trades(trades_of(coop.entries), member=member, month=month, text=text)
    if as_json:
        print_json([trade_record(t, rules.decimals, rules.currency) for t in chosen])
        warn_if_problems(coop)
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
    warn_if_problems(coop)
