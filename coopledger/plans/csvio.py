"""Trades in and out as CSV: reading an import file, planning its import, exports.

The import file has a header row and one trade per row:

    date,payer,payee,amount,memo
    2026-11-03,alice,fournil,12.50,pain
    2026-11-04,bob,alice,30,"jardinage, 2 h"

Columns `category` and `trade` (an id, as exported) are optional; the order of
columns is free. The columns may have their French names, and a file saved by a
French spreadsheet is read as it is: `;` between fields, a decimal comma,
thousands grouped by spaces or dots, dates written day first, Windows-1252
text (coopledger.plans.spreadsheet says what is understood, and what is refused):

    Date;Payeur;Bénéficiaire;Montant;Libellé
    03/11/2026;alice;fournil;1 234,50;pain

The file is read strictly: a double
quote left open (which would swallow the next lines into a memo), a field of
more than 131,072 characters or a stray quote stops the reading with the line
where the row begins. `read_trade_rows` returns the rows and
every problem found, each with the CSV file and line; `plan_import` turns
valid rows into one `Change`, after running the ledger checks once on the
journal with every new trade, so that limits are judged in date order, and
refuses the whole file if anything is wrong.

Every CSV coopledger writes goes through `write_csv`, which makes it safe to
open in a spreadsheet: a text cell beginning with `=`, `+`, `-`, `@`, a tab
or a carriage return, which a spreadsheet would run as a formula
(`=HYPERLINK(...)`), is written with a single quote before it (as OWASP
advises); numbers such as -12.50 stay numbers. On import, that quote is taken
off again, so an export imports back to the same memos.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.parser import parser

from coopledger.git.gitrepo import Identity
from coopledger.model import clock
from coopledger.model.journal import Trade, entry_file, format_trade, new_trade_id, trades_of
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import Roster
from coopledger.model.money import format_amount
from coopledger.model.paths import relative
from coopledger.model.problems import CoopError, Problem, Severity
from coopledger.model.rules import Rules
from coopledger.plans import spreadsheet
from coopledger.plans.changes import checked_trade
from coopledger.plans.writes import problems_after, usable, within_open_period
from coopledger.reporting.balances import BalanceRow
from coopledger.storage import journal_text
from coopledger.storage.store import Change, Cooperative

IMPORT_SOURCE = "<import>"  # where new entries say they come from, during the checks
REQUIRED_COLUMNS = ("date", "payer", "payee", "amount", "memo")
OPTIONAL_COLUMNS = ("category", "trade")
TRADE_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)


@dataclass(frozen=True)
class CsvRow:
    """One data row of an import file, as text, with its line number."""

    line: int
    values: Mapping[str, str]  # by column: date, payer...
    headings: Mapping[str, str] = field(default_factory=dict)  # each column as the file names it

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def heading(self, column: str) -> str:
        return self.headings.get(column, column)


def decode(raw: bytes, filename: str) -> str:
    """The file's text (UTF-8, with or without a byte-order mark, or Windows-1252),
    or CoopError; `spreadsheet.decode_sheet` also says which encoding it was."""
    return spreadsheet.decode_sheet(raw, filename).text


def separator_of(text: str) -> str:
    """The separator of an import file: Excel's `sep=` line, or the header's."""
    hint, body = spreadsheet.separator_hint(text)
    return hint or spreadsheet.choose_separator(body.partition("\n")[0])


def _unneutralised(value: str) -> str:
    """A cell as it was before `spreadsheet_safe` put a quote before it."""
    return value[1:] if value.startswith(_NEUTRALISED) else value


def _strict_rows(
    text: str, delimiter: str, filename: str
) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """Every record with the line it begins on; the reading stops at the first
    record the csv module cannot read strictly, with a problem on its line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return records, []
        except csv.Error as error:
            detail = str(error)
            if "field larger than field limit" in detail:
                most = f"{csv.field_size_limit():,}"
                return records, [Problem("csv-field-too-large", filename, start, {"most": most})]
            if "unexpected end of data" in detail:
                detail = "a double quote opened on this line is never closed"
            return records, [Problem("csv-malformed", filename, start, {"detail": detail})]
        records.append((start, [_unneutralised(v) for v in values]))
        start = reader.line_num + 1


