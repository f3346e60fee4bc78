"""French spreadsheets in and out: `import` reads what French Excel and LibreOffice
save (French column names, `;`, Windows-1252, 1 234,50 and 1.234,50, 31/10/2026)
and refuses, with the file, line and column, what could be read two ways;
`export --for excel` and `--format xlsx` write what they open as they should.
(tests/test_libreoffice.py opens the exports in LibreOffice itself.)"""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopledger import i18n
from coopledger.model.money import format_amount, parse_amount
from coopledger.plans import excel, spreadsheet
from coopledger.plans.csvio import TRADE_COLUMNS, Table
from tests.conftest import Builds, Coop
from tests.test_import_export import balances
from tests.test_report import build_known

FRENCH_HEADER = "Date;Payeur;Bénéficiaire;Montant;Libellé;Catégorie\n"


def slips(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "slips.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def refused_and_nothing_written(coop: Coop, args: tuple[str, ...]) -> str:
    """Run a refused import; the error output, after checking nothing changed."""
    before = coop.log()
    result = coop.run(*args)
    assert result.code == 1, result.text
    assert coop.log() == before and coop.status() == ""  # no commit, no file left
    return result.err


def wide_limits(coop: Coop) -> None:
    rules = coop.read("rules.yaml").replace("floor: -500\n", "floor: -5000000\n")
    coop.write("rules.yaml", rules.replace("ceiling: 1000\n", "ceiling: 5000000\n"))
    coop.commit_all("wide limits")


# ---------------------------------------------------------------- import


def test_a_french_excel_file_in_windows_1252(coop: Coop, tmp_path: Path) -> None:
    # French Excel's plain "CSV (point-virgule)": Windows-1252, a no-break space
    # (0xA0 in Windows-1252) between thousands, 1.234,50, dates day first
    wide_limits(coop)
    assert coop.run("member", "add", "carol", "--name", "Carol", "--joined", "2024-01-01").code == 0
    path = slips(
        tmp_path,
        FRENCH_HEADER + "31/10/2026;carol;alice;1\u00a0030,25;pain, brioche;\n"
        "30/10/2026;carol;bob;1.234,50;œuvre « café »;\n",
        encoding="cp1252",
    )

    result = coop.run("import", path)

    assert result.code == 0, result.text
    assert "Read slips.csv as Windows-1252, fields separated by ';'" in result.out
    assert balances(coop)["alice"] == "1030.25" and balances(coop)["bob"] == "1234.50"
    written = coop.git("show", "--name-only", "--format=", "HEAD", "--", "journal").split()
    journal = "".join(coop.read(path) for path in written)  # carol's trades, a file each day
    assert '"pain, brioche"' in journal and "œuvre « café »" in journal


def test_import_says_the_encoding_and_separator_in_french_and_json(
    coop: Coop, tmp_path: Path
) -> None:
    path = slips(tmp_path, "\ufeff" + FRENCH_HEADER + "31/10/2026;alice;bob;12,50;pain;\n")

    french = coop.run("--lang", "fr", "import", path, "--dry-run")
    as_json = json.loads(coop.run("import", path, "--dry-run", "--json").out)

    assert french.code == 0, french.text
    assert "slips.csv lu en UTF-8 avec indicateur d'ordre des octets (BOM), " in french.out
    assert "champs séparés par ';'" in french.out
    assert as_json["encoding"] == "utf-8-bom" and as_json["separator"] == ";"
    assert as_json["trades"][0]["amount"] == "12.50"
    plain = slips(
        tmp_path, "date,payer,payee,amount,memo\n2026-10-31,alice,bob,1,x\n", name="p.csv"
    )
    assert json.loads(coop.run("import", plain, "--dry-run", "--json").out)["encoding"] == "utf-8"


@pytest.mark.parametrize(
    "header",
    [
        "Date;Payeur;Bénéficiaire;Montant;Libellé",
        "DATE;PAYEUR;BENEFICIAIRE;MONTANT;LIBELLE",
        " date ; payeur ; bénéficiaire ; montant ; libellé ",
        "Jour;Demandeur;Offreur;Somme;Objet",
        "Date;De;À;Montant;Description",
        "Date,Payer,Payee,Amount,Memo",
        "date\tpayer\tpayee\tamount\tmemo",
        "Libellé;Montant;Bénéficiaire;Payeur;Date",
    ],
)
def test_column_names_in_french_and_english(coop: Coop, tmp_path: Path, header: str) -> None:
    separator = ";" if ";" in header else "," if "," in header else "\t"
    names = [spreadsheet.column_of(name) for name in header.split(separator)]
    cells = {"date": "31/10/2026", "payer": "alice", "payee": "bob", "amount": "7", "memo": "x"}
    row = separator.join(cells[str(name)] for name in names)

    result = coop.run("import", slips(tmp_path, f"{header}\n{row}\n"))

    assert result.code == 0, result.text
    assert balances(coop)["alice"] == "-7.00" and balances(coop)["bob"] == "7.00"


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("1 234,50", "1234.50"),
        ("1\u00a0234,50", "1234.50"),
        ("1\u202f234,50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1.234.567,5", "1234567.50"),
        ('"1,234.50"', "1234.50"),
        ("12,5", "12.50"),
        ("12.5", "12.50"),
        ("1234", "1234.00"),
    ],
)
def test_amounts_as_spreadsheets_write_them(
    coop: Coop, tmp_path: Path, cell: str, amount: str
) -> None:
    wide_limits(coop)
    row = f"31/10/2026;alice;bob;{cell};x;\n"

    result = coop.run("import", slips(tmp_path, FRENCH_HEADER + row))

    assert result.code == 0, result.text
    assert balances(coop)["bob"] == amount


