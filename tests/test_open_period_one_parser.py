"""The open period read with one parser for all its files, on real cooperatives.

With one file per entry, the open month holds one file per trade, and
`store.load_open_period` parses them with one parser
(`coopledger.storage.journal_load`) instead of one each. These tests read the
same cooperative both ways (the other way: beancount's loader, as before) and
want the same entries and the same problems, each naming its file and line;
and, from a pull request's files that try to make a line count for another
file or to hide a directive, the same judgement as beancount's loader gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coopledger.storage import journal_load, store
from tests.conftest import Builds, Coop, copy_tree
from tests.test_gate_attacks import gate_on_a_fresh_clone, start_branch
from tests.test_one_file_per_entry import trades_in_october

NOVEMBER = "journal/2026/11"


@pytest.fixture
def open_month(builds: Builds, coop: Coop) -> Coop:
    """October closed; November open, with trades in files of their own (made once
    from a copy of `coop`, then copied with its cache folder: `Builds.made`)."""
    return builds.made("open-month", coop, make_open_month)


def make_open_month(start: Coop, folder: Path) -> None:
    copy_tree(start.root, folder)
    coop = Coop(folder, start.capsys)
    trades_in_october(coop)
    assert coop.run("close", "2026-10").code == 0
    for args in (
        ("alice", "bob", "3", "--date", "2026-11-02"),
        ("bob", "alice", "1.50", "--date", "2026-11-02"),
        ("fournil", "alice", "4", "--date", "2026-11-03"),
    ):
        assert coop.run("trade", *args).code == 0


def read_both_ways(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> tuple[store.Cooperative, store.Cooperative, list[str]]:
    """(with one parser, with beancount's loader, how the first read went)."""
    store.take_reads()
    shared = store.load_open_period(coop.root)
    reads = store.take_reads()
    with monkeypatch.context() as patched:
        patched.setattr(journal_load, "load_file", lambda top: None)
        alone = store.load_open_period(coop.root)
    assert shared is not None and alone is not None
    return shared, alone, reads


def places(coop: store.Cooperative) -> list[tuple[str, int]]:
    return [(e.meta["filename"], e.meta["lineno"]) for e in coop.entries]


def test_real_files_give_the_same_entries_and_problems_both_ways(
    open_month: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop = open_month
    coop.write(
        f"{NOVEMBER}/04/bob.by-hand.beancount",
        '2026-11-04 * "oops"\n  Assets:Members:Bob -1.00 SEL\n  nonsense here\n',
    )
    coop.write(
        f"{NOVEMBER}/05/alice.by-hand.beancount",
        '2026-11-05 * "unbalanced"\n'
        "  Assets:Members:Alice  -2.00 SEL\n  Assets:Members:Bob  1.00 SEL\n",
    )
    coop.write(
        f"{NOVEMBER}/06/alice.no-newline.beancount",
        '2026-11-06 * "x"\n  Assets:Members:Alice  -1.00 SEL\n  Assets:Members:Zoe  1.00 SEL',
    )

    shared, alone, reads = read_both_ways(coop, monkeypatch)

    assert reads == [store.OPEN_PERIOD_READ]  # the shared parser served
    assert shared.entries == alone.entries
    assert places(shared) == places(alone)
    assert shared.problems == alone.problems
    assert shared.options["include"] == alone.options["include"]
    found = {(p.file, p.line) for p in shared.problems}
    assert (f"{NOVEMBER}/04/bob.by-hand.beancount", 3) in found
    assert (f"{NOVEMBER}/05/alice.by-hand.beancount", 1) in found
    assert any(f == f"{NOVEMBER}/06/alice.no-newline.beancount" for f, _ in found)


def test_a_pushtag_in_a_one_entry_file_is_read_by_beancounts_loader(
    open_month: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that looks like one entry but pushes a tag: shared, the tag would
    reach the entries of the files after it. beancount's loader reads it."""
    coop = open_month
    coop.write(
        f"{NOVEMBER}/01/alice.tagged.beancount",
        'pushtag #pushed\n2026-11-01 * "tagged"\n  Assets:Members:Alice  -1.00 SEL\n'
        "  Assets:Members:Bob  1.00 SEL\n",
    )

    shared, alone, reads = read_both_ways(coop, monkeypatch)

    assert reads == [store.LOADER_READ, store.OPEN_PERIOD_READ]
    assert shared.entries == alone.entries and shared.problems == alone.problems
    tagged = [e.meta["filename"] for e in shared.entries if "pushed" in getattr(e, "tags", ())]
    assert [Path(name).name for name in tagged] == ["alice.tagged.beancount"]
    assert any("Unbalanced pushed tag" in str(p.params) for p in shared.problems)


def test_an_include_in_a_one_entry_file_is_named_with_its_line_and_not_echoed(
    open_month: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    coop = open_month
    coop.write(
        "docs/secret.beancount",
        '2026-11-10 * "secret"\n'
        "  Assets:Members:Bob  -300.00 SEL\n  Assets:Members:Alice  300.00 SEL\n",
    )
    coop.write(
        f"{NOVEMBER}/07/alice.x.beancount", '\ninclude "../../../../docs/secret.beancount"\n'
    )

    shared, alone, reads = read_both_ways(coop, monkeypatch)

    assert reads[0] == store.LOADER_READ
    assert shared.problems == alone.problems
    found = [(p.code, p.file, p.line) for p in shared.problems]
    assert ("loader-directive", f"{NOVEMBER}/07/alice.x.beancount", 2) in found
    assert ("loader-outside-journal", "docs/secret.beancount", None) in found
    assert not any("secret" in str(e.meta.get("filename")) for e in shared.entries)


def test_postings_in_a_file_of_their_own_are_not_added_to_anothers_transaction(
    open_month: Coop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request: one file ends on a transaction's first line, the next
    (in the loader's order) holds only bob's payment to alice. Read as one
    text, bob would pay 300; file by file, the postings are a syntax error of
    their own file, at their own line, and nobody pays."""
    coop = open_month
    base = start_branch(coop)
    coop.write(f"{NOVEMBER}/08/alice.a.beancount", '2026-11-08 * "gift"\n')
    coop.write(
        f"{NOVEMBER}/08/alice.b.beancount",
        "  Assets:Members:Bob    -300.00 SEL\n  Assets:Members:Alice   300.00 SEL\n",
    )
    coop.git("add", "-A")
    coop.git(
        "-c", "user.name=Alice Martin", "-c", "user.email=alice@example.org", "commit", "-qm", "x"
    )

    result = gate_on_a_fresh_clone(coop, base, tmp_path)
    shared, alone, _ = read_both_ways(coop, monkeypatch)

    assert result.code == 1, result.text
    assert f"{NOVEMBER}/08/alice.b.beancount:1: " in result.out, result.out
    assert shared.problems == alone.problems and shared.entries == alone.entries
    (gift,) = [e for e in shared.entries if getattr(e, "narration", "") == "gift"]
    assert gift.postings == []


def test_verbose_says_when_beancounts_loader_read_the_files(open_month: Coop) -> None:
    coop = open_month
    coop.write(
        f"{NOVEMBER}/01/alice.tagged.beancount",
        'pushtag #pushed\n2026-11-01 * "tagged"\n  Assets:Members:Alice  -1.00 SEL\n'
        "  Assets:Members:Bob  1.00 SEL\npoptag #pushed\n",
    )

    english = coop.run("--verbose", "check")
    french = coop.run("--lang", "fr", "--verbose", "check")

    assert "loaded: by beancount's loader, file by file" in english.err, english.text
    assert "par le chargeur de beancount, fichier par fichier" in french.err, french.text
    coop.git("rm", "-q", "--cached", "--ignore-unmatch", f"{NOVEMBER}/01/alice.tagged.beancount")
    (coop.root / NOVEMBER / "01" / "alice.tagged.beancount").unlink()
    assert "beancount's loader" not in coop.run("--verbose", "check").err
