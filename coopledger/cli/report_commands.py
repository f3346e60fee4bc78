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
from coopledger.i18n import _
from coopledger.members import Roster
from coopledger.money import format_amount
from coopledger.months import Month
from coopledger.problems import CoopError
from coopledger.rules import Rules
from coopledger.words import plural

if TYPE_CHECKING:
    from coopledger import csvio, excel, gitrepo, snapshot, spreadsheet, store
else:  # beancount and git only for the commands that need them
    gitrepo, store = lazy_module("coopledger.gitrepo"), lazy_module("coopledger.store")
    csvio, snapshot = lazy_module("coopledger.csvio"), lazy_module("coopledger.snapshot")
    excel, spreadsheet = lazy_module("coopledger.excel"), lazy_module("coopledger.spreadsheet")

REPORT_FORMATS = ("table", "markdown", "csv", "json")
STATEMENT_FORMATS = ("table", "csv", "json")
EXPORT_FORMATS = ("csv", "json", "xlsx")
EXPORT_TARGETS = ("excel",)
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
            f"{len(coop.errors)} problem(s) in the files: run 'coopledger check'", markup=False
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
        err.print("the files have problems: run 'coopledger check'", markup=False)


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
            f"{stated.error_count} problem(s) in the files: run 'coopledger check'", markup=False
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
    decoded = spreadsheet.decode_sheet(raw, str(file))
    with writing(root, as_member, dry_run=dry_run) as session:
        coop = session.coop
        author = DRY_RUN_AUTHOR if dry_run else session.author
        plan = csvio.plan_import(
            coop, decoded.text, str(file), author, allow_duplicates=allow_duplicates
        )
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
                "encoding": decoded.encoding,
                "separator": plan.separator,
            }
        )
        return
    out.print(
        _("Read {file} as {encoding}, fields separated by {separator}").format(
            file=file.name,
            encoding=_(spreadsheet.ENCODINGS[decoded.encoding]),
            separator=_(spreadsheet.SEPARATOR_NAMES[plan.separator]),
        ),
        markup=False,
    )
    for trade in plan.trades:
        out.print(
            f"  {trade.date.isoformat()}  {trade.payer} → {trade.payee} "
            f"{format_amount(trade.amount, decimals)} {currency}"
            + (f"  {trade.memo}" if trade.memo else "")
            + f"  ({trade.file})",
            markup=False,
        )
    count = len(plan.trades)
    if sha is None:
        out.print(
            f"Dry run: {plural(count, 'trade')} would be recorded; nothing written.", markup=False
        )
    else:
        out.print(
            f"Recorded {plural(count, 'trade')} in {plural(len(plan.change.files), 'file')} "
            f"(commit {sha[:8]})",
            markup=False,
        )


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
    decimals, currency = coop.rules.decimals, coop.rules.currency
    print_problems(change.warnings)
    for trade in reversals:
        out.print(
            f"  {trade.date.isoformat()}  {trade.payer} → {trade.payee} "
            f"{format_amount(trade.amount, decimals)} {currency}  {trade.memo}",
            markup=False,
        )
    if done is None:
        out.print(
            f"Dry run: {len(reversals)} trade(s) of {sha[:8]} would be reversed; nothing written.",
            markup=False,
        )
    else:
        out.print(
            f"Reversed {len(reversals)} trade(s) of the import {sha[:8]} (commit {done[:8]})",
            markup=False,
        )


@app.command()
def export(
    what: str = typer.Argument(..., help="trades, members or balances."),
    output_format: str = typer.Option(
        None, "--format", "-f", help="csv, json or xlsx (default: csv, or xlsx for a .xlsx file)."
    ),
    target: str = typer.Option(
        None, "--for", help="excel: a CSV for Excel and LibreOffice in your language."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file."),
    start: str = typer.Option(None, "--from", help="trades: first day."),
    end: str = typer.Option(None, "--to", help="trades: last day; members, balances: the day."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (= --format json)."),
) -> None:
    """Trades, members or balances as CSV, JSON or xlsx, for spreadsheets and other tools."""
    from coopledger.balances import balance_rows
    from coopledger.journal import trades_of

    choice(what, EXPORTS, "export")
    output_format = "json" if as_json else output_format
    if output_format is None:
        output_format = "xlsx" if output and output.suffix.lower() == ".xlsx" else "csv"
    choice(output_format, EXPORT_FORMATS, "--format")
    if target is not None:
        choice(target, EXPORT_TARGETS, "--for")
        choice(output_format, ("csv", "xlsx"), "--format with --for excel")
    if output_format == "xlsx" and output is None:
        raise CoopError("export-xlsx-needs-file")
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
    data = excel.rendered(table, what, output_format, target, rules.decimals, i18n.language())
    binary = getattr(sys.stdout, "buffer", None)
    if output is None and binary is not None:
        sys.stdout.flush()  # bytes as they are: the BOM and CR LF of --for excel too
        binary.write(data)
        binary.flush()
    elif output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        excel.save(output, data)
        written = _("Wrote {file}: {count} row(s)").format(file=output, count=len(table.rows))
        out.print(written, markup=False)
    warn_if_problems(coop)
