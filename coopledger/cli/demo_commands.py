"""demo: a synthetic cooperative to try coopledger on, and to benchmark it."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from coopledger import i18n
from coopledger.cli.common import app, out, parse_day
from coopledger.cli.lazy import lazy_module
from coopledger.i18n import _
from coopledger.problems import CoopError

if TYPE_CHECKING:
    from coopledger import gitrepo
else:
    gitrepo = lazy_module("coopledger.gitrepo")

# coopledger.demo.DEFAULT_UNTIL, written out so that the command line does not import
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
    from coopledger.demo import TREASURER, DemoSpec, demo_files

    root = directory.resolve()
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise CoopError("demo-not-empty", path=str(root))
    day: datetime.date = parse_day(until)
    spec = DemoSpec(
        members=members, months=months, trades=trades, invoices=invoices, seed=seed, until=day
    )
    root.mkdir(parents=True, exist_ok=True)
    files = 0
    for name, text in demo_files(spec):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        files += 1
    _treasurer, treasurer_name, treasurer_email = TREASURER
    message = (
        f"demo: {spec.name}, {members} members, {trades} trades, {invoices} invoices "
        f"from {spec.start.isoformat()} to {day.isoformat()} (seed {seed})"
    )
    sha = gitrepo.commit_new_tree(root, message, (treasurer_name, treasurer_email))
    gitrepo.set_identity(root, (treasurer_name, treasurer_email))  # a playground: you are claire
    out.print(
        _("Created the demo cooperative {name} in {folder} (commit {commit})").format(
            name=spec.name, folder=root, commit=sha[:8]
        ),
        markup=False,
    )
    said = _(
        "{members} members, {trades} trades, {invoices} invoices from {first} to {last}, "
        "{files} files; try: coopledger -C {folder} balances"
    ).format(
        members=members,
        trades=trades,
        invoices=invoices,
        first=i18n.date_text(spec.start),
        last=i18n.date_text(day),
        files=files,
        folder=directory,
    )
    out.print(f"  {said}", markup=False)
