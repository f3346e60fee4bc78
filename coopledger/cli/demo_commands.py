"""demo: a synthetic cooperative to try coopledger on, and to benchmark it."""

from __future__ import annotations

import datetime
from pathlib import Path

import typer

from coopledger.cli.common import app, out, parse_day

# coopledger.founding.demo.DEFAULT_UNTIL, written out so that the command line does not import
# the demo (and beancount) to show it; tests/test_lazy_imports.py checks they agree
DEFAULT_UNTIL = "2026-11-20"


@app.command()
def demo(
    directory: Path = typer.Argument(
        ..., metavar="DIR", help="A new or empty folder for the cooperative."
    ),
    members: int = typer.Option(25, "--members", min=2, help="How many members."),
    months: int = typer.Option(6, "--months", min=1, help="How many months of trades."),
    trades: int = typer.Option(360, "--trades", min=0, help="How many trades in all."),
    invoices: int = typer.Option(
        0, "--invoices", min=0, help="How many open invoices between members."
    ),
    seed: int = typer.Option(1, "--seed", help="The same seed gives the same cooperative."),
    until: str = typer.Option(
        DEFAULT_UNTIL, "--until", help="Date of the last trades (YYYY-MM-DD)."
    ),
) -> None:
    """Create a synthetic cooperative (a git repository with one commit) to try things on;
    git in it is set up as its treasurer, so that its commands write as her."""
    from coopledger.founding.demo import DemoSpec
    from coopledger.ledger import Ledger

    day: datetime.date = parse_day(until)
    spec = DemoSpec(
        members=members, months=months, trades=trades, invoices=invoices, seed=seed, until=day
    )
    _, sha, files = Ledger.create_demo(directory.resolve(), spec)
    root = directory.resolve()
    out.print(
        f"Created the demo cooperative {spec.name} in {root} (commit {sha[:8]})", markup=False
    )
    out.print(
        f"  {members} members, {trades} trades, {invoices} invoices from "
        f"{spec.start.isoformat()} to {day.isoformat()}, {files} files; "
        f"try: coopledger -C {directory} balances",
        markup=False,
    )