def _header(names: Sequence[str], filename: str, line: int) -> tuple[dict[str, int], list[Problem]]:
    """Where each column is (`Bénéficiaire` is the payee) and the header's problems."""
    places: dict[str, int] = {}
    unknown: list[str] = []
    problems: list[Problem] = []
    for place, name in enumerate(names):
        column = spreadsheet.column_of(name)
        if column is None:
            unknown.append(name.strip())
        elif column in places:
            first = names[places[column]].strip()
            problems.append(
                Problem(
                    "csv-duplicate-column",
                    filename,
                    line,
                    {"first": first, "second": name.strip(), "column": column},
                )
            )
        else:
            places[column] = place
    missing = [c for c in REQUIRED_COLUMNS if c not in places]
    if missing:
        problems.append(
            Problem(
                "csv-missing-column",
                filename,
                line,
                {"columns": ", ".join(missing), "expected": ",".join(REQUIRED_COLUMNS)},
            )
        )
    if unknown:
        problems.append(
            Problem(
                "csv-unknown-column",
                filename,
                line,
                {"columns": ", ".join(unknown), "allowed": ", ".join(TRADE_COLUMNS)},
            )
        )
    return places, problems


def read_rows(text: str, filename: str) -> tuple[list[CsvRow], list[Problem]]:
    """Split an import file into rows; problems with the header or the shape of rows."""
    hint, body = spreadsheet.separator_hint(text)
    skipped = 1 if hint else 0  # Excel's `sep=;` line: the header is the second line
    lines = body.splitlines()
    if not lines or not lines[0].strip():
        return [], [Problem("csv-empty", filename, 1 + skipped, {})]
    separator = hint or spreadsheet.choose_separator(lines[0])
    records, problems = _strict_rows(body, separator, filename)
    if skipped:
        records = [(line + skipped, values) for line, values in records]
        problems = [replace(p, line=(p.line or 0) + skipped) for p in problems]
    if not records:
        return [], problems
    header_line, names = records[0]
    places, header_problems = _header(names, filename, header_line)
    problems = [*header_problems, *problems]
    if header_problems:
        return [], problems
    headings = {column: names[place].strip() for column, place in places.items()}
    rows: list[CsvRow] = []
    for line, values in records[1:]:
        if not any(v.strip() for v in values):
            continue  # blank lines between slips are fine
        if len(values) != len(names):
            problems.append(
                Problem(
                    "csv-wrong-field-count",
                    filename,
                    line,
                    {"found": str(len(values)), "expected": str(len(names))},
                )
            )
            continue
        by_column = {column: values[place] for column, place in places.items()}
        rows.append(CsvRow(line, by_column, headings))
    if not rows and not problems:
        problems.append(Problem("csv-no-rows", filename, 1 + skipped, {}))
    return rows, problems


def read_trade_rows(
    text: str, filename: str, rules: Rules, roster: Roster
) -> tuple[list[tuple[int, Trade]], list[Problem]]:
    """Each valid row as (line, trade) and a problem for each row that is not.

    Checks every row on its own (members, amount, date, category, statuses);
    the limits are checked by `plan_import` on all rows together.
    """
    rows, problems = read_rows(text, filename)
    trades: list[tuple[int, Trade]] = []
    for row in rows:
        try:
            day = spreadsheet.sheet_date(row.get("date"), row.heading("date"))
            amount = spreadsheet.sheet_amount(
                row.get("amount"), rules.decimals, row.heading("amount")
            )
            trade = checked_trade(
                rules,
                roster,
                payer=row.get("payer"),
                payee=row.get("payee"),
                amount=amount,
                day=day,
                memo=row.get("memo"),
                category=row.get("category") or None,
                trade_id=row.get("trade") or None,
            )
        except CoopError as error:
            problems.append(Problem(error.code, filename, row.line, error.params))
            continue
        trades.append((row.line, trade))
    return trades, problems


