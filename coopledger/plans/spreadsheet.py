"""What spreadsheets write, read back: encodings, separators, column names, numbers, dates.

A treasurer's slips come from a spreadsheet, often French Excel or LibreOffice.
An import file is read the way it was saved, and refused with the file, the
line, the column and what to do when a cell could mean two things:

- the encoding: UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), UTF-8
  without one, or Windows-1252 (Excel's plain "CSV" on a French Windows);
  `decode_sheet` says which one it used. UTF-16 and workbooks are refused;
- the separator: `;` (French), `,` or a tab, the one with which the header names
  the most known columns; Excel's first line `sep=;` is understood;
- the column names, in English or French, whatever the case and accents
  (`Bénéficiaire`, `BENEFICIAIRE`, `beneficiaire`) and some common variants
  (`Libellé`, `Description`, `Objet`; `Offreur`, `Demandeur` of SEL slips):

      >>> column_of("Bénéficiaire"), column_of(" LIBELLE "), column_of("Demandeur")
      ('payee', 'memo', 'payer')

- amounts: a decimal comma or dot; thousands grouped by a space, a no-break
  space (U+00A0) or a narrow one (U+202F), or by a dot when a decimal comma
  follows (`1.234,50`), or a comma when a decimal dot follows (`1,234.50`):

      >>> sheet_amount("1.234,50", 2, "Montant")
      '1234,50'

  `1.234` or `1,234` alone (a thousand? one and a bit?) is refused as ambiguous;
- dates: `31/10/2026` (the day first, as in France) or `2026-10-31`, with a time
  after them ignored (`31/10/2026 00:00`, as Excel writes date-times). A
  two-digit year, and a date whose second number is above 12 (`10/31/2026`, the
  month first, as in the United States), are refused: the other dates of that
  file may have their day and month swapped.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from coopledger.i18n import N_
from coopledger.model.problems import CoopError

# --------------------------------------------------------------- encodings

UTF8_BOM = b"\xef\xbb\xbf"
# how `decode_sheet` read a file: a name for machines (--json), and for people
ENCODINGS = {
    "utf-8-bom": N_("UTF-8 with a byte-order mark"),
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252",
}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # a key of ENCODINGS


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


# how UTF-8 writes é, à, ç... (0xC3 then a byte of 0x80-0xBF): in Windows-1252, "Ã" then
# a sign, which French text never holds; in a file that is not UTF-8, a sign of two encodings
_UTF8_LATIN = re.compile(rb"[\xc2\xc3][\x80-\xbf]")


def decode_sheet(raw: bytes, filename: str) -> Decoded:
    """The text of an import file and the encoding it was read with, or CoopError.

    UTF-8 is tried first: Windows-1252 text with accents is almost never valid
    UTF-8, while UTF-8 text read as Windows-1252 would be garbled (`cafÃ©`). A
    file with both (lines pasted from two sources) is refused, not garbled."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CoopError("csv-utf16", file=filename)
    if raw.startswith(b"PK\x03\x04"):  # a zip: .xlsx, .ods
        raise CoopError("csv-is-a-workbook", file=filename)
    body, encoding = (
        (raw[len(UTF8_BOM) :], "utf-8-bom") if raw.startswith(UTF8_BOM) else (raw, "utf-8")
    )
    try:
        return Decoded(body.decode("utf-8"), encoding)
    except UnicodeDecodeError as error:
        line = _line_of(body, error.start)
        if encoding == "utf-8-bom" or b"\x00" in raw:  # said UTF-8, or not text at all
            raise CoopError("csv-not-utf8", file=filename, line=line) from None
    utf8 = _UTF8_LATIN.search(raw)
    if utf8 is not None:
        raise CoopError(
            "csv-mixed-encodings", file=filename, line=_line_of(raw, utf8.start()), other=line
        )
    try:
        return Decoded(raw.decode("cp1252"), "cp1252")
    except UnicodeDecodeError as error:  # bytes Windows-1252 leaves undefined (0x81, 0x8d...)
        raise CoopError("csv-not-utf8", file=filename, line=_line_of(raw, error.start)) from None


# --------------------------------------------------------------- separators

SEPARATORS = (";", ",", "\t")
SEPARATOR_NAMES = {";": "';'", ",": "','", "\t": N_("tabs")}
_EXCEL_SEP_LINE = re.compile(r"sep=([;,\t])\r?\n?")  # Excel's hint on the first line


def separator_hint(text: str) -> tuple[str | None, str]:
    """Excel's `sep=;` first line: the separator it names and the text after it."""
    first, newline, rest = text.partition("\n")
    found = _EXCEL_SEP_LINE.fullmatch(first + newline)
    if found is None:
        return None, text
    return found.group(1), rest


