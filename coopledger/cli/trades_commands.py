"""trades: the trades of the journal with their ids, to pick one to reverse."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from coopledger.cli.common import app, cooperative_root, out, print_json, trade_record
from coopledger.cli.lazy import lazy_module
from coopledger.cli.tables import fitted_table
from coopledger.language.words import plural
from coopledger.model.money import format_amount

if TYPE_CHECKING:
    from coopledger.storage import store
else:
    store = lazy_module("coopledger.storage.store")


@app.command("trades")
def trades_command(
    member: str = typer.Option(None, "--member", help="Only the trades this member is in."),
    month: str = typer.Option(None, "--month", metavar="YYYY-MM", help="Only this month's."),
    text: str = typer.Option(None, "--text", help="Only those whose memo holds these words."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the trades with their ids (give the start of an id to 'reverse')."""
    from coopledger.cli.report_commands import usable_parts, warn_if_problems
    from coopledger.model.journal import trades_of
    from coopledger.plans.changes import known_member
    from coopledger.reporting.trade_list import select_trades

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
            t.date.isoformat(),
            t.payer,
            t.payee,
            format_amount(t.amount, rules.decimals),
            t.memo,
        ]
        for t in chosen
    ]
    title = f"{rules.name}: {plural(len(chosen), 'trade')}"
    headings = ["id", "date", "payer", "payee", rules.currency, "memo"]
    out.print(fitted_table(title, headings, cells, right={4}, optional=[5], width=out.width))
    warn_if_problems(coop)