def _entries(texts: Sequence[str], lines: Sequence[int], filename: str) -> list[data.Transaction]:
    """The entries of `texts` (one formatted trade each) as beancount will read
    them, each located at its CSV line in `lines` for problems. One parse for
    all: beancount sets up its parser and options anew for every text it is
    given, which cost more than the trade itself, row after row."""
    starts: dict[int, int] = {}  # first line of each trade in the joined text -> its index
    line = 1
    for index, text in enumerate(texts):
        starts[line] = index
        line += text.count("\n") + 1  # each text ends with a newline; one blank line between
    entries, errors, _ = parser.parse_string("\n".join(texts), report_filename=filename)
    assert not errors and len(entries) == len(texts), errors
    placed: list[data.Transaction | None] = [None] * len(texts)
    for entry in entries:
        assert isinstance(entry, data.Transaction)
        index = starts[entry.meta["lineno"]]
        placed[index] = entry._replace(
            meta={**entry.meta, "filename": filename, "lineno": lines[index]}
        )
    assert all(entry is not None for entry in placed)
    return placed  # type: ignore[return-value]


def _slip(trade: Trade) -> tuple[object, ...]:
    """What makes two slips the same trade: date, members, amount and memo."""
    return (trade.date, trade.payer, trade.payee, trade.amount, trade.memo)


def _duplicates(
    coop: Cooperative, rows: Sequence[tuple[int, Trade]], filename: str, allowed: bool
) -> list[Problem]:
    """A problem for each row equal to a trade already in the journal: an error
    (`import-duplicate`), or a warning when duplicates are `allowed`."""
    existing: dict[tuple[object, ...], Trade] = {}
    for old in trades_of(coop.entries):
        existing.setdefault(_slip(old), old)
    found = []
    for line, trade in rows:
        twin = existing.get(_slip(trade))
        if twin is None:
            continue
        facts = {"date": trade.date.isoformat(), "payer": trade.payer, "payee": trade.payee}
        if allowed:
            found.append(
                Problem("import-possible-duplicate", filename, line, facts, Severity.WARNING)
            )
        else:
            at = (relative(twin.file, str(coop.root)) if twin.file else None) or ""
            at = f"{at}:{twin.line}" if twin.line else at
            found.append(Problem("import-duplicate", filename, line, {**facts, "at": at}))
    return found


@dataclass(frozen=True)
class ImportPlan:
    change: Change
    trades: tuple[Trade, ...]  # in date order, with the journal file each goes to
    separator: str = ","  # the one the file uses: `;`, `,` or a tab


def plan_import(
    coop: Cooperative,
    text: str,
    filename: str,
    author: Identity,
    *,
    allow_duplicates: bool = False,
) -> ImportPlan:
    """All the trades of an import file as one change, or CoopError with every problem.

    Rows that cannot be read are reported with the limits broken by the others.

    `filename` is how problems name the CSV file. A row equal to a trade already
    in the journal (date, members, amount, memo) is refused: the file was likely
    imported before. With `allow_duplicates` it is recorded, with a warning.
    """
    rules, roster = usable(coop)
    rows, problems = read_trade_rows(text, filename, rules, roster)
    within_open_period(coop, [trade.date for _, trade in rows])  # twins: same day, same period
    duplicates = _duplicates(coop, rows, filename, allow_duplicates)
    if not allow_duplicates:
        problems = sorted([*problems, *duplicates], key=Problem.sort_key)
    if problems and not rows:
        raise CoopError("import-refused", file=filename, problems=tuple(problems))
    rows.sort(key=lambda r: (r[1].date, r[0]))
    formatted = [format_trade(trade, rules.currency, rules.decimals) for _, trade in rows]
    new_entries = _entries(formatted, [line for line, _ in rows], IMPORT_SOURCE)
    new_errors, new_warnings = problems_after(coop, new_entries)
    named = lambda p: replace(p, file=filename) if p.file == IMPORT_SOURCE else p  # noqa: E731
    errors = [*problems, *map(named, new_errors)]  # rows in error, then the limits
    if errors:
        ordered = sorted(errors, key=lambda p: (p.file != filename, p.sort_key()))
        raise CoopError("import-refused", file=filename, problems=tuple(ordered))
    warnings = [named(p) for p in new_warnings]
    if allow_duplicates:
        warnings.extend(duplicates)
    entry_texts: dict[str, list[str]] = {}
    placed: list[Trade] = []
    key = "import-" + new_trade_id(clock.today())  # the import's own files: one per payer and month
    for (_, trade), entry_text in zip(rows, formatted, strict=True):
        path = entry_file(trade.date, trade.payer, key)
        entry_texts.setdefault(path, []).append(entry_text)
        placed.append(replace(trade, file=path))
    texts = {  # each file's new entries inserted at once, at one column
        path: journal_text.insert_entries(journal_text.read_journal(coop.root / path), added).text
        for path, added in entry_texts.items()
    }
    volume = sum((t.amount for t in placed), Decimal(0))
    message = (
        f"import: {len(placed)} trade(s), {format_amount(volume, rules.decimals)} "
        f"{rules.currency}, from {filename.rsplit('/', 1)[-1]}"
    )
    change = Change(texts, message, author, tuple(sorted(warnings, key=Problem.sort_key)))
    return ImportPlan(change, tuple(placed), separator_of(text))