def choose_separator(header: str) -> str:
    """The separator with which `header` names the most known columns; on a tie,
    the one it holds most often (`;` before `,` before a tab)."""

    def score(separator: str) -> tuple[int, int]:
        names = [n.strip().strip('"') for n in header.split(separator)]
        return (sum(column_of(n) is not None for n in names), header.count(separator))

    return max(SEPARATORS, key=score)


# --------------------------------------------------------------- column names

# every name a column may have, after `column_key` (lower case, no accents)
COLUMN_NAMES: Mapping[str, tuple[str, ...]] = {
    "date": ("date", "jour", "date echange", "date de l echange", "date operation"),
    "payer": (
        *("payer", "from", "debtor", "buyer"),
        *("payeur", "payeuse", "debiteur", "debitrice", "acheteur", "acheteuse"),
        *("demandeur", "demandeuse", "de", "qui paie"),
    ),
    "payee": (
        *("payee", "to", "creditor", "seller", "recipient", "beneficiary"),
        *("beneficiaire", "crediteur", "creditrice", "vendeur", "vendeuse"),
        *("offreur", "offreuse", "receveur", "receveuse", "a", "pour", "qui recoit"),
    ),
    "amount": ("amount", "montant", "somme", "valeur"),
    "memo": (
        *("memo", "description", "note", "details"),
        *("libelle", "objet", "motif", "commentaire", "designation", "intitule"),
    ),
    "category": ("category", "categorie", "rubrique"),
    "trade": ("trade", "trade id", "echange", "id echange", "identifiant echange", "n echange"),
}
_BY_NAME = {name: column for column, names in COLUMN_NAMES.items() for name in names}
_SPACES = re.compile(r"[\s_\-'’.°]+")


def column_key(name: str) -> str:
    """`name` without case, accents, or punctuation between words: `N° Échange` -> `n echange`."""
    text = unicodedata.normalize("NFKD", name.strip().strip("\ufeff").casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


def column_of(name: str) -> str | None:
    """The import column `name` stands for (`Bénéficiaire` -> `payee`), or None."""
    return _BY_NAME.get(column_key(name))


# --------------------------------------------------------------- amounts

# thousands grouped by a dot before a decimal comma, or by a comma before a decimal dot
_DOTS_THEN_COMMA = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+", re.ASCII)
_COMMAS_THEN_DOT = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+", re.ASCII)
# one to three digits, then a separator and exactly three digits: 1,234 or 1.234
_GROUPED = re.compile(r"([+-]?)([1-9][0-9]{0,2})([.,])([0-9]{3})", re.ASCII)


def sheet_amount(text: str, decimals: int, column: str) -> str:
    """The amount of a cell, as `coopledger.model.money.parse_amount` reads it; CoopError
    naming the `column` when the cell could be read two ways."""
    value = text.strip()
    if _DOTS_THEN_COMMA.fullmatch(value):
        return value.replace(".", "")
    if _COMMAS_THEN_DOT.fullmatch(value):
        return value.replace(",", "")
    grouped = _GROUPED.fullmatch(value)
    # a comma always; a dot unless the currency has three decimals (1.234 is then exact)
    if grouped and (grouped.group(3) == "," or decimals < 3):
        sign, whole, _, fraction = grouped.groups()
        raise CoopError(
            "csv-amount-ambiguous",
            amount=value,
            column=column,
            thousands=Decimal(f"{sign}{whole}{fraction}"),  # 1 234 in French, 1234 in English
            decimal=Decimal(f"{sign}{whole}.{fraction}"),  # 1,234 in French, 1.234 in English
            decimals=decimals,
        )
    return value


# --------------------------------------------------------------- dates

_SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]+)", re.ASCII)
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TIME = re.compile(r"(.+?)(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?", re.ASCII)


def sheet_date(text: str, column: str) -> datetime.date:
    """The date of a cell: 31/10/2026 or 2026-10-31 (a time after it is ignored);
    CoopError naming the `column` otherwise."""
    value = text.strip()
    day_part = _TIME.fullmatch(value)
    cell = day_part.group(1) if day_part else value
    try:
        if _ISO.fullmatch(cell):
            return datetime.date.fromisoformat(cell)
        slashed = _SLASHED.fullmatch(cell)
        if slashed:
            day, month, year = (int(part) for part in slashed.groups())
            if len(slashed.group(3)) != 4:
                raise CoopError("csv-date-short-year", value=value, column=column)
            if day <= 12 < month <= 31:
                raise CoopError("csv-date-month-first", value=value, column=column)
            return datetime.date(year, month, day)
    except ValueError:
        pass
    raise CoopError("csv-bad-date", value=value, column=column)
