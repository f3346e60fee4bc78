"""report, statement, import and export."""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import RenderableType

from coopledger import clock, i18n
from coopledger.cli.common import (
    app,
    cooperative_root,
    err,
    money_text,
    out,
    parse_day,
    print_json,
    print_problems,
    say_route,
    writing,
)
from coopledger.cli.lazy import lazy_module
from coopledger.cli.render_report import (
    TEXT_WIDTH,
    report_csv,
    report_json,
    report_markdown,
    report_renderables,
    report_text,
    statement_csv,
    statement_json,
    statement_renderables,
    to_text,
)
from coopledger.i18n import N_, _
from coopledger.members import Roster
from coopledger.months import Month
from coopledger.problems import CoopError
from coopledger.rules import Rules
from coopledger.words import counted

if TYPE_CHECKING:
    from coopledger import csvio, gitrepo, snapshot, store
else:  # beancount and git only for the commands that need them
    gitrepo, store = lazy_module("coopledger.gitrepo"), lazy_module("coopledger.store")
    csvio, snapshot = lazy_module("coopledger.csvio"), lazy_module("coopledger.snapshot")

REPORT_FORMATS = ("table", "markdown", "csv", "json")
STATEMENT_FORMATS = ("table", "csv", "json")
EXPORT_FORMATS = ("csv", "json")
EXPORTS = ("trades", "members", "balances")
DRY_RUN_AUTHOR: gitrepo.Identity = ("dry run", "dry-run@coopledger.invalid")


def choice(value: str, choices: Sequence[str], option: str) -> str:
    if value not in choices:
        raise CoopError("bad-choice", value=value, option=option, choices=tuple(choices))
    return value


def emit(renderables: Sequence[RenderableType]) -> None:
    """Rich output in a terminal; fixed width and no colour anywhere else."""
    if out.is_terminal:
        for item in renderables:
            out.print(item)
    else:
        sys.stdout.write(to_text(renderables))


