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

from coopledger import i18n
from coopledger.cli.common import (
    app,
    err,
    money_text,
    open_ledger,
    out,
    parse_day,
    print_json,
    print_problems,
    say_route,
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
from coopledger.language.words import counted
from coopledger.model import clock
from coopledger.model.months import Month
from coopledger.model.problems import CoopError

if TYPE_CHECKING:
    from coopledger.ledger import Change, Cooperative, Identity, Ledger
    from coopledger.plans import csvio, excel, spreadsheet
else:  # beancount only for the commands that need it
    csvio = lazy_module("coopledger.plans.csvio")
    excel = lazy_module("coopledger.plans.excel")
    spreadsheet = lazy_module("coopledger.plans.spreadsheet")

REPORT_FORMATS = ("table", "markdown", "csv", "json")
STATEMENT_FORMATS = ("table", "csv", "json")
EXPORT_FORMATS = ("csv", "json", "xlsx")
EXPORT_TARGETS = ("excel",)
EXPORTS = ("trades", "members", "balances")


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
        sys.stdout.write(to_text(renderables, text_width()))


def text_width() -> int:
    """The width of text going to a pipe: COLUMNS if set, else the report's fixed width."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else TEXT_WIDTH


def warn_if_problems(error_count: int) -> None:
    if error_count:
        said = _("{count} problem(s) in the files: run 'coopledger check'")
        err.print(said.format(count=error_count), markup=False)


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
    done = open_ledger(cache=not no_cache).report(chosen, rev)
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
    output_format = "json" if as_json else output_format
    choice(output_format, STATEMENT_FORMATS, "--format")
    books = open_ledger()
    first_day: datetime.date | None
    if start is None and end is None:
        last_month = Month.last_complete(clock.today())
        first_day, last_day = last_month.first, last_month.last
    else:
        first_day = parse_day(start) if start else None
        last_day = parse_day(end)
    stated = books.statement(member, first_day, last_day)
    say_route(stated.route, stated.reason)
    result, rules, roster = stated.statement, stated.rules, stated.roster
    if output_format == "json":
        print_json(statement_json(result, rules.currency, rules.decimals))
    elif output_format == "csv":
        sys.stdout.write(statement_csv(result, rules.decimals))
    else:
        width = out.width if out.is_terminal else text_width()
        emit(statement_renderables(result, roster, rules.currency, rules.decimals, width))
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
    books = open_ledger()
    if undo is not None:
        _undo_import(books, undo, parse_day(date), as_member, dry_run)
        return
    if file is None:
        raise CoopError("import-no-file")
    try:
        raw = file.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise CoopError("file-not-found", path=str(file)) from None
    decoded = spreadsheet.decode_sheet(raw, str(file))
    text = decoded.text

    def planned(coop: Cooperative, author: Identity) -> tuple[Change, csvio.ImportPlan]:
        plan = csvio.plan_import(coop, text, str(file), author, allow_duplicates=allow_duplicates)
        return plan.change, plan

    from coopledger.ledger import DRY_RUN_AUTHOR

    dry_author = DRY_RUN_AUTHOR if dry_run else None
    done = books.write(planned, as_member, dry_run=dry_run, author=dry_author, open_period=True)
    say_route(done.route, done.reason)
    plan, sha = done.value, done.sha
    decimals, currency = done.rules.decimals, done.rules.currency
    print_problems(done.warnings)
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
            f"  {i18n.date_text(trade.date, short=True)}  {trade.payer} → {trade.payee} "
            f"{money_text(trade.amount, done.rules)}"
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
    books: Ledger, rev: str, day: datetime.date, as_member: str | None, dry_run: bool
) -> None:
    """`import --undo COMMIT`: the counter-entry of every trade the commit added."""
    done = books.undo_import(rev, day, as_member, dry_run=dry_run)
    sha, reversals = done.value.commit, done.value.reversals
    print_problems(done.warnings)
    for trade in reversals:
        out.print(
            f"  {i18n.date_text(trade.date, short=True)}  {trade.payer} → {trade.payee} "
            f"{money_text(trade.amount, done.rules)}  {trade.memo}",
            markup=False,
        )
    if done.sha is None:
        out.print(
            _(
                "Dry run: {count} trade(s) of {import_commit} would be reversed; nothing written."
            ).format(count=len(reversals), import_commit=sha[:8]),
            markup=False,
        )
    else:
        out.print(
            _("Reversed {count} trade(s) of the import {import_commit} (commit {commit})").format(
                count=len(reversals), import_commit=sha[:8], commit=done.sha[:8]
            ),
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
    books = open_ledger()
    if output_format == "csv" and target is None:  # written by the ledger from kept records
        written_csv = books.export_csv(what, first_day, last_day)
        say_route(written_csv.route, written_csv.reason)
        data, rows = written_csv.items.text.encode("utf-8"), written_csv.items.rows
        error_count = written_csv.error_count
    else:
        found = books.export(what, first_day, last_day)
        say_route(found.route, found.reason)
        table, decimals, error_count = found.items, found.rules.decimals, found.error_count
        data = excel.rendered(table, what, output_format, target, decimals, i18n.language())
        rows = len(table.rows)
    binary = getattr(sys.stdout, "buffer", None)
    if output is None and binary is not None:
        sys.stdout.flush()  # bytes as they are: the BOM and CR LF of --for excel too
        binary.write(data)
        binary.flush()
    elif output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        excel.save(output, data)
        written = _("Wrote {file}: {count} row(s)").format(file=output, count=rows)
        out.print(written, markup=False)
    warn_if_problems(error_count)
