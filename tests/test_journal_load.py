"""One parser for many journal files (`coopledger.storage.journal_load`) gives
exactly what beancount's loader gives, file by file, line by line.

The proof: random journal files, made of pieces that are valid, broken, or
hostile (an unfinished string or transaction at the end of a file, postings
without their transaction at the start of the next, no last newline, a lone
carriage return, bytes that are not UTF-8, `pushtag`, `option`, `include`...),
are loaded both ways; the entries (with every file name and line number of
theirs and of their postings), the errors and the options must be equal (but
the display context, which coopledger does not keep: see the module). When
a file holds a directive bound to its file, `load` must give up (None) and
the caller uses beancount's loader; when none does, it must not give up.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger.model.paths import relative
from coopledger.storage import journal_load

loader.initialize(use_cache=False)

PIECES = [
    b"2026-01-01 open Assets:A\n",
    b"2026-01-01 open Assets:B SEL\n",
    b'2026-11-02 * "trade" #tag ^link\n  trade: "2026-11-02-x"\n'
    b"  Assets:A  -1.00 SEL\n  Assets:B   1.00 SEL\n",
    b'2026-11-03 * "a transaction without its postings"\n',  # the next file's may follow
    b"  Assets:A  5 SEL\n  Assets:B  -5 SEL\n",  # postings without their transaction
    b'  key: "metadata without its entry"\n',
    b'2026-11-04 * "an unfinished string\n',
    b'"\n',
    b"this is not beancount\n",
    b'2026-11-05 * "unbalanced"\n  Assets:A  -1.00 SEL\n  Assets:B   2.00 SEL\n',
    b'2026-11-06 * "words of directives: include option plugin pushtag poptag"\n'
    b"  Assets:A  -1 SEL\n  Assets:B   1 SEL\n",
    b"; a comment\n",
    b"\n",
    b"2026-11-07 open Assets:C\r",  # beancount ends a line at a lone carriage return too
    b"2026-11-08 balance Assets:A  100 SEL\n",
    b"2026-11-09 open assets:lower\n",
    b"2026-11-10 price SEL 1.00 EUR\n",
    b'2026-11-11 custom "coop" "x" 2.5 SEL\n',
    b'2026-11-12 * "\xff\xfe not UTF-8"\n  Assets:A  -1 SEL\n  Assets:B  1 SEL\n',
    b"\xef\xbb\xbf2026-11-13 open Assets:D\n",  # a byte order mark
    b'2026-11-14 * "amounts"\n  Assets:A  -1.234 SEL\n  Assets:B  1,234.000 SEL\n',
    b'2026-11-15 txn "cost"\n  Assets:A  1 X {2 SEL}\n  Assets:B  -2 SEL\n',
    # booked by beancount, not by the quicker path for plain transactions
    b'2026-11-15 * "price"\n  Assets:A  1 X @ 2 SEL\n  Assets:B  -2 SEL\n',
    b'2026-11-15 * "auto"\n  Assets:A  -1.50 SEL\n  Assets:B\n',
    b'2026-11-15 * "two"\n  Assets:A  -1 SEL\n  Assets:B  1 EUR\n'
    b"  Assets:A  2.5 EUR\n  Assets:B  -2.5 SEL\n",
    b"2026-11-16 close Assets:C\n",
    b'2026-11-17 note Assets:A "a note"\n',
    b'2026-11-18 event "place" "here"\n',
    b"2026-11-19 commodity SEL\n  precision: 2\n",
    b"2026-11-20 pad Assets:A Assets:B\n",
    # directives bound to their file: one parser for all must give up
    b"pushtag #pushed\n",
    b"poptag #pushed\n",
    b'pushmeta where: "pushed"\n',
    b"popmeta where:\n",
    b'option "operating_currency" "EUR"\n',
    b'option "name_assets" "Actif"\n',
    b'include "elsewhere.beancount"\n',
    b'plugin "beancount.plugins.auto_accounts"\n',
    b"  pushtag #indented\n",
]
BOUND = re.compile(rb"\b(pushtag|poptag|pushmeta|popmeta|option|include|plugin)\b")
TOPS = [
    'option "operating_currency" "SEL"\n',
    'option "title" "test"\nplugin "beancount.plugins.auto_accounts"\n2026-01-01 open Assets:T\n',
    'option "name_assets" "Actif"\n2026-01-01 open Actif:T\n',
    "",
]
NAMES = ["01/a.beancount", "01/b.beancount", "02/a.x.beancount", "c.beancount", "z.beancount"]


def loaded_both_ways(
    folder: Path, top_text: str, files: dict[str, bytes], glob: str | None = None
) -> tuple[Any, Any]:
    """(beancount's loader, `journal_load.load_file`) on the same top file, which
    includes `files` one by one, or with the one include line `glob`."""
    names = []
    for name, content in sorted(files.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        names.append(os.path.normpath(path))
    top = folder / "top.beancount"
    includes = [f'include "{glob}"'] if glob else [f'include "{name}"' for name in names]
    top.write_text(top_text + "\n" + "\n".join(includes) + "\n", encoding="utf-8")
    return loader.load_file(str(top)), journal_load.load_file(str(top))


def comparable(loaded: Any) -> tuple[Any, ...]:
    entries, errors, options = loaded
    places = [
        (
            e.meta.get("filename"),
            e.meta.get("lineno"),
            *[(p.meta or {}).get("lineno") for p in getattr(e, "postings", [])],
        )
        for e in entries
    ]
    told = [
        (
            type(e).__name__,
            e.message,
            (e.source or {}).get("filename"),
            (e.source or {}).get("lineno"),
            e.entry,
        )
        for e in errors
    ]
    kept = {k: v for k, v in options.items() if k not in ("input_hash", "dcontext")}
    return entries, places, told, kept


def assert_same(expected: Any, found: Any) -> None:
    want, got = comparable(expected), comparable(found)
    assert got[1] == want[1]  # every entry and posting from the same file and line
    assert got[2] == want[2]  # every error, its file and its line
    assert got[0] == want[0]
    assert got[3] == want[3]


file_contents = st.lists(st.sampled_from(PIECES), max_size=6).map(b"".join)
journals = st.dictionaries(
    st.sampled_from(NAMES),
    st.tuples(file_contents, st.booleans()).map(lambda c: c[0].rstrip(b"\n") if c[1] else c[0]),
    min_size=1,
    max_size=5,
)


@pytest.mark.slow
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    top=st.sampled_from(TOPS),
    files=journals,
    glob=st.sampled_from([None, "*/**/*.beancount", "*/*.beancount", "[0-9]*/a*.beancount"]),
)
def test_one_parser_gives_what_beancounts_loader_gives(
    tmp_path_factory: pytest.TempPathFactory, top: str, files: dict[str, bytes], glob: str | None
) -> None:
    """Files included one by one (the open period's top file) or by a glob
    (main.beancount's `include "*/**/*.beancount"`)."""
    folder = tmp_path_factory.mktemp("journal")
    expected, found = loaded_both_ways(folder, top, files, glob)

    if any((e.source or {}).get("filename") == "<load>" for e in expected[1]):
        assert found is None  # a glob matching nothing, a file twice: the loader says it
        return
    if any(BOUND.search(content) for content in files.values()):
        if found is not None:  # a word in a narration: the grammar says it is no directive
            assert_same(expected, found)
        return
    assert found is not None
    assert_same(expected, found)


def test_quick_version_of_the_proof(tmp_path: Path) -> None:
    """A few fixed cases of the property above, for the quick suite."""
    cases = [
        {"a.beancount": PIECES[3], "b.beancount": PIECES[4]},
        {"a.beancount": PIECES[6], "b.beancount": PIECES[2]},
        {"a.beancount": PIECES[2].rstrip(b"\n"), "b.beancount": PIECES[2]},
        {"a.beancount": PIECES[13] + PIECES[8], "b.beancount": PIECES[18] + PIECES[9]},
        {"a.beancount": b"", "b.beancount": PIECES[0] + PIECES[10]},
        # plain transactions only (the quicker booking), then one beancount must book
        {"a.beancount": PIECES[20] + PIECES[2], "b.beancount": PIECES[9] + PIECES[4]},
        {"a.beancount": PIECES[20] + PIECES[2], "b.beancount": PIECES[24] + PIECES[23]},
    ]
    for number, files in enumerate(cases):
        folder = tmp_path / str(number)
        expected, found = loaded_both_ways(folder, TOPS[1], files)
        assert found is not None
        assert_same(expected, found)


# ------------------------------------------------------------ hostile files


def test_postings_in_the_next_file_are_not_given_to_an_unfinished_transaction(
    tmp_path: Path,
) -> None:
    """File a ends on a transaction's first line; file b holds only postings.
    Read as one text, b's postings would become a's (a payment nobody wrote)."""
    expected, found = loaded_both_ways(
        tmp_path,
        TOPS[0],
        {"a.beancount": PIECES[3], "b.beancount": b"  Assets:A  -500 SEL\n  Assets:B  500 SEL\n"},
    )

    assert found is not None
    assert_same(expected, found)
    (transaction,) = found[0]
    assert transaction.postings == []
    assert any(
        e.source["filename"] == str(tmp_path / "b.beancount") and e.source["lineno"] == 1
        for e in found[1]
    )


def test_an_unfinished_string_does_not_swallow_the_next_file(tmp_path: Path) -> None:
    expected, found = loaded_both_ways(
        tmp_path, TOPS[0], {"a.beancount": PIECES[6], "b.beancount": PIECES[2]}
    )

    assert found is not None
    assert_same(expected, found)
    assert [(e.meta["filename"], e.meta["lineno"]) for e in found[0]] == [
        (str(tmp_path / "b.beancount"), 1)
    ]


@pytest.mark.parametrize(
    "directive",
    [b"pushtag #pushed\n", b'pushmeta who: "pushed"\n', b'option "name_assets" "Actif"\n'],
)
def test_a_directive_bound_to_its_file_makes_the_shared_parser_give_up(
    tmp_path: Path, directive: bytes
) -> None:
    """A file looking like one entry but holding a pushtag (or an option): shared,
    it would reach the files after it. The shared parser gives up; the loader reads."""
    files = {"a.beancount": directive + PIECES[2], "b.beancount": PIECES[2]}
    expected, found = loaded_both_ways(tmp_path, TOPS[0], files)

    assert found is None
    later = [e for e in expected[0] if e.meta["filename"].endswith("b.beancount")]
    assert later and all("pushed" not in e.tags and "who" not in e.meta for e in later)


def test_an_include_in_a_journal_file_is_left_to_beancounts_loader(tmp_path: Path) -> None:
    secret = tmp_path / "outside.beancount"
    secret.write_text("2026-01-01 open Assets:Secret\n", encoding="utf-8")
    files = {"journal/a.beancount": f'include "{secret}"\n'.encode() + PIECES[2]}

    expected, found = loaded_both_ways(tmp_path, TOPS[0], files)

    assert found is None
    assert str(secret) in expected[2]["include"]  # what beancount's loader does with it


@pytest.mark.parametrize("kind", ["link", "folder", "fifo"])
def test_a_file_that_is_not_a_plain_file_is_left_to_beancounts_loader(
    tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "target.beancount"
    target.write_bytes(PIECES[0])
    odd = tmp_path / "odd.beancount"
    if kind == "link":
        odd.symlink_to(target)
    elif kind == "folder":
        odd.mkdir()
    else:
        os.mkfifo(odd)  # read by a parser that waited for a writer, the check would hang
    top = tmp_path / "top.beancount"
    top.write_text(f'{TOPS[0]}include "{target}"\ninclude "{odd}"\n', encoding="utf-8")

    assert journal_load.load_file(str(top)) is None


@pytest.mark.parametrize(
    "include",
    ["nothing-*.beancount", "missing.beancount", "a.beancount\ninclude a.beancount", "a.gpg"],
    ids=["a-glob-matching-nothing", "a-missing-file", "a-file-twice", "an-encrypted-file"],
)
def test_includes_the_loader_would_complain_about_are_left_to_it(
    tmp_path: Path, include: str
) -> None:
    (tmp_path / "a.beancount").write_bytes(PIECES[0])
    (tmp_path / "a.gpg").write_bytes(PIECES[0])
    top = tmp_path / "top.beancount"
    lines = "".join(f'include "{name}"\n' for name in include.split("\ninclude "))
    top.write_text(TOPS[0] + lines, encoding="utf-8")

    assert journal_load.load_file(str(top)) is None
    top.write_text(TOPS[0] + 'include "a.beancount"\n', encoding="utf-8")
    assert journal_load.load_file(str(top)) is not None


@pytest.mark.parametrize("name", ["missing.beancount", "$HOME.beancount", "folder"])
def test_a_top_file_the_loader_would_name_otherwise_is_left_to_it(
    tmp_path: Path, name: str
) -> None:
    """A missing top file (the loader says so), a `$` (it expands variables), a folder."""
    (tmp_path / "$HOME.beancount").write_bytes(PIECES[0])
    (tmp_path / "folder").mkdir()

    assert journal_load.load_file(str(tmp_path / name)) is None
    assert journal_load.load_file(str(tmp_path / "x" / ".." / "$HOME.beancount")) is None


def test_a_name_with_glob_characters_is_read_as_a_pattern_as_the_loader_does(
    tmp_path: Path,
) -> None:
    """`include "a[1].beancount"` names a.1... not itself, for beancount: the same here."""
    (tmp_path / "a[1].beancount").write_bytes(PIECES[0])
    (tmp_path / "a1.beancount").write_bytes(PIECES[1])
    top = tmp_path / "top.beancount"
    top.write_text(TOPS[0] + 'include "a[1].beancount"\n', encoding="utf-8")

    expected, found = loader.load_file(str(top)), journal_load.load_file(str(top))

    assert found is not None
    assert_same(expected, found)
    assert [Path(e.meta["filename"]).name for e in found[0]] == ["a1.beancount"]


# ------------------------------------------------------------ paths as problems show them


@given(
    root=st.sampled_from(
        ["/coop", "/coop/", "/", "/coop/journal", "coop", "/co/../coop", "//coop"]
    ),
    path=st.lists(
        st.sampled_from(["/", "a", ".", "..", "", ".h", "b.beancount", "journal", "coop"]),
        max_size=8,
    ).map(lambda parts: "/" + "/".join(parts) if parts else "/coop"),
)
def test_relative_cuts_only_what_relpath_would_give(root: str, path: str) -> None:
    """`relative` cuts a plain path under a plain root instead of computing it
    (one file per entry: as many paths as entries); always as relpath would."""
    assert relative(path, root) == os.path.relpath(path, root)
    assert relative("/coop/journal/2026/11/02/alice.x.beancount", "/coop") == (
        "journal/2026/11/02/alice.x.beancount"
    )


def test_the_cycle_collector_is_on_again_after_a_read_even_a_failed_one() -> None:
    import gc

    with journal_load.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), journal_load.collector_paused():
        raise RuntimeError("the read failed")
    assert gc.isenabled()