# ---------------------------------------------------------------- exports


@dataclass(frozen=True)
class Table:
    """Rows of text under named columns: what an export writes. `kinds` says what
    each column holds (`text`, `amount`, `date`), for the spreadsheets that type
    their cells (coopledger.plans.excel); amounts are dotted, dates ISO."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kinds: tuple[str, ...] = ()  # empty: every column is text


def _in_range(day: datetime.date, start: datetime.date | None, end: datetime.date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def trades_table(
    trades: Sequence[Trade],
    decimals: int,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Table:
    """Trades in date order, with the import file's columns (so they can be imported)."""
    chosen = sorted(
        (t for t in trades if _in_range(t.date, start, end)),
        key=lambda t: (t.date, t.file or "", t.line or 0),
    )
    return Table(
        TRADE_COLUMNS,
        kinds=("date", "text", "text", "amount", "text", "text", "text"),
        rows=tuple(
            (
                t.date.isoformat(),
                t.payer,
                t.payee,
                format_amount(t.amount, decimals),
                t.memo,
                t.category or "",
                t.trade_id or "",
            )
            for t in chosen
        ),
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run
_NEUTRALISED = tuple("'" + start for start in FORMULA_STARTS)
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?", re.ASCII)  # -12.50, or -12,50 in French


def spreadsheet_safe(cell: str) -> str:
    """`cell`, with a single quote before it when it is text a spreadsheet would
    take for a formula (OWASP's "CSV injection"); numbers such as -12.50 (or -12,50)
    stay as they are."""
    if cell.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    if cell.startswith(_NEUTRALISED):  # so that reading it back takes one quote off
        return "'" + cell
    return cell


def write_csv(
    rows: Iterable[Sequence[str]], *, delimiter: str = ",", lineterminator: str = "\n"
) -> str:
    """The one CSV writer: rows (the header first) with every cell `spreadsheet_safe`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerows([spreadsheet_safe(str(cell)) for cell in row] for row in rows)
    return buffer.getvalue()


def to_csv(table: Table) -> str:
    return write_csv([table.columns, *table.rows])


def to_json(table: Table) -> str:
    """A list of objects; empty cells become null. Amounts stay decimal strings."""
    records: list[dict[str, Any]] = [
        {c: (v if v != "" else None) for c, v in zip(table.columns, row, strict=True)}
        for row in table.rows
    ]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def members_table(roster: Roster, rules: Rules, at: datetime.date) -> Table:
    """Every member with kind, dates, status and limits on `at`."""
    amount = lambda v: "" if v is None else format_amount(v, rules.decimals)  # noqa: E731
    return Table(
        ("id", "name", "kind", "joined", "status", "floor", "ceiling", "roles"),
        kinds=("text", "text", "text", "date", "text", "amount", "amount", "text"),
        rows=tuple(
            (
                m.id,
                m.name,
                m.kind,
                m.joined.isoformat(),
                m.status_at(at),
                amount(floor_at(m, rules, at)),
                amount(ceiling_at(m, rules, at)),
                " ".join(m.roles),
            )
            for m in roster
        ),
    )


def balances_table(rows: Sequence[BalanceRow], decimals: int, at: datetime.date) -> Table:
    amount = lambda v: "" if v is None else format_amount(v, decimals)  # noqa: E731
    return Table(
        ("member", "date", "balance", "floor", "ceiling", "status"),
        kinds=("text", "date", "amount", "amount", "amount", "text"),
        rows=tuple(
            (
                r.member,
                at.isoformat(),
                amount(r.balance),
                amount(r.floor),
                amount(r.ceiling),
                r.status,
            )
            for r in rows
        ),
    )
