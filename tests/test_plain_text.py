"""Plain text round trips: the file's own newline is kept, and what coopledger
writes is what bean-format writes, so bean-format leaves the journal unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from beancount.parser import parser

from coopledger.git import gitrepo
from coopledger.model import journal
from coopledger.plans import changes, corrections
from coopledger.storage import journal_text
from tests.conftest import Coop, bean_check

ROOT = Path(__file__).resolve().parents[1]
ALICE = "journal/2026/11/alice.beancount"

HAND_WRITTEN_CRLF = (
    '2026-11-02 * "pain"\r\n'
    "  Assets:Members:Alice    -100.00 SEL\r\n"
    "  Assets:Members:Fournil   100.00 SEL\r\n"
)


def bean_format_changes(files: list[Path]) -> list[str]:
    """The files (LF-normalised copies) that beancount's bean-format -i would change."""
    changed = []
    copies = []
    for number, file in enumerate(files):
        copy = file.with_name(f".{file.name}.{number}.fmt")
        copy.write_bytes(file.read_bytes().replace(b"\r\n", b"\n"))
        copies.append(copy)
    try:
        subprocess.run(
            [sys.executable, "-m", "beancount.scripts.format", "-i", *map(str, copies)],
            check=True,
            capture_output=True,
        )
        for file, copy in zip(files, copies, strict=True):
            if copy.read_bytes() != file.read_bytes().replace(b"\r\n", b"\n"):
                changed.append(str(file))
    finally:
        for copy in copies:
            copy.unlink()
    return changed


def journal_files(root: Path) -> list[Path]:
    return sorted((root / "journal").rglob("*.beancount"))


@pytest.fixture
def into_month_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trades and reversals appended to their payer's month file, as the first
    layout did (`journal.entry_path`): how one insertion into an existing file
    (a hand-written one, `_rules.beancount`...) keeps its lines and newline."""

    def month_file(day: object, owner: str, key: str) -> str:
        return journal.entry_path(day, owner)  # type: ignore[arg-type]

    monkeypatch.setattr(changes, "entry_file", month_file)
    monkeypatch.setattr(corrections, "entry_file", month_file)


def test_a_trade_keeps_the_crlf_of_a_hand_written_file(coop: Coop, into_month_files: None) -> None:
    (coop.root / ALICE).parent.mkdir(parents=True, exist_ok=True)
    (coop.root / ALICE).write_bytes(HAND_WRITTEN_CRLF.encode())
    coop.commit_all("a hand-written CRLF file")

    result = coop.run("trade", "alice", "fournil", "40", "--date", "2026-11-20")

    assert result.code == 0, result.text
    raw = (coop.root / ALICE).read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n") > 4
    assert raw.startswith(b'2026-11-02 * "pain"\r\n')
    assert bean_format_changes([coop.root / ALICE]) == []
    assert coop.status() == ""
    assert bean_check(coop.root).returncode == 0


def test_every_writer_keeps_crlf(coop: Coop, tmp_path: Path) -> None:
    (coop.root / ALICE).parent.mkdir(parents=True, exist_ok=True)
    (coop.root / ALICE).write_bytes(HAND_WRITTEN_CRLF.encode())
    coop.commit_all("a hand-written CRLF file")
    slips = tmp_path / "slips.csv"
    slips.write_text("date,payer,payee,amount,memo\n2026-11-03,alice,bob,12.50,pain\n")

    assert coop.run("import", str(slips)).code == 0
    assert (
        coop.run("invoice", "alice", "fournil", "120", "--ref", "F-1", "--date", "2026-11-04").code
        == 0
    )
    assert coop.run("trade", "alice", "fournil", "3", "--date", "2026-11-05").code == 0

    raw = (coop.root / ALICE).read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert bean_format_changes(journal_files(coop.root)) == []


def test_entries_take_the_column_of_the_file_as_bean_format_does(
    coop: Coop, into_month_files: None
) -> None:
    assert coop.run("trade", "alice", "fournil", "400", "--date", "2026-11-02").code == 0
    assert coop.run("trade", "alice", "bob", "4", "--date", "2026-11-03").code == 0
    assert coop.run("trade", "alice", "tresa", "0.5", "--date", "2026-11-04").code == 0
    trade_id = coop.read(ALICE).split('trade: "')[1].split('"')[0]
    assert coop.run("reverse", trade_id, "--date", "2026-11-06").code == 0

    assert bean_format_changes(journal_files(coop.root)) == []
    columns = {line.index(" SEL") for line in coop.read(ALICE).splitlines() if " SEL" in line}
    assert len(columns) == 1  # one column per file, as bean-format
    assert bean_check(coop.root).returncode == 0


def test_a_wider_entry_never_moves_the_lines_before_it(coop: Coop, into_month_files: None) -> None:
    """Two branches appending to one file merge (merge=union) only if neither
    rewrites the other's lines: a wider entry takes its own column."""
    assert coop.run("trade", "alice", "bob", "4", "--date", "2026-11-02").code == 0
    before = coop.read(ALICE)

    assert coop.run("trade", "alice", "fournil", "400", "--date", "2026-11-03").code == 0

    after = coop.read(ALICE)
    assert after.startswith(before + "\n")
    assert bean_format_changes([coop.root / ALICE]) == [str(coop.root / ALICE)]
    assert bean_format_text(after[len(before) + 1 :]) == after[len(before) + 1 :]