@pytest.mark.parametrize(
    "cell",
    ["31/10/2026", "2026-10-31", "31/10/2026 00:00", "31/10/2026 14:30:00", "2026-10-31T00:00"],
)
def test_dates_as_spreadsheets_write_them(coop: Coop, tmp_path: Path, cell: str) -> None:
    result = coop.run("import", slips(tmp_path, f"{FRENCH_HEADER}{cell};alice;bob;1;x;\n"))

    assert result.code == 0, result.text
    assert '2026-10-31 * "x"' in coop.read(coop.last_written())


def test_excels_sep_line_is_understood(coop: Coop, tmp_path: Path) -> None:
    path = slips(
        tmp_path,
        "sep=;\n" + FRENCH_HEADER + "31/10/2026;alice;bob;1;x;\n31/10/2026;alcie;bob;1;y;\n",
    )

    err = refused_and_nothing_written(coop, ("import", path))

    assert f"{path}:4: error: 'alcie' is not a member" in err  # lines as the file has them
    header = slips(tmp_path, "sep=;\nDate;Payeur;Bénéficiaire;Montant;Couleur\n", name="c.csv")
    assert f"{header}:2: error: the header has unknown column(s) Couleur" in (
        refused_and_nothing_written(coop, ("import", header))
    )
    good = slips(
        tmp_path, "sep=,\ndate,payer,payee,amount,memo\n2026-10-31,alice,bob,1,x\n", name="g.csv"
    )
    assert coop.run("import", good).code == 0


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "31/10/2026;alice;bob;1.234;x;",
            ":2: error: '1.234' is ambiguous (column 'Montant'): it could be 1234 (with a "
            "thousands separator) or 1.234 (with a decimal mark); if it is 1234, write it "
            "without a separator or with a space; if not, give it the currency's 2 decimal places",
        ),
        ("31/10/2026;alice;bob;2,500;x;", "'2,500' is ambiguous (column 'Montant')"),
        ("31/10/2026;alice;bob;-1.000;x;", "'-1.000' is ambiguous (column 'Montant')"),
        (
            "10/31/2026;alice;bob;1;x;",
            ":2: error: '10/31/2026' puts the month first (column 'Date'): coopledger reads "
            "dates day first, as 31/10/2026; write the dates day first or as 2026-10-31, and "
            "check the other dates of the file: their day and month may be swapped",
        ),
        (
            "31/10/26;alice;bob;1;x;",
            ":2: error: '31/10/26' has a two-digit year (column 'Date'); write the year in full",
        ),
        (
            "31.10.2026;alice;bob;1;x;",
            ":2: error: '31.10.2026' is not a date (column 'Date'); write it day first, "
            "31/10/2026, or as 2026-10-31",
        ),
        ("31/13/2026;alice;bob;1;x;", "'31/13/2026' is not a date (column 'Date')"),
        ("31/10/2026;alice;bob;1.234.50;x;", "'1.234.50' is not an amount"),
        ("31/10/2026;alice;bob;1 234.567,50;x;", "'1 234.567,50' is not an amount"),
    ],
)
def test_ambiguous_or_unreadable_cells_are_refused(
    coop: Coop, tmp_path: Path, row: str, expected: str
) -> None:
    path = slips(tmp_path, FRENCH_HEADER + row + "\n")

    err = refused_and_nothing_written(coop, ("import", path))

    assert expected.replace(":2:", f"{path}:2:") in err


