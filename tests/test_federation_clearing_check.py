"""`partner check` compares the entries of a clearing among groups too: the same
clearing id on both sides, the amounts after the rate, none missing, extra or
edited (docs/federation.md). Three real repositories side by side, made as in
tests/test_federation.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Builds, Coop
from tests.test_federation import THREE, make_three

PARTNERS_FILE = "journal/2026/11/_partners.beancount"


@pytest.fixture
def cleared(builds: Builds, capsys: pytest.CaptureFixture[str]) -> tuple[Coop, Coop, Coop]:
    """sel-a owes sel-b 40 GRAIN, sel-b owes sel-c 60 PIGNE (30 GRAIN), sel-c owes
    sel-a 50 HEURE: synced, then 30 GRAIN cleared round the cycle and written (made
    once, then each test has the groups as made, in the same place: `Builds.placed`)."""

    def make(folder: Path) -> None:
        a, b, c = make_three(folder, capsys)
        assert a.run("trade", "alice", "sel-b/zoe", "40", "--as", "alice").code == 0
        assert b.run("trade", "zoe", "sel-c/carl", "60", "--as", "zoe").code == 0
        assert c.run("trade", "carl", "sel-a/arno", "50", "--as", "carl").code == 0
        for here, partner in ((b, "sel-a"), (c, "sel-b"), (a, "sel-c")):
            assert here.run("partner", "sync", partner).code == 0
        written = a.run("federation", "clear", *(str(x.root) for x in (a, b, c)), "--write")
        assert written.code == 0, written.text

    folder = builds.placed("federation-cleared", make)
    a, b, c = (Coop(folder / name, capsys) for name in THREE)
    return a, b, c


def test_books_agree_after_a_clearing(cleared: tuple[Coop, Coop, Coop]) -> None:
    a, b, c = cleared
    for here, partner in ((a, "sel-b"), (b, "sel-a"), (b, "sel-c"), (c, "sel-a")):
        checked = here.run("partner", "check", partner)
        assert checked.code == 0, checked.text
        assert "the books agree" in checked.out


def test_a_clearing_entry_edited_by_hand_is_caught(cleared: tuple[Coop, Coop, Coop]) -> None:
    a, b, _ = cleared
    # sel-b's leg on sel-a's account: 60.00 PIGNE (30 GRAIN at 2) becomes 70.00
    text = b.read(PARTNERS_FILE)
    clearing = text.index("federation: ")
    legs = text[clearing:]
    assert "Assets:Partners:Sel-a   60.00 PIGNE" in legs
    legs = legs.replace("Sel-a   60.00 PIGNE", "Sel-a   70.00 PIGNE")
    edited = text[:clearing] + legs.replace("Sel-c  -60.00 PIGNE", "Sel-c  -70.00 PIGNE")
    b.write(PARTNERS_FILE, edited)
    b.commit_all("a slip of the finger", email="tresa@sel-b.example.org")
    assert b.run("check").code == 0  # the book itself still balances
    for here, partner in ((b, "sel-a"), (a, "sel-b")):
        checked = here.run("partner", "check", partner)
        assert checked.code == 1, checked.text
        assert "clearing federation-2026-11-25 with" in checked.out
        assert "70.00" in checked.out and "disagree (1 problem(s))" in checked.out
    # both legs of sel-b's entry were changed, so that it still balances: sel-c sees it too
    assert b.run("partner", "check", "sel-c").code == 1


def test_a_clearing_entry_missing_on_one_side_is_caught(
    cleared: tuple[Coop, Coop, Coop],
) -> None:
    a, _, c = cleared
    text = c.read(PARTNERS_FILE)
    start = text.index('* "clearing among groups"')
    start = text.rindex("\n", 0, start) + 1
    c.write(PARTNERS_FILE, text[:start].rstrip("\n") + "\n")
    c.commit_all("the clearing entry lost", email="tresa@sel-c.example.org")
    checked = c.run("partner", "check", "sel-a")
    assert checked.code == 1, checked.text
    assert "clearing federation-2026-11-25 with sel-a is not in this book" in checked.out
    checked = a.run("partner", "check", "sel-c")
    assert checked.code == 1, checked.text
    assert "clearing federation-2026-11-25 with sel-c is not in the partner's book" in checked.out


def test_a_clearing_written_twice_is_caught(cleared: tuple[Coop, Coop, Coop]) -> None:
    a, _, _ = cleared
    text = a.read(PARTNERS_FILE)
    start = text.rindex("\n", 0, text.index('* "clearing among groups"')) + 1
    a.write(PARTNERS_FILE, text + "\n" + text[start:])
    a.commit_all("the clearing again", email="tresa@sel-a.example.org")
    checked = a.run("partner", "check", "sel-b")
    assert checked.code == 1, checked.text
    assert "clearing federation-2026-11-25 is written twice in this book" in checked.out
