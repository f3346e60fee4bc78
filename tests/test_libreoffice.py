"""The exports opened by LibreOffice itself, headless: what a treasurer's spreadsheet
sees in `export --for excel` and `--format xlsx`.

Each export is converted by LibreOffice to its own format (.ods), as a French
user's LibreOffice opens it (the CSV filter set to `;`, UTF-8 and French), and the
cells are read back from the .ods: amounts are numbers, dates are dates, accents
are intact, and a memo written as a formula is text.

Skipped when LibreOffice is not installed (.ci/run installs it where it can:
`apt-get install libreoffice-calc-nogui`).
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import Builds, Coop
from tests.test_french_spreadsheets import EVIL, known_with_a_formula

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)",
)

# LibreOffice's CSV filter: separator, quote (as character codes), charset (76: UTF-8),
# first line, column formats, language (1036: French of France, 1033: English of the US)
FRENCH_CSV = "CSV:59,34,76,1,,1036"
ENGLISH_CSV = "CSV:44,34,76,1,,1033"

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def _attribute(element: ElementTree.Element, space: str, name: str) -> str | None:
    return element.get(f"{{{NS[space]}}}{name}")


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LibreOffice user profile of these tests' own (never the user's), made once."""
    return tmp_path_factory.mktemp("libreoffice-profile")


def to_ods(source: Path, folder: Path, profile: Path, infilter: str | None = None) -> Path:
    """`source` converted by LibreOffice to .ods, in `folder`."""
    assert SOFFICE is not None
    command = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    out = folder / "ods"
    command += ["--convert-to", "ods", "--outdir", str(out), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    converted = out / (source.stem + ".ods")
    assert converted.exists(), done.stdout + done.stderr
    return converted


@pytest.fixture
def with_a_formula(builds: Builds, coop: Coop) -> Coop:
    """`known_with_a_formula`, made once per worker and copied (`Builds.copy`)."""
    return builds.copy("known-with-a-formula", coop, known_with_a_formula)


Cell = tuple[str, object]  # (LibreOffice's value type: float, date, string; the value)


def ods_rows(path: Path) -> list[list[Cell]]:
    """The cells of the first sheet of an .ods, as LibreOffice typed them."""
    with zipfile.ZipFile(path) as ods:
        root = ElementTree.fromstring(ods.read("content.xml"))
    sheet = root.find(".//table:table", NS)
    assert sheet is not None
    rows: list[list[Cell]] = []
    for row in sheet.iter(f"{{{NS['table']}}}table-row"):
        cells: list[Cell] = []
        for cell in row.findall("table:table-cell", NS):
            kind = _attribute(cell, "office", "value-type") or "empty"
            text = "\n".join("".join(p.itertext()) for p in cell.findall("text:p", NS))
            value: object = text
            if kind == "float":
                value = float(_attribute(cell, "office", "value") or "nan")
            elif kind == "date":
                value = datetime.date.fromisoformat(
                    (_attribute(cell, "office", "date-value") or "")[:10]
                )
            repeat = int(_attribute(cell, "table", "number-columns-repeated") or "1")
            cells += [(kind, value)] * min(repeat, 50)  # an empty tail repeats up to 1024
        while cells and cells[-1][0] == "empty":
            cells.pop()
        if cells:
            rows.append(cells)
    return rows


def check_the_trades(rows: list[list[Cell]], header: list[str], day: datetime.date) -> None:
    assert [value for _, value in rows[0]] == header
    first = rows[1]
    assert first[0] == ("date", datetime.date(2026, 8, 12))
    assert first[3] == ("float", 10.0)
    assert [row[3] for row in rows[1:]] == [
        ("float", amount) for amount in (10, 40, 25, 60, 100, 380.5, 20, 7)
    ]
    assert ("string", "déménagement") in rows[6]  # accents intact
    assert rows[-1][0] == ("date", day)
    assert rows[-1][4][0] == "string" and EVIL in str(rows[-1][4][1])  # text, not a formula


FRENCH_HEADER = ["Date", "Payeur", "Bénéficiaire", "Montant", "Libellé", "Catégorie", "Échange"]


def test_libreoffice_opens_the_french_excel_csv(
    with_a_formula: Coop, tmp_path: Path, profile: Path
) -> None:
    known = with_a_formula
    exported = tmp_path / "echanges.csv"
    export = ("--lang", "fr", "export", "trades", "--for", "excel", "-o", str(exported))
    assert known.run(*export).code == 0

    rows = ods_rows(to_ods(exported, tmp_path, profile, FRENCH_CSV))

    check_the_trades(rows, FRENCH_HEADER, datetime.date(2026, 11, 29))
    assert rows[-1][4] == ("string", "'" + EVIL)  # the quote that neutralises it, kept as text


def test_libreoffice_opens_the_english_excel_csv(
    with_a_formula: Coop, tmp_path: Path, profile: Path
) -> None:
    known = with_a_formula
    exported = tmp_path / "trades.csv"
    assert known.run("export", "trades", "--for", "excel", "-o", str(exported)).code == 0

    rows = ods_rows(to_ods(exported, tmp_path, profile, ENGLISH_CSV))

    header = ["Date", "Payer", "Payee", "Amount", "Memo", "Category", "Trade"]
    check_the_trades(rows, header, datetime.date(2026, 11, 29))


def test_libreoffice_opens_the_xlsx(with_a_formula: Coop, tmp_path: Path, profile: Path) -> None:
    known = with_a_formula
    exported = tmp_path / "echanges.xlsx"
    assert known.run("--lang", "fr", "export", "trades", "-o", str(exported)).code == 0

    rows = ods_rows(to_ods(exported, tmp_path, profile))

    check_the_trades(rows, FRENCH_HEADER, datetime.date(2026, 11, 29))
    assert rows[-1][4] == ("string", EVIL)  # a string cell: no quote needed
