"""report, statement, import and export."""

from __future__ import annotations

import contextlib
import datetime
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import RenderableType

from coopledger import clock
from coopledger.cli.common import (
    app,
    cooperative_root,
    err,
    out,
    parse_day,
    print_json,
    print_problems,
    writing,
)
from coopledger.cli.lazy import lazy_module
from coopledger.cli.render_report import (
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
from coopledger.members import Roster
from coopledger.money import format_amount
from coopledger.months import Month
from coopledger.problems import CoopError
from coopledger.rules import Rules
from coopledger.words import plural

if TYPE_CHECKING:
    from coopledger import csvio, gitrepo, snapshot, store
    from coopledger.reports import MonthlyReport
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
        raise CoopError("bad-choice", value=value, option=option, choices=", ".join(choices))
    return value


def emit(renderables: Sequence[RenderableType]) -> None:
    """Rich output in a terminal; fixed width and no colour anywhere else."""
    if out.is_terminal:
        for item in renderables:
            out.print(item)
    else:
        sys.stdout.write(to_text(renderables))


def usable_parts(coop: store.Cooperative) -> tuple[Rules, Roster]:
    if coop.rules is None or coop.roster is None:
        raise CoopError("ledger-has-problems", problems=tuple(coop.errors))
    return coop.rules, coop.roster


def warn_if_problems(coop: store.Cooperative) -> None:
    if coop.errors:
        err.print(
            f"{len(coop.errors)} problem(s) in the files: run 'coopledger check'", markup=False
        )


@contextlib.contextmanager
def loaded(root: Path, rev: str | None) -> Iterator[store.Cooperative]:
    """The cooperative as it is on disk, or as it was at git revision `rev`."""
    if rev is None:
        yield store.load(root)
        return
    with tempfile.TemporaryDirectory(prefix="coopledger-rev-") as folder:
        gitrepo.export_tree(root, rev, Path(folder))
        yield store.load(Path(folder))


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
    from coopledger.reports import monthly_report

    output_format = "json" if as_json else output_format
    choice(output_format, REPORT_FORMATS, "--format")
    chosen = Month.parse(month) if month else Month.last_complete(clock.today())
    root = cooperative_root()
    if rev is None and not no_cache:
        result, errors = _report_with_snapshot(root, chosen)
    else:
        with loaded(root, rev) as coop:
            rules, roster = usable_parts(coop)
            result = monthly_report(coop.entries, roster, rules, chosen)
            errors = bool(coop.errors)
    if output_format == "json":
        print_json(report_json(result))
    elif output_format == "csv":
        sys.stdout.write(report_csv(result))
    elif output_format == "markdown":
        sys.stdout.write(report_markdown(result))
    elif out.is_terminal:
        emit(report_renderables(result))
    else:
        sys.stdout.write(report_text(result))
    if errors:
        err.print("the files have problems: run 'coopledger check'", markup=False)


def _report_with_snapshot(root: Path, month: Month) -> tuple[MonthlyReport, bool]:
    """The report from the month figures kept with a valid snapshot; else from the
    open months with the closed months' figures their close kept; else from a
    full load. Either load saves a new snapshot (so the next report is quick).
    Returns the report and whether the files have errors."""
    from coopledger.reports import report_of_figures

    cache = snapshot.cache_of(root)
    with store.locked(root):
        key = gitrepo.committed_content_key(root, store.WRITTEN_PATHS)
        state = snapshot.load_valid(root, key)
        if state is not None and state.monthly is not None:
            figures = state.monthly.figures_until(cache, month)
            if figures is not None:
                result = report_of_figures(figures, state.roster, state.rules, month)
                return result, any(p.is_error for p in state.problems)
        stamps = snapshot.input_stamps(root)
        partial = store.load_open_period(root, key is not None)
        opened = snapshot.from_cooperative(partial, stamps, key) if partial else None
        if opened is not None and opened.monthly is not None:  # closed months' figures kept
            kept = opened.monthly.figures_until(cache, month)  # before save writes them out
            with contextlib.suppress(OSError):
                snapshot.save(root, opened)
            if kept is not None:
                result = report_of_figures(kept, opened.roster, opened.rules, month)
                return result, any(p.is_error for p in opened.problems)
        coop = store.load(root)
        rules, roster = usable_parts(coop)
        fresh = snapshot.from_cooperative(coop, stamps, key)
        if fresh is None or fresh.monthly is None:
            figures = None
        else:
            figures = fresh.monthly.figures_until(cache, month)
            with contextlib.suppress(OSError):
                snapshot.save(root, fresh)
    if figures is None:
        from coopledger.aggregates import month_figures

        figures = month_figures(coop.entries)
    return report_of_figures(figures, roster, rules, month), bool(coop.errors)


@app.command(name="statement")
def statement_command(
    member: str = typer.Argument(..., help="The member."),
    start: str = typer.Option(None, "--from", help="First day (default: last month's first)."),
    end: str = typer.Option(None, "--to", help="Last day (default: last month's last)."),
    output_format: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (= --format json)."),
) -> None:
    """Every movement of a member with running balance, opening and closing lines."""
    from coopledger.changes import known_member
    from coopledger.reports import statement

    output_format = "json" if as_json else output_format
    choice(output_format, STATEMENT_FORMATS, "--format")
    root = cooperative_root()
    coop = store.load(root)
    rules, roster = usable_parts(coop)
    known_member(roster, member)
    first_day: datetime.date | None
    if start is None and end is None:
        last_month = Month.last_complete(clock.today())
        first_day, last_day = last_month.first, last_month.last
    else:
        first_day = parse_day(start) if start else None
        last_day = parse_day(end)
    if first_day is not None and first_day > last_day:
        raise CoopError("period-reversed", start=first_day.isoformat(), end=last_day.isoformat())
    result = statement(coop.entries, member, first_day, last_day, str(root))
    if output_format == "json":
        print_json(statement_json(result, rules.currency, rules.decimals))
    elif output_format == "csv":
        sys.stdout.write(statement_csv(result, rules.decimals))
    else:
        emit(statement_renderables(result, roster, rules.currency, rules.decimals))
    warn_if_problems(coop)


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
        from coopledger.cli.trades_commands import trade_record

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
        raise CoopError("period-reversed", start=first_day.isoformat(), end=last_day.isoformat())
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
