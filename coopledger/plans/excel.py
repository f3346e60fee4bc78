"""Exports for people's spreadsheets: a CSV that Excel and LibreOffice open as they
should in the reader's language, and a real .xlsx workbook with typed cells.

`coopledger export trades --for excel` writes, in French, what French Excel
opens in columns with its accents: a byte-order mark (which tells Excel the text
is UTF-8), `;` between fields, a decimal comma, dates day first, and the columns'
French names, which `coopledger import` reads back:

    Date;Payeur;Bénéficiaire;Montant;Libellé;Catégorie;Échange
    02/11/2026;alice;fournil;60,00;pain, novembre;alimentation;2026-11-02-1a2b3c4d

In English: the mark, `,`, a decimal dot, ISO dates and English names. Lines end
with CR LF, as Excel writes them; amounts have no thousands separator (1234,50),
so that every spreadsheet reads them as numbers; text a spreadsheet would run as
a formula gets a quote before it, as in every CSV coopledger writes
(`coopledger.plans.csvio.spreadsheet_safe`).

`export ... --format xlsx` writes a workbook through openpyxl: amounts are numbers
shown with the currency's decimals (`#,##0.00`), dates are dates (shown 31/10/2026
in French, 2026-10-31 in English), text is text: a memo beginning with `=` is a
string cell, which no spreadsheet runs. A spreadsheet holds numbers as binary
floating point: amounts beyond 10^13 lose their cents there, not in the journal.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from coopledger.i18n import pgettext
from coopledger.plans.csvio import Table, write_csv

BOM = "\ufeff"
XLSX_TEXT_MOST = 32767  # the most characters a cell of Excel holds


def headings(columns: Sequence[str]) -> list[str]:
    """The columns' names for people, in the reader's language (`payee`: Bénéficiaire)."""
    words = {
        "date": pgettext("spreadsheet column", "Date"),
        "payer": pgettext("spreadsheet column", "Payer"),
        "payee": pgettext("spreadsheet column", "Payee"),
        "amount": pgettext("spreadsheet column", "Amount"),
        "memo": pgettext("spreadsheet column", "Memo"),
        "category": pgettext("spreadsheet column", "Category"),
        "trade": pgettext("spreadsheet column", "Trade"),
        "id": pgettext("spreadsheet column", "Id"),
        "name": pgettext("spreadsheet column", "Name"),
        "kind": pgettext("spreadsheet column", "Kind"),
        "joined": pgettext("spreadsheet column", "Joined"),
        "status": pgettext("spreadsheet column", "Status"),
        "floor": pgettext("spreadsheet column", "Floor"),
        "ceiling": pgettext("spreadsheet column", "Ceiling"),
        "roles": pgettext("spreadsheet column", "Roles"),
        "member": pgettext("spreadsheet column", "Member"),
        "balance": pgettext("spreadsheet column", "Balance"),
    }
    return [words.get(column, column) for column in columns]


def sheet_title(what: str) -> str:
    titles = {
        "trades": pgettext("spreadsheet sheet", "Trades"),
        "members": pgettext("spreadsheet sheet", "Members"),
        "balances": pgettext("spreadsheet sheet", "Balances"),
    }
    return titles.get(what, what)[:31]  # Excel's longest sheet name


def _french(language: str) -> bool:
    return language == "fr"


def _excel_cell(kind: str, cell: str, language: str) -> str:
    """A cell of `table` as the language's spreadsheet reads it: 12,50 and 31/10/2026."""
    if not cell or not _french(language):
        return cell
    if kind == "amount":
        return cell.replace(".", ",")
    if kind == "date":
        return datetime.date.fromisoformat(cell).strftime("%d/%m/%Y")
    return cell


def to_excel_csv(table: Table, language: str) -> str:
    """The CSV Excel and LibreOffice open in the `language` (`fr` or `en`): the
    byte-order mark first, lines ending in CR LF."""
    kinds = table.kinds or ("text",) * len(table.columns)
    rows = [
        [_excel_cell(kind, cell, language) for kind, cell in zip(kinds, row, strict=True)]
        for row in table.rows
    ]
    separator = ";" if _french(language) else ","
    body = write_csv([headings(table.columns), *rows], delimiter=separator, lineterminator="\r\n")
    return BOM + body


def _text(cell: str) -> str:
    """Text a workbook can hold: no control character (openpyxl refuses them), at
    most the characters a cell of Excel holds."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned = ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell)
    return cleaned if len(cleaned) <= XLSX_TEXT_MOST else cleaned[: XLSX_TEXT_MOST - 1] + "…"


def to_xlsx(table: Table, decimals: int, language: str, title: str = "Sheet") -> bytes:
    """A workbook of one sheet: the header row (bold, frozen), then typed cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "coopledger"
    sheet = workbook.create_sheet(_text(title))
    sheet.freeze_panes = "A2"
    number = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    day = "dd/mm/yyyy" if _french(language) else "yyyy-mm-dd"
    kinds = table.kinds or ("text",) * len(table.columns)

    def cell(kind: str, text: str) -> WriteOnlyCell:
        if kind == "amount" and text:
            typed = WriteOnlyCell(sheet, value=Decimal(text))
            typed.number_format = number
        elif kind == "date" and text:
            typed = WriteOnlyCell(sheet, value=datetime.date.fromisoformat(text))
            typed.number_format = day
        else:
            typed = WriteOnlyCell(sheet, value=_text(text) if text else None)
            if text:
                typed.data_type = "s"  # never a formula, whatever it begins with
        return typed

    bold = Font(bold=True)
    header = []
    for name in headings(table.columns):
        heading = WriteOnlyCell(sheet, value=_text(name))
        heading.data_type = "s"
        heading.font = bold
        header.append(heading)
    sheet.append(header)
    for row in table.rows:
        sheet.append([cell(kind, text) for kind, text in zip(kinds, row, strict=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def save(path: Path, data: bytes) -> None:
    """Replace `path` with `data`, whole: a failure leaves the old file or none."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600 files: the usual mode instead
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def rendered(
    table: Table, what: str, output_format: str, target: str | None, decimals: int, language: str
) -> bytes:
    """An export as the bytes of its file: `csv` (`target` `excel`: for Excel in the
    `language`), `json` or `xlsx`."""
    from coopledger.plans.csvio import to_csv, to_json

    if output_format == "xlsx":
        return to_xlsx(table, decimals, language, sheet_title(what))
    if output_format == "json":
        return to_json(table).encode("utf-8")
    if target == "excel":
        return to_excel_csv(table, language).encode("utf-8")
    return to_csv(table).encode("utf-8")
