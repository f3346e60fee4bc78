"""The catalogue of bad input: each is refused with a clear message, exit 1, no
traceback, and the repository as it was (same HEAD, `git status` empty). When the
system itself refuses (a read-only .git, a full disk), the exit status is 3.

Amounts are bounded (10^15 units) and written in ASCII digits, `1,000` is
ambiguous, dates go no further than the horizon (rules.yaml
`date_horizon_days`, by default the end of next month), text has no control
characters, YAML has no duplicate keys, anchors, `.inf`/`.nan` or huge
numbers, a floor is never above its ceiling, CSV is read strictly, and every
CSV written is safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from coopledger.plans.csvio import spreadsheet_safe
from tests.conftest import Coop, Result

HUGE = "1" + "0" * 30  # 10^30: beyond every layer (Decimal's 28 digits, int64 cents)
TOO_LARGE = "is too large: amounts are at most 1000000000000000 (10^15)"


def refused(coop: Coop, *args: str, says: str) -> Result:
    """Run a command that must be refused: exit 1, `says` in its output, no
    traceback, and the same HEAD with nothing changed in the working tree."""
    assert coop.status() == ""
    head = coop.git("rev-parse", "HEAD")
    result = coop.run(*args)
    assert result.code == 1, result.text
    assert says in result.text, result.text
    assert "Traceback" not in result.text
    assert coop.status() == "", coop.status()
    assert coop.git("rev-parse", "HEAD") == head
    return result


def committed(coop: Coop, name: str, text: str) -> None:
    """A hand-edited file, committed (as a merged pull request would bring it)."""
    coop.write(name, text)
    coop.commit_all(f"edit {name} by hand")


def with_trade(coop: Coop) -> Path:
    """One recorded trade alice → bob 5.00, moved to alice's month file (as the first
    layout kept it, and as a hand edit then finds it); returns that file."""
    assert coop.run("trade", "alice", "bob", "5", "--memo", "pain").code == 0
    month_file = "journal/2026/11/alice.beancount"
    coop.git("mv", coop.last_written(), month_file)
    coop.commit_all("alice's month file")
    return coop.root / month_file


# ---------------------------------------------------------------- amounts


def test_a_huge_amount_in_a_trade(coop: Coop) -> None:
    refused(coop, "trade", "alice", "bob", HUGE, says=f"'{HUGE}' {TOO_LARGE}")


def test_a_huge_floor_in_member_limit(coop: Coop) -> None:
    refused(
        coop,
        *("member", "limit", "alice", "--floor", f"-{HUGE}", "--from", "2026-11-01"),
        says=f"'-{HUGE}' {TOO_LARGE}",
    )


def test_a_huge_floor_in_member_add(coop: Coop) -> None:
    refused(
        coop,
        *("member", "add", "carol", "--name", "Carol", "--email", "carol@example.org"),
        *("--floor", f"-{HUGE}"),
        says=f"'-{HUGE}' {TOO_LARGE}",
    )


def test_the_bound_itself_is_accepted(coop: Coop) -> None:
    result = coop.run(
        "member", "limit", "alice", "--ceiling", "1000000000000000", "--from", "2026-11-01"
    )

    assert result.code == 0, result.text


def test_a_huge_amount_in_a_hand_written_entry_is_a_problem_with_its_line(coop: Coop) -> None:
    journal = with_trade(coop)
    committed(
        coop,
        "journal/2026/11/alice.beancount",
        journal.read_text().replace("5.00 SEL", f"{HUGE}.00 SEL"),
    )

    result = refused(coop, "check", says="journal/2026/11/alice.beancount:1: error: the amount ")

    assert f"{TOO_LARGE}; check the number of digits" in result.out
    assert coop.run("balances").code in (0, 1)  # shows what it can, no traceback


@pytest.mark.parametrize(
    "command", [("check",), ("balances",), ("trade", "alice", "bob", "1"), ("export", "trades")]
)
def test_a_huge_number_in_rules_yaml_stops_every_command_with_its_line(
    coop: Coop, command: tuple[str, ...]
) -> None:
    rules = coop.read("rules.yaml")
    line = rules.splitlines().index("    ceiling: 1000") + 1
    committed(coop, "rules.yaml", rules.replace("    ceiling: 1000\n", f"    ceiling: {HUGE}\n"))

    refused(
        coop,
        *command,
        says=f"rules.yaml:{line}: error: the number {HUGE} is too large: numbers are at most "
        "1000000000000000",
    )


def test_a_number_of_thousands_of_digits_in_yaml(coop: Coop) -> None:
    committed(
        coop,
        "rules.yaml",
        coop.read("rules.yaml").replace("ceiling: 1000\n", f"ceiling: {'9' * 5000}\n"),
    )

    refused(coop, "check", says="is too large: numbers are at most 1000000000000000")


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", ".NaN"])
def test_inf_and_nan_in_rules_yaml(coop: Coop, value: str) -> None:
    rules = coop.read("rules.yaml")
    line = rules.splitlines().index("    floor: -500") + 1
    committed(coop, "rules.yaml", rules.replace("    floor: -500\n", f"    floor: {value}\n"))

    refused(coop, "check", says=f"rules.yaml:{line}: error: '{value}' is not a finite number")


@pytest.mark.parametrize("value", [".inf", ".nan"])
def test_inf_and_nan_in_members_yaml(coop: Coop, value: str) -> None:
    members = coop.read("members.yaml")
    line = members.splitlines().index("    floor: -2000.00") + 1
    committed(
        coop, "members.yaml", members.replace("    floor: -2000.00\n", f"    floor: {value}\n")
    )

    refused(coop, "check", says=f"members.yaml:{line}: error: '{value}' is not a finite number")


def test_one_comma_thousand_is_ambiguous(coop: Coop) -> None:
    result = refused(coop, "trade", "alice", "bob", "1,000", says="'1,000' is ambiguous")

    assert (
        "it could be 1000 (with a thousands separator) or 1.00 (with a decimal mark)" in result.err
    )
    assert "write it without a thousands separator: 1000 or 1.00" in result.err


def test_one_dot_thousand_is_ambiguous_in_a_two_decimal_currency(coop: Coop) -> None:
    refused(coop, "trade", "alice", "bob", "1.000", says="'1.000' is ambiguous")


def test_a_decimal_comma_stays_accepted(coop: Coop) -> None:
    result = coop.run("trade", "alice", "bob", "12,50")

    assert result.code == 0, result.text
    assert "12.50 SEL" in result.out


def test_one_comma_thousand_in_a_semicolon_csv(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(
        "date;payer;payee;amount;memo\n2026-11-20;alice;bob;1,000;pain\n", encoding="utf-8"
    )

    refused(coop, "import", str(slips), says=f"{slips}:2: error: '1,000' is ambiguous")


@pytest.mark.parametrize("amount", ["٤٠", "１２", "४०"])
def test_digits_of_other_scripts(coop: Coop, amount: str) -> None:
    refused(coop, "trade", "alice", "bob", amount, says=f"'{amount}' is not an amount")


# ---------------------------------------------------------------- dates


def test_a_date_far_ahead(coop: Coop) -> None:
    result = refused(
        coop,
        "trade",
        "alice",
        "bob",
        "3",
        "--date",
        "9999-12-31",
        says="the date 9999-12-31 is too far ahead",
    )

    assert "entries may be dated up to 2026-12-31" in result.err  # today is 2026-11-25
    assert "set 'date_horizon_days' in rules.yaml" in result.err


def test_the_end_of_next_month_is_accepted(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "3", "--date", "2026-12-31").code == 0
    refused(coop, "trade", "alice", "bob", "3", "--date", "2027-01-01", says="too far ahead")


def test_the_horizon_is_set_in_rules_yaml(coop: Coop) -> None:
    committed(coop, "rules.yaml", coop.read("rules.yaml") + "date_horizon_days: 400\n")

    assert coop.run("trade", "alice", "bob", "3", "--date", "2027-12-30").code == 0
    refused(
        coop,
        "trade",
        "alice",
        "bob",
        "3",
        "--date",
        "2027-12-31",
        says="entries may be dated up to 2027-12-30",
    )


def test_a_date_far_ahead_in_an_import(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(
        "date,payer,payee,amount,memo\n2099-01-01,alice,bob,3,pain\n", encoding="utf-8"
    )

    refused(
        coop, "import", str(slips), says=f"{slips}:2: error: the date 2099-01-01 is too far ahead"
    )


def test_a_date_far_ahead_in_a_hand_written_entry(coop: Coop) -> None:
    journal = with_trade(coop)
    committed(
        coop,
        "journal/2026/11/alice.beancount",
        journal.read_text().replace("2026-11-25 *", "2099-11-25 *"),
    )

    refused(
        coop,
        "check",
        says="journal/2026/11/alice.beancount:1: error: this entry is dated 2099-11-25, "
        "too far ahead",
    )


def test_a_date_far_ahead_for_a_member_status(coop: Coop) -> None:
    refused(
        coop,
        "member",
        "suspend",
        "bob",
        "--date",
        "9999-01-01",
        says="the date 9999-01-01 is too far ahead",
    )


@pytest.mark.parametrize("value", ["20261120", "2026-W47-5", "٢٠٢٦-١١-٢٠"])
def test_dates_only_as_yyyy_mm_dd(coop: Coop, value: str) -> None:
    refused(coop, "trade", "alice", "bob", "3", "--date", value, says=f"'{value}' is not a date")


# ---------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("memo", "position", "character"),
    [
        ("pain\x1b[31m rouge", 5, "U+001B"),
        ("a\x00b", 2, "U+0000"),
        ("deux\nlignes", 5, "U+000A"),
        ("x\x9b2J", 2, "U+009B"),
    ],
)
def test_control_characters_in_a_memo(coop: Coop, memo: str, position: int, character: str) -> None:
    result = refused(
        coop,
        *("trade", "alice", "bob", "3", "--memo", memo),
        says=f"the memo has a control character ({character}) at position {position}",
    )

    assert "\x1b" not in result.text and "\x00" not in result.text


def test_control_characters_in_an_import(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_bytes(
        b"date,payer,payee,amount,memo\n2026-11-20,alice,bob,3,a\x00b\n2026-11-21,alice,bob,3,\x1b[2J\n"
    )

    result = refused(
        coop,
        "import",
        str(slips),
        says=f"{slips}:2: error: the memo has a control character (U+0000)",
    )

    assert (
        f"{slips}:3: error: the memo has a control character (U+001B) at position 1" in result.err
    )


def test_control_characters_in_a_member_name(coop: Coop) -> None:
    refused(
        coop,
        *(
            "member",
            "add",
            "carol",
            "--name",
            "Carol\x1b]0;owned\x07",
            "--email",
            "carol@example.org",
        ),
        says="the name has a control character (U+001B) at position 6",
    )


def test_control_characters_in_members_yaml(coop: Coop) -> None:
    members = coop.read("members.yaml")
    line = members.splitlines().index("    name: Alice Martin") + 1
    committed(coop, "members.yaml", members.replace("name: Alice Martin", 'name: "Alice\\e[2J"'))

    refused(
        coop,
        "check",
        says=f"members.yaml:{line}: error: a text has a control character (U+001B) at position 6",
    )


def test_control_characters_in_a_category(coop: Coop) -> None:
    committed(
        coop,
        "rules.yaml",
        coop.read("rules.yaml").replace("categories: []", 'categories: ["pain\\x07"]'),
    )

    refused(coop, "check", says="a text has a control character (U+0007) at position 5")


def test_control_characters_in_a_hand_written_entry(coop: Coop) -> None:
    journal = with_trade(coop)
    committed(
        coop,
        "journal/2026/11/alice.beancount",
        journal.read_text().replace('"pain"', '"pain\x1b[31m"'),
    )

    refused(
        coop,
        "check",
        says="journal/2026/11/alice.beancount:1: error: the narration of this entry has a "
        "control character (U+001B) at position 5",
    )


# ---------------------------------------------------------------- YAML


def test_a_key_given_twice_in_rules_yaml(coop: Coop) -> None:
    rules = coop.read("rules.yaml")
    first = (
        rules.splitlines().index(next(x for x in rules.splitlines() if x.startswith("decimals:")))
        + 1
    )
    committed(coop, "rules.yaml", rules + "decimals: 3\n")
    last = len(coop.read("rules.yaml").splitlines())

    refused(
        coop,
        "check",
        says=f"rules.yaml:{last}: error: the key 'decimals' is given twice "
        f"(first on line {first}); keep one of them",
    )


def test_a_key_given_twice_in_members_yaml(coop: Coop) -> None:
    members = coop.read("members.yaml")
    committed(
        coop,
        "members.yaml",
        members.replace("    name: Alice Martin\n", "    name: Alice Martin\n    name: Mallory\n"),
    )
    line = coop.read("members.yaml").splitlines().index("    name: Mallory") + 1

    refused(coop, "check", says=f"members.yaml:{line}: error: the key 'name' is given twice")


def test_anchors_and_aliases(coop: Coop) -> None:
    rules = coop.read("rules.yaml")
    committed(
        coop,
        "rules.yaml",
        rules.replace("  person:\n", "  person: &same\n").replace(
            "  business:\n", "  business: *same\n  old:\n"
        ),
    )

    refused(
        coop,
        "check",
        says="error: anchors and aliases (&name, *name) are not allowed; "
        "write every value out in full",
    )


def test_a_billion_laughs_is_refused_before_it_grows(coop: Coop) -> None:
    """9^9 items once expanded (gigabytes, when a message quoted the name): refused
    from the events alone, before anything is built."""
    bomb = "bomb:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"  {name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
    members = coop.read("members.yaml") + "  - id: lol\n    name: *i\n"
    committed(coop, "members.yaml", bomb + members)

    refused(
        coop,
        "check",
        says="members.yaml:2: error: anchors and aliases (&name, *name) are not allowed",
    )


# ---------------------------------------------------------------- limits


def test_a_floor_above_the_ceiling_in_rules_yaml(coop: Coop) -> None:
    rules = coop.read("rules.yaml")
    line = rules.splitlines().index("    floor: -500") + 1
    committed(coop, "rules.yaml", rules.replace("    floor: -500\n", "    floor: 2000\n"))

    refused(
        coop,
        "check",
        says=f"rules.yaml:{line}: error: the kind 'person' has a floor of 2000 above its "
        "ceiling of 1000 (from the beginning); give a floor at or below the ceiling",
    )


def test_a_floor_above_the_ceiling_from_a_date_in_members_yaml(coop: Coop) -> None:
    members = coop.read("members.yaml")
    committed(
        coop,
        "members.yaml",
        members.replace(
            "    floor: -2000.00\n", "    floor: {2024-01-01: -2000, 2026-06-01: 6000}\n"
        ),
    )
    line = (
        coop.read("members.yaml")
        .splitlines()
        .index("    floor: {2024-01-01: -2000, 2026-06-01: 6000}")
        + 1
    )

    refused(
        coop,
        "check",
        says=f"members.yaml:{line}: error: the member 'fournil' has a floor of 6000 above "
        "its ceiling of 5000.00 (from 2026-06-01)",
    )


# ---------------------------------------------------------------- CSV in


def test_an_unterminated_quote_does_not_swallow_the_next_row(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(
        'date,payer,payee,amount,memo\n2026-11-20,alice,bob,1,"pain\n2026-11-21,alice,bob,2,graines\n',
        encoding="utf-8",
    )

    refused(
        coop,
        *("import", str(slips)),
        says=f"{slips}:2: error: the CSV cannot be read here: "
        "a double quote opened on this line is never closed",
    )


def test_a_stray_quote_after_a_quoted_field(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(
        'date,payer,payee,amount,memo\n2026-11-20,alice,bob,1,"pain" complet\n', encoding="utf-8"
    )

    refused(coop, "import", str(slips), says=f"{slips}:2: error: the CSV cannot be read here: ")


def test_a_field_beyond_the_csv_limit(coop: Coop, tmp_path: Path) -> None:
    slips = tmp_path / "slips.csv"
    slips.write_text(
        f"date,payer,payee,amount,memo\n2026-11-20,alice,bob,1,{'x' * 140_000}\n", encoding="utf-8"
    )

    refused(
        coop,
        "import",
        str(slips),
        says=f"{slips}:2: error: a field is longer than 131,072 characters",
    )


def test_an_unterminated_quote_in_the_invoices_of_clear(coop: Coop, tmp_path: Path) -> None:
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        'debtor,creditor,amount,ref\nalice,bob,1,"r1\nbob,alice,2,r2\n', encoding="utf-8"
    )

    refused(
        coop,
        *("clear", "--invoices", str(invoices)),
        says=f"{invoices}:2: error: the CSV cannot be read here: "
        "a double quote opened on this line is never closed",
    )


def test_a_quoted_field_beyond_the_csv_limit_in_the_invoices_of_clear(
    coop: Coop, tmp_path: Path
) -> None:
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        f'debtor,creditor,amount,ref\nalice,bob,1,"{"x" * 140_000}"\n', encoding="utf-8"
    )

    refused(
        coop,
        *("clear", "--invoices", str(invoices)),
        says=f"{invoices}:2: error: a field is longer than 131,072 characters",
    )


# ---------------------------------------------------------------- CSV out

FORMULAS = ['=HYPERLINK("http://evil.example","clic")', "+1+1", "-2+3", "@SUM(A1)", "\tx"]


def test_spreadsheet_safe_quotes_text_and_keeps_numbers() -> None:
    assert [spreadsheet_safe(f) for f in FORMULAS] == ["'" + f for f in FORMULAS]
    assert spreadsheet_safe("\rx") == "'\rx"
    assert [spreadsheet_safe(n) for n in ("-12.50", "+3", "40", "2026-11-25")] == [
        "-12.50",
        "+3",
        "40",
        "2026-11-25",
    ]
    assert spreadsheet_safe("pain") == "pain"
    assert spreadsheet_safe("'=already") == "''=already"  # reading it back takes one quote off


def formula_ledger(coop: Coop) -> None:
    """A member named like a formula, and trades whose memos are formulas (hand-written:
    the tab is refused by `trade`)."""
    assert (
        coop.run(
            "member", "add", "carol", "--name", "=cmd|'/C calc'!A0", "--email", "c@example.org"
        ).code
        == 0
    )
    for memo in FORMULAS[:4]:
        assert coop.run("trade", "alice", "carol", "2", "--memo", memo).code == 0, memo


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "command",
    [
        ("export", "trades"),
        ("export", "members"),
        ("export", "balances"),
        ("statement", "alice", "--format", "csv", "--from", "2026-11-01", "--to", "2026-11-30"),
        ("report", "2026-11", "--format", "csv"),
    ],
)
def test_every_csv_output_is_safe_in_a_spreadsheet(coop: Coop, command: tuple[str, ...]) -> None:
    formula_ledger(coop)

    result = coop.run(*command)

    assert result.code == 0, result.text
    for row in cells(result.out):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            if cell.startswith("-"):
                float(cell)  # a negative amount, still a number


def test_an_export_imports_back_to_the_same_memos(coop: Coop, tmp_path: Path) -> None:
    formula_ledger(coop)
    exported = coop.run("export", "trades").out
    assert "'=HYPERLINK" in exported
    assert coop.git("rm", "-rq", "journal/2026") == ""
    coop.commit_all("start again")
    (tmp_path / "trades.csv").write_text(exported, encoding="utf-8")

    assert coop.run("import", str(tmp_path / "trades.csv")).code == 0

    assert coop.run("export", "trades").out == exported


OFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(OFFICE is None, reason="LibreOffice (soffice) is not installed here")
def test_libreoffice_reads_formulas_as_text_and_amounts_as_numbers(
    coop: Coop, tmp_path: Path
) -> None:
    """Open an export in LibreOffice, headless, with formulas evaluated on import
    (the worst case), convert it to a flat ODS and read the cells back."""
    formula_ledger(coop)
    exported = tmp_path / "trades.csv"
    exported.write_text(coop.run("export", "trades").out, encoding="utf-8")
    # CSV filter: comma, double quote, UTF-8, from line 1, standard columns, en-US,
    # quoted as text off, detect special numbers, ..., evaluate formulas (token 13) on
    infilter = "CSV:44,34,76,1,,1033,false,true,false,false,false,-1,true"
    subprocess.run(
        [
            str(OFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            f"--infilter={infilter}",
            *("--convert-to", "fods", "--outdir", str(tmp_path), str(exported)),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    tree = ET.parse(tmp_path / "trades.fods")
    rows = []
    for row in tree.iter(f"{{{table}}}table-row"):
        found = []
        for cell in row.iter(f"{{{table}}}table-cell"):
            assert cell.get(f"{{{table}}}formula") is None, ET.tostring(cell)
            words = "".join("".join(p.itertext()) for p in cell.iter(f"{{{text}}}p"))
            found.append((cell.get(f"{{{office}}}value-type"), words))
        rows.append(found)
    memos = {
        words for row in rows[1:] for kind, words in row if "HYPERLINK" in words or "SUM" in words
    }
    assert memos and all("'" in m or m.startswith(("=", "@")) for m in memos)
    amounts = [row[3] for row in rows[1:] if len(row) > 3 and row[3][1]]
    assert amounts and all(kind == "float" for kind, _ in amounts), amounts


# ---------------------------------------------------------------- past revisions


def test_report_of_a_revision_holding_an_absolute_symlink(coop: Coop) -> None:
    (coop.root / "journal/evil.beancount").symlink_to("/etc/passwd")
    coop.commit_all("a link out of the folder")

    refused(
        coop,
        *("report", "2026-11", "--rev", "HEAD"),
        says="revision HEAD holds journal/evil.beancount, which cannot be read safely "
        "(a link out of the folder)",
    )


# ---------------------------------------------------------------- the system refuses


@pytest.fixture
def read_only_git(coop: Coop) -> Iterator[Coop]:
    """The cooperative with its .git read-only: by permissions, or (as root, whom
    permissions do not stop) by a read-only bind mount where the system allows one."""
    git_dir = coop.root / ".git"
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [git_dir, *git_dir.rglob("*")]}
        for path in modes:
            path.chmod(modes[path] & ~0o222)
        yield coop
        for path, mode in sorted(modes.items(), key=lambda m: len(m[0].parts), reverse=True):
            path.chmod(mode)
        git_dir.chmod(modes[git_dir])
        return
    mount = ["mount", "--bind", str(git_dir), str(git_dir)]
    if shutil.which("mount") is None or subprocess.run(mount, capture_output=True).returncode:
        pytest.skip("running as root, and no read-only bind mount is allowed here")
    try:
        remount = ["mount", "-o", "remount,ro,bind", str(git_dir)]
        if subprocess.run(remount, capture_output=True).returncode:
            pytest.skip("running as root, and no read-only bind mount is allowed here")
        yield coop
    finally:
        subprocess.run(["umount", str(git_dir)], check=True)


def test_a_read_only_git_folder(read_only_git: Coop) -> None:
    coop = read_only_git
    head = coop.git("rev-parse", "HEAD")

    result = coop.run("trade", "alice", "bob", "1")

    assert result.code == 3, result.text  # the environment, not the input
    assert "error: the system refused to write " in result.err
    assert ".git" in result.err and "Traceback" not in result.text
    assert coop.status() == "" and coop.git("rev-parse", "HEAD") == head


def test_a_full_disk_during_the_rollback_of_a_failed_write(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git fails, then the disk is full when the old text is put back: the user is told
    what the system said and to look at `git status`, without a traceback."""
    from coopledger.git import gitrepo
    from coopledger.storage import store

    with_trade(coop)
    head = coop.git("rev-parse", "HEAD")
    real_write = store.write_atomically
    writes: list[Path] = []

    def full_after_the_first(path: Path, text: str) -> None:
        writes.append(path)
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_write(path, text)

    def git_fails(*args: object, **kwargs: object) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(coop.root / ".git/index"))

    monkeypatch.setattr(store, "write_atomically", full_after_the_first)
    monkeypatch.setattr(gitrepo, "commit", git_fails)

    result = coop.run("trade", "alice", "bob", "1")

    assert result.code == 3, result.text  # the environment, not the input
    assert "journal/2026/11/25/alice.2026-11-25-" in result.err
    assert "No space left on device" in result.err
    assert "Traceback" not in result.text
    assert coop.git("rev-parse", "HEAD") == head
    monkeypatch.undo()  # the disk has room again: the next command puts the file back
    assert coop.run("check").code == 0
    assert coop.status() == ""


def test_a_hand_written_escape_sequence_is_shown_not_replayed(coop: Coop) -> None:
    """Refused in every write; one written by hand is a problem for `check`, and the
    terminal views show it escaped."""
    journal = with_trade(coop)
    committed(
        coop,
        "journal/2026/11/alice.beancount",
        journal.read_text().replace('"pain"', '"pain\x1b[2J"'),
    )

    result = coop.run("statement", "alice", "--from", "2026-11-01", "--to", "2026-11-30")

    assert "pain\\x1b[2J" in result.out
    assert "\x1b" not in result.text