def text_width() -> int:
    """The width of text going to a pipe: COLUMNS if set, else the report's fixed width."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else TEXT_WIDTH


def usable_parts(coop: store.Cooperative) -> tuple[Rules, Roster]:
    from coopledger.ledger import usable_parts

    return usable_parts(coop)


def warn_if_problems(coop: store.Cooperative) -> None:
    if coop.errors:
        err.print(
            _("{count} problem(s) in the files: run 'coopledger check'").format(
                count=len(coop.errors)
            ),
            markup=False,
        )


@app.command()
def report(
    month: str = typer.Argument(None, help="YYYY-MM (default: the last complete month)."),
    output_format: str = typer.Option(
        "table", "--format", "-f", help="table, markdown, csv or json."
    ),
    rev: str = typer.Option(None, "--rev", help="Compute from this git revision."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Read the whole journal again."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (= --format json)."),
) -> None:
    """The monthly report: summary, members, what is traded, twelve-month trends."""
    output_format = "json" if as_json else output_format
    choice(output_format, REPORT_FORMATS, "--format")
    chosen = Month.parse(month) if month else Month.last_complete(clock.today())
    from coopledger.ledger import Ledger

    done = Ledger(cooperative_root(), cache=not no_cache).report(chosen, rev)
    say_route(done.route, done.reason)
    result, errors = done.report, done.has_errors
    if output_format == "json":
        print_json(report_json(result))
    elif output_format == "csv":
        sys.stdout.write(report_csv(result))
    elif output_format == "markdown":
        sys.stdout.write(report_markdown(result))
    elif out.is_terminal:
        emit(report_renderables(result, out.width))
    else:  # 100 columns in a pipe, unless COLUMNS says otherwise
        sys.stdout.write(report_text(result, text_width()))
    if errors:
        err.print(_("the files have problems: run 'coopledger check'"), markup=False)


@app.command(name="statement")
def statement_command(
    member: str = typer.Argument(..., help="The member."),
    start: str = typer.Option(None, "--from", help="First day (default: last month's first)."),
    end: str = typer.Option(None, "--to", help="Last day (default: last month's last)."),
    output_format: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (= --format json)."),
) -> None:
    """Every movement of a member with running balance, opening and closing lines."""
    from coopledger.ledger import Ledger

    output_format = "json" if as_json else output_format
    choice(output_format, STATEMENT_FORMATS, "--format")
    books = Ledger(cooperative_root())
    first_day: datetime.date | None
    if start is None and end is None:
        last_month = Month.last_complete(clock.today())
        first_day, last_day = last_month.first, last_month.last
    else:
        first_day = parse_day(start) if start else None
        last_day = parse_day(end)
    stated = books.statement(member, first_day, last_day)
    result, rules, roster = stated.statement, stated.rules, stated.roster
    if output_format == "json":
        print_json(statement_json(result, rules.currency, rules.decimals))
    elif output_format == "csv":
        sys.stdout.write(statement_csv(result, rules.decimals))
    else:
        emit(statement_renderables(result, roster, rules.currency, rules.decimals))
    if stated.error_count:
        err.print(
            _("{count} problem(s) in the files: run 'coopledger check'").format(
                count=stated.error_count
            ),
            markup=False,
        )


@app.command(name="import")
def import_command(
    file: Path = typer.Argument(
        None, metavar="FILE.csv", help="CSV file: date,payer,payee,amount,memo[,category]."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be recorded."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
    allow_duplicates: bool = typer.Option(
        False, "--allow-duplicates", help="Record rows equal to trades already in the journal."
    ),
    undo: str = typer.Option(
        None, "--undo", metavar="COMMIT", help="Reverse every trade of an earlier import."
    ),
    date: str = typer.Option(None, "--date", help="--undo: date of the reversals (default today)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (not with --undo)."),
) -> None:
    """Record every trade of a CSV file in one commit, or none if any row is wrong."""
    root = cooperative_root()
    if undo is not None:
        _undo_import(root, undo, parse_day(date), as_member, dry_run)
        return
    if file is None:
        raise CoopError("import-no-file")
    try:
        raw = file.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise CoopError("file-not-found", path=str(file)) from None
    text = csvio.decode(raw, str(file))
    with writing(root, as_member, dry_run=dry_run) as session:
        coop = session.coop
        author = DRY_RUN_AUTHOR if dry_run else session.author
        plan = csvio.plan_import(coop, text, str(file), author, allow_duplicates=allow_duplicates)
        sha = None if dry_run else store.apply(root, plan.change)
    assert coop.rules is not None
    decimals, currency = coop.rules.decimals, coop.rules.currency
    print_problems(plan.change.warnings)
    if as_json:
        from coopledger.cli.common import trade_record

        print_json(
            {
                "trades": [trade_record(t, decimals, currency) for t in plan.trades],
                "files": sorted(plan.change.files),
                "commit": sha,
                "dry_run": dry_run,
            }
        )
        return
    for trade in plan.trades:
        out.print(
            f"  {i18n.date_text(trade.date, short=True)}  {trade.payer} → {trade.payee} "
            f"{money_text(trade.amount, coop.rules)}"
            + (f"  {trade.memo}" if trade.memo else "")
            + f"  ({trade.file})",
            markup=False,
        )
    trades = counted(len(plan.trades), N_("{count} trade"), N_("{count} trades"))
    if sha is None:
        said = _("Dry run: {trades} would be recorded; nothing written.").format(trades=trades)
    else:
        files = counted(len(plan.change.files), N_("{count} file"), N_("{count} files"))
        said = _("Recorded {trades} in {files} (commit {commit})").format(
            trades=trades, files=files, commit=sha[:8]
        )
    out.print(said, markup=False)


def _undo_import(
    root: Path, rev: str, day: datetime.date, as_member: str | None, dry_run: bool
) -> None:
    """`import --undo COMMIT`: the counter-entry of every trade the commit added."""
    from coopledger.corrections import plan_undo_import, trade_ids_added

    with writing(root, as_member, dry_run=dry_run) as session:
        coop = session.coop
        repo = gitrepo.open_repo(root)
        sha, versions = gitrepo.commit_files(repo, rev, "journal")
        ids = trade_ids_added([(v.before, v.after) for v in versions])
        author = DRY_RUN_AUTHOR if dry_run else session.author
        change, reversals = plan_undo_import(coop, sha, ids, day=day, author=author)
        done = None if dry_run else store.apply(root, change)
    assert coop.rules is not None
    print_problems(change.warnings)
    for trade in reversals:
        out.print(
            f"  {i18n.date_text(trade.date, short=True)}  {trade.payer} → {trade.payee} "
            f"{money_text(trade.amount, coop.rules)}  {trade.memo}",
            markup=False,
        )
    if done is None:
        out.print(
            _(
                "Dry run: {count} trade(s) of {import_commit} would be reversed; nothing written."
            ).format(count=len(reversals), import_commit=sha[:8]),
            markup=False,
        )
    else:
        out.print(
            _("Reversed {count} trade(s) of the import {import_commit} (commit {commit})").format(
                count=len(reversals), import_commit=sha[:8], commit=done[:8]
            ),
            markup=False,
        )


@app.command()
def export(
    what: str = typer.Argument(..., help="trades, members or balances."),
    output_format: str = typer.Option("csv", "--format", "-f", help="csv or json."),
    start: str = typer.Option(None, "--from", help="trades: first day."),
    end: str = typer.Option(None, "--to", help="trades: last day; members, balances: the day."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (= --format json)."),
) -> None:
    """Trades, members or balances as CSV or JSON, for spreadsheets and other tools."""
    from coopledger.balances import balance_rows
    from coopledger.journal import trades_of

    choice(what, EXPORTS, "export")
    output_format = "json" if as_json else output_format
    choice(output_format, EXPORT_FORMATS, "--format")
    first_day = parse_day(start) if start else None
    last_day = parse_day(end) if end else None
    if first_day is not None and last_day is not None and first_day > last_day:
        raise CoopError("period-reversed", start=first_day, end=last_day)
    root = cooperative_root()
    coop = store.load(root)
    rules, roster = usable_parts(coop)
    at = last_day or clock.today()
    if what == "trades":
        table = csvio.trades_table(
            list(trades_of(coop.entries)), rules.decimals, first_day, end=last_day
        )
    elif what == "members":
        table = csvio.members_table(roster, rules, at)
    else:
        rows = balance_rows(coop.history, roster, rules, at)
        table = csvio.balances_table(rows, rules.decimals, at)
    sys.stdout.write(csvio.to_csv(table) if output_format == "csv" else csvio.to_json(table))
    warn_if_problems(coop)