def test_the_root_demo_journal_is_left_unchanged_by_bean_format() -> None:
    assert bean_format_changes(journal_files(ROOT)) == []


def test_a_demo_is_left_unchanged_by_bean_format(coop: Coop, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    args = ("--members", "8", "--trades", "120", "--invoices", "5", "--seed", "3")
    assert coop.run("demo", str(target), *args).code == 0

    assert bean_format_changes(journal_files(target)) == []


def test_a_file_changed_under_us_is_not_overwritten(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, into_month_files: None
) -> None:
    assert coop.run("trade", "alice", "bob", "4", "--date", "2026-11-02").code == 0
    before = coop.log()
    meanwhile = coop.read(ALICE) + "; written by someone else meanwhile\n"
    ensure_visible = gitrepo.ensure_visible

    def someone_writes(repo: gitrepo.Repo, paths: list[str]) -> None:
        ensure_visible(repo, paths)  # after git saw a clean tree, before coopledger writes
        (coop.root / ALICE).write_text(meanwhile, encoding="utf-8")

    monkeypatch.setattr(gitrepo, "ensure_visible", someone_writes)

    result = coop.run("trade", "alice", "fournil", "5", "--date", "2026-11-20")

    assert result.code == 1
    assert "changed on disk while coopledger was writing to it" in result.err
    assert "run the command again" in result.err
    assert coop.read(ALICE) == meanwhile
    assert coop.log() == before


def test_a_new_file_made_under_us_is_not_overwritten(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trade's own file did not exist when it was planned: one that appears
    before the write (another program, a sync) is left as it is."""
    before = coop.log()
    ensure_visible = gitrepo.ensure_visible
    made: list[str] = []

    def someone_writes(repo: gitrepo.Repo, paths: list[str]) -> None:
        ensure_visible(repo, paths)
        made.extend(paths)
        coop.write(paths[0], "; someone else's\n")

    monkeypatch.setattr(gitrepo, "ensure_visible", someone_writes)

    result = coop.run("trade", "alice", "fournil", "5", "--date", "2026-11-20")

    assert result.code == 1
    assert "changed on disk while coopledger was writing to it" in result.err
    assert made[0].startswith("journal/2026/11/20/alice.")
    assert coop.read(made[0]) == "; someone else's\n"
    assert coop.log() == before


def test_an_insertion_keeps_the_old_lines_and_aligns_at_the_file_column() -> None:
    old = (
        "; hand-written\n"
        '2026-11-02 * "x"\n'
        "  Assets:Members:Alice  -4000.00 SEL ; a comment\n"
        "  Assets:Members:Bob     4000.00 SEL\n"
    )
    entry = '2026-11-03 * "y"\n  Assets:Members:Alice -1.00 SEL\n  Assets:Members:Bob 1.00 SEL\n'

    inserted = journal_text.insert_entries(old, [entry, entry])

    assert inserted.lines == (6, 10)
    assert inserted.text.startswith(old + "\n")
    assert inserted.text.splitlines()[5] == '2026-11-03 * "y"'
    assert inserted.text.splitlines()[6] == "  Assets:Members:Alice     -1.00 SEL"
    entries, errors, _ = parser.parse_string(inserted.text)
    assert not errors and len(entries) == 3
    assert [e.meta["lineno"] for e in entries] == [2, 6, 10]
    assert bean_format_text(inserted.text) == inserted.text


def test_a_file_bean_format_would_break_keeps_its_lines() -> None:
    old = "; a form feed\x0c in a comment\n"
    entry = '2026-11-03 * "y"\n  Assets:Members:Alice  -1.00 SEL\n  Assets:Members:Bob  1.00 SEL\n'

    text = journal_text.insert_entries(old, [entry]).text

    assert text.startswith(old + "\n")
    assert text.split() == (old + entry).split()


def bean_format_text(text: str) -> str:
    from beancount.scripts.format import align_beancount

    return str(align_beancount(text))
