"""demo: a synthetic cooperative to try coopledger on, and to benchmark it."""

from __future__ import annotations

import datetime
from pathlib import Path

import typer

from coopledger import i18n
from coopledger.cli.common import app, out, parse_day
from coopledger.i18n import _

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
    trades: int | None = typer.Option(
        None,
        "--trades",
        min=0,
        help="How many trades in all (default 360); with --groups, paid in each group "
        "(default members × months).",
    ),
    invoices: int = typer.Option(
        0, "--invoices", min=0, help="How many open invoices between members."
    ),
    seed: int = typer.Option(1, "--seed", help="The same seed gives the same cooperative."),
    until: str = typer.Option(
        DEFAULT_UNTIL, "--until", help="Date of the last trades (YYYY-MM-DD)."
    ),
    groups: int = typer.Option(
        0, "--groups", min=0, help="Make a federation: this many cooperatives, one folder each."
    ),
    partners: int = typer.Option(6, "--partners", min=1, help="With --groups: partners of each."),
    between: int = typer.Option(
        10, "--between", min=0, max=100, help="With --groups: % of trades with partner groups."
    ),
) -> None:
    """Create a synthetic cooperative (a git repository with one commit) to try things on;
    git in it is set up as its treasurer, so that its commands write as her. With
    --groups, a federation of cooperatives trading with each other (docs/federation.md)."""
    from coopledger.founding.demo import DemoSpec
    from coopledger.ledger import Ledger

    root = directory.resolve()

    day: datetime.date = parse_day(until)
    if groups:
        _federation(root, groups, members, months, trades or 0, between, partners, seed, day)
        return
    trades = 360 if trades is None else trades
    spec = DemoSpec(
        members=members, months=months, trades=trades, invoices=invoices, seed=seed, until=day
    )
    _books, sha, files = Ledger.create_demo(root, spec)
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


def _federation(
    root: Path,
    groups: int,
    members: int,
    months: int,
    trades: int,
    between: int,
    partners: int,
    seed: int,
    day: datetime.date,
) -> None:
    from coopledger.intergroup.federation_demo import FederationSpec, create

    if groups < 2:
        raise typer.BadParameter(_("a federation needs 2 groups at least"), param_hint="--groups")
    spec = FederationSpec(groups, members, months, trades, between, partners, seed, day)
    root.mkdir(parents=True, exist_ok=True)
    made = create(root, spec)
    said = _(
        "Created a federation of {groups} cooperatives in {folder}: {trades} trades "
        "within groups, {between} between them, {files} files (seed {seed})"
    )
    out.print(
        said.format(
            groups=groups,
            folder=root,
            trades=made.trades,
            between=made.between,
            files=made.files,
            seed=seed,
        ),
        markup=False,
    )
    first = next(iter(made.roots))
    tried = _("try: {command}").format(
        command=f"coopledger -C {root / first} partner list; coopledger federation clear {root}/*"
    )
    out.print(f"  {tried}", markup=False)