def test_a_refusal_in_french_names_the_column_as_the_file_does(coop: Coop, tmp_path: Path) -> None:
    path = slips(tmp_path, "Date;Payeur;Bénéficiaire;Somme;Objet\n31/10/2026;alice;bob;1,000;x\n")

    err = refused_and_nothing_written(coop, ("--lang", "fr", "import", path))

    assert (
        f"{path}:2: erreur : '1,000' est ambigu (colonne 'Somme') : cela peut être 1\u202f000 "
        "(avec un séparateur de milliers) ou 1,000 (avec une virgule décimale)"
    ) in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "\ufeffdate;payer;payee;amount;memo\n".encode("utf-16"),
            ": the file is UTF-16 text (Excel's 'Unicode text')\n  → save it from the "
            "spreadsheet as 'CSV UTF-8' or 'CSV (semicolon separated)'",
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            ": the file is a workbook (.xlsx or .ods), not CSV\n  → open it in the "
            "spreadsheet and save it as 'CSV UTF-8' (Excel) or 'Text CSV' (LibreOffice)",
        ),
        (
            # lines pasted from a UTF-8 file into a Windows-1252 one
            b"date;payer;payee;amount;memo\n"
            + "2026-10-30;alice;bob;1;café\n".encode()
            + "2026-10-31;alice;bob;1;thé\n".encode("cp1252"),
            ":2: the file mixes two encodings: this line is UTF-8, line 3 is not\n  → "
            "save the whole file again from the spreadsheet as 'CSV UTF-8'",
        ),
        (
            b"\xef\xbb\xbfdate;payer;payee;amount;memo\n2026-10-31;alice;bob;1;th\xe9\n",
            ":2: the file is neither UTF-8 nor Windows-1252 text",  # a BOM says UTF-8
        ),
    ],
)
def test_files_in_other_encodings_are_refused(
    coop: Coop, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "slips.csv"
    path.write_bytes(content)

    err = refused_and_nothing_written(coop, ("import", str(path)))

    assert f"error: {path}{expected}" in err


def test_two_columns_for_one_thing_are_refused(coop: Coop, tmp_path: Path) -> None:
    path = slips(
        tmp_path,
        "Date;Payeur;Bénéficiaire;Montant;Libellé;Description\n31/10/2026;alice;bob;1;x;y\n",
    )

    err = refused_and_nothing_written(coop, ("import", path))

    assert (
        f"{path}:1: error: the columns 'Libellé' and 'Description' are the same column for "
        "coopledger; keep one of them, or rename the other"
    ) in err


def test_an_unknown_french_column_is_refused_with_the_french_names(
    coop: Coop, tmp_path: Path
) -> None:
    path = slips(
        tmp_path,
        "Date;Payeur;Bénéficiaire;Montant;Libellé;Couleur\n31/10/2026;alice;bob;1;x;rouge\n",
    )

    err = refused_and_nothing_written(coop, ("--lang", "fr", "import", path))

    assert "en-tête" in err or "Couleur" in err
    assert "Date, Payeur, Bénéficiaire, Montant, Libellé, Catégorie, Échange" in err


def test_the_strictness_stays_for_french_files(coop: Coop, tmp_path: Path) -> None:
    formula = slips(
        tmp_path,
        FRENCH_HEADER + '31/10/2026;alice;bob;1;"\'=HYPERLINK(""http://x"";""y"")";\n',
        encoding="cp1252",
        name="formula.csv",
    )
    assert coop.run("import", formula).code == 0  # the quote of an export is taken off
    assert '=HYPERLINK(\\"http://x\\";\\"y\\")' in coop.read(coop.last_written())

    again = refused_and_nothing_written(coop, ("import", formula))
    assert f"{formula}:2: error: a trade alice → bob on 2026-10-31" in again  # a duplicate

    open_quote = slips(
        tmp_path, FRENCH_HEADER + '30/10/2026;alice;bob;1;"pain;\n', "cp1252", "q.csv"
    )
    assert "a double quote opened on this line is never closed" in refused_and_nothing_written(
        coop, ("import", open_quote)
    )
    huge = slips(
        tmp_path,
        FRENCH_HEADER + "30/10/2026;alice;bob;1;" + "é" * 140_000 + ";\n",
        "cp1252",
        "h.csv",
    )
    assert "a field is longer than 131,072 characters" in refused_and_nothing_written(
        coop, ("import", huge)
    )


# ---------------------------------------------------------------- export


EVIL = '=HYPERLINK("http://evil.example";"facture")'


def known_with_a_formula(coop: Coop) -> Coop:
    known = build_known(coop)
    trade = ("trade", "carol", "alice", "7", "--date", "2026-11-29", "--memo", EVIL)
    assert known.run(*trade).code == 0
    return known


@pytest.fixture
def with_a_formula(builds: Builds, coop: Coop) -> Coop:
    """`known_with_a_formula`, made once per worker and copied (`Builds.copy`)."""
    return builds.copy("known-with-a-formula", coop, known_with_a_formula)


def test_export_for_french_excel(with_a_formula: Coop, tmp_path: Path) -> None:
    known = with_a_formula
    target = tmp_path / "échanges.csv"
    period = ("--from", "01/11/2026", "--to", "30/11/2026")

    export = ("--lang", "fr", "export", "trades", "--for", "excel", *period)

    shown = known.run(*export)
    written = known.run(*export, "-o", str(target))

    assert shown.code == 0 and written.code == 0, shown.text + written.text
    assert f"{target} écrit : 5 ligne(s)" in written.out
    data = target.read_bytes()
    assert data.decode("utf-8") == shown.out  # the same bytes on the terminal and in the file
    assert data.startswith(b"\xef\xbb\xbf")  # the mark that tells Excel it is UTF-8
    lines = data.decode("utf-8").removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "Date;Payeur;Bénéficiaire;Montant;Libellé;Catégorie;Échange"
    assert lines[1:5] == [
        "02/11/2026;alice;fournil;60,00;pain, novembre;alimentation;",
        "03/11/2026;fournil;bob;100,00;livraisons;;",
        "15/11/2026;alice;bob;380,50;déménagement;services;",
        "28/11/2026;bob;fournil;20,00;brioches;alimentation;",
    ]
    # the formula is text for the spreadsheet: a quote before it, as in every export
    assert lines[5].startswith('29/11/2026;carol;alice;7,00;"\'=HYPERLINK(""http://evil')
    assert lines[6] == ""  # CR LF after the last line too


def test_export_for_english_excel_and_members_with_negative_floors(with_a_formula: Coop) -> None:
    known = with_a_formula

    trades = known.run("export", "trades", "--for", "excel", "--to", "2026-11-03").out
    members = known.run("--lang", "fr", "export", "members", "--for", "excel", "--to", "2026-11-30")

    assert trades.startswith("\ufeffDate,Payer,Payee,Amount,Memo,Category,Trade\r\n")
    assert '2026-11-02,alice,fournil,60.00,"pain, novembre",alimentation,\r\n' in trades
    lines = members.out.removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "Identifiant;Nom;Type;Adhésion;Statut;Plancher;Plafond;Rôles"
    assert "dan;Dan;person;01/01/2024;left;-500,00;1000,00;" in lines  # a number, no quote


def test_export_xlsx_has_typed_cells(with_a_formula: Coop, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    known = with_a_formula
    path = tmp_path / "echanges.xlsx"

    result = known.run("--lang", "fr", "export", "trades", "-o", str(path))  # .xlsx: the format

    assert result.code == 0, result.text
    sheet = load_workbook(path).active
    assert sheet.title == "Échanges" and sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        *("Date", "Payeur", "Bénéficiaire", "Montant", "Libellé", "Catégorie", "Échange")
    ]
    date, payer, payee, amount, memo, category, trade = rows[1]
    assert date.is_date and date.value == datetime.datetime(2026, 8, 12)
    assert date.number_format == "dd/mm/yyyy"
    assert amount.data_type == "n" and amount.value == 10 and amount.number_format == "#,##0.00"
    texts = ("alice", "bob", "couture", "services")
    assert (payer.value, payee.value, memo.value, category.value) == texts
    assert trade.value is None  # written by hand without an id: an empty cell
    assert [r[3].value for r in rows[1:]] == [10, 40, 25, 60, 100, 380.5, 20, 7]
    evil = rows[-1][4]
    assert evil.data_type == "s" and evil.value == EVIL  # text, never a formula
    assert rows[-1][6].data_type == "s" and rows[-1][6].value.startswith("2026-11-29-")


def test_export_xlsx_of_members_and_balances(with_a_formula: Coop, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    known = with_a_formula
    members, balances_file = tmp_path / "membres.xlsx", tmp_path / "soldes.xlsx"

    assert known.run("export", "members", "-o", str(members), "--to", "2026-11-30").code == 0
    assert known.run("export", "balances", "--format", "xlsx", "-o", str(balances_file)).code == 0

    header, *rows = load_workbook(members).active.iter_rows(values_only=True)
    assert header == ("Id", "Name", "Kind", "Joined", "Status", "Floor", "Ceiling", "Roles")
    dan = next(row for row in rows if row[0] == "dan")
    assert dan == ("dan", "Dan", "person", datetime.datetime(2024, 1, 1), "left", -500, 1000, None)
    sheet = load_workbook(balances_file).active
    assert sheet.title == "Balances" and sheet["B2"].number_format == "yyyy-mm-dd"
    by_member = {row[0]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_member["alice"] == Decimal("-465.50") and by_member["bob"] == 465.5  # on the 25th


def test_xlsx_cells_hold_any_text(coop: Coop) -> None:
    from openpyxl import load_workbook

    table = Table(("memo",), (("a\x07b\x1b[31m",), ("é" * 40_000,)), kinds=("text",))

    data = excel.to_xlsx(table, 2, "en")

    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "a\ufffdb\ufffd[31m"  # control characters are not XML
    assert len(sheet["A3"].value) == excel.XLSX_TEXT_MOST  # the most a cell of Excel holds


def fresh_like(known: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Coop:
    """A new cooperative with the members and rules of `known`, and no trade."""
    fresh = Coop(tmp_path / "fresh", capsys)
    init = fresh.run(
        "init", str(fresh.root), "--name", "Copie", "--currency", "SEL", "--treasurer", "tresa",
        "--treasurer-name", "Trésorière", "--email", "tresa@example.org", "--joined", "2024-01-01",
    )  # fmt: skip
    assert init.code == 0, init.text
    fresh.git("config", "user.email", "tresa@example.org")
    for args in (
        ("alice", "--name", "Alice Martin"),
        ("bob", "--name", "Bob Durand"),
        ("fournil", "--name", "Le Fournil", "--kind", "business", "--floor", "-2000"),
        ("dan", "--name", "Dan"),
    ):
        assert fresh.run("member", "add", *args, "--joined", "2024-01-01").code == 0
    assert fresh.run("member", "leave", "dan", "--date", "2026-11-20").code == 0
    carol = ("member", "add", "carol", "--name", "Carol", "--joined", "2026-11-10")
    assert fresh.run(*carol).code == 0
    fresh.write("rules.yaml", known.read("rules.yaml"))
    fresh.commit_all("same rules")
    return fresh


def test_round_trip_a_french_excel_export_into_a_fresh_cooperative(
    with_a_formula: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = with_a_formula
    exported = tmp_path / "export.csv"
    export = ("--lang", "fr", "export", "trades", "--for", "excel", "-o", str(exported))
    assert known.run(*export).code == 0
    fresh = fresh_like(known, tmp_path, capsys)

    result = fresh.run("--lang", "fr", "import", str(exported))

    assert result.code == 0, result.text
    assert "export.csv lu en UTF-8 avec indicateur d'ordre des octets (BOM)" in result.out
    assert balances(fresh) == balances(known)
    before = json.loads(known.run("export", "trades", "--format", "json").out)
    after = json.loads(fresh.run("export", "trades", "--format", "json").out)
    for old, new in zip(before, after, strict=True):  # ids only where the journal had none
        assert new == old or (old["trade"] is None and new == {**old, "trade": new["trade"]})
    assert after[-1]["memo"] == EVIL
    assert fresh.run("check").code == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("export", "trades", "--format", "xlsx"),
            "error: an .xlsx workbook is written to a file, not to the terminal\n"
            "  → give the file to write: --output FILE.xlsx",
        ),
        (("export", "trades", "--for", "word"), "error: 'word' is not a choice for --for"),
        (
            ("export", "trades", "--for", "excel", "--json"),
            "error: 'json' is not a choice for --format with --for excel\n"
            "  → use one of: csv, xlsx",
        ),
    ],
)
def test_export_refusals(coop: Coop, args: tuple[str, ...], expected: str) -> None:
    before = coop.log()

    result = coop.run(*args)

    assert result.code == 1 and result.out == ""
    assert expected in result.err
    assert coop.log() == before and coop.status() == ""


# ---------------------------------------------------------------- round trips


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999.99"), places=2))
def test_amounts_as_french_spreadsheets_write_them_read_back(value: Decimal) -> None:
    table = Table(("amount",), ((format_amount(value, 2),),), kinds=("amount",))
    for_excel = excel.to_excel_csv(table, "fr").split("\r\n")[1]  # 1234,50
    dotted = f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")  # 1.234,50
    spaced = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")  # 1 234,50
    english = f"{value:,.2f}"  # 1,234.50

    for cell in (for_excel, dotted, spaced, english):
        assert parse_amount(spreadsheet.sheet_amount(cell, 2, "Montant"), 2) == value, cell


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(9999, 12, 31)))
def test_dates_written_for_french_excel_read_back(day: datetime.date) -> None:
    table = Table(("date",), ((day.isoformat(),),), kinds=("date",))

    cell = excel.to_excel_csv(table, "fr").split("\r\n")[1]

    assert spreadsheet.sheet_date(cell, "Date") == day


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_headings_of_an_export_are_read_back_by_import(language: str) -> None:
    i18n.set_language(language)

    names = excel.headings(TRADE_COLUMNS)

    assert [spreadsheet.column_of(name) for name in names] == list(TRADE_COLUMNS)
