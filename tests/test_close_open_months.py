"""`close` after an earlier close reads only the open months.

The treasurer's monthly close (last month, with the months before it closed)
starts from what the last close carries (`store.load_open_period`), as `check`
does, instead of reading years of history: at a million trades that is the
difference between minutes and seconds (docs/performance.md). Whatever it
writes must be byte for byte what a close after a full read writes; anything
the open months cannot vouch for sends it back to the full read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coopledger.storage import store
from tests.conftest import Builds, Coop

OCTOBER_CLOSE = "journal/2026/10/close.beancount"


@pytest.fixture
def autumn(builds: Builds, coop: Coop) -> Coop:
    """`coop` after `four_months` (`Builds.after`)."""
    return builds.after("four-months", coop, four_months)


def four_months(coop: Coop) -> Coop:
    """Trades from August to November, an invoice and a settlement in October."""
    for args in (
        ("alice", "bob", "300", "--date", "2026-08-05"),
        ("alice", "fournil", "150", "--date", "2026-09-10"),
        ("bob", "fournil", "20", "--date", "2026-10-02"),
        ("fournil", "alice", "45.50", "--date", "2026-10-28"),
        ("bob", "alice", "7", "--date", "2026-11-03"),
    ):
        assert coop.run("trade", *args).code == 0
    invoice = ("invoice", "bob", "alice", "80", "--ref", "F-1", "--date", "2026-10-03")
    assert coop.run(*invoice).code == 0
    return coop


def written_by_close(coop: Coop, *args: str) -> dict[str, str]:
    """What the close commits: the tree of its commit, and the text of each file
    it adds or changes (files gathered into one are removed)."""
    result = coop.run("close", *args)
    assert result.code == 0, result.text
    lines = coop.git("diff", "--name-status", "HEAD~1", "HEAD").splitlines()
    written = {
        name: coop.git("show", f"HEAD:{name}")
        for status, name in (line.split("\t", 1) for line in lines)
        if status != "D"
    }
    return {"tree": coop.git("rev-parse", "HEAD^{tree}"), **written}


@pytest.fixture
def full_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the full reads (`store.load`)."""
    calls: list[int] = []
    full = store.load

    def counted(root):  # type: ignore[no-untyped-def]
        calls.append(1)
        return full(root)

    monkeypatch.setattr(store, "load", counted)
    yield calls


@pytest.mark.parametrize(
    ("closed_first", "closing"),
    [
        (("2026-09", "--with-earlier"), ("2026-10",)),  # the monthly close
        (("2026-08",), ("2026-10", "--with-earlier")),  # catching up two months
    ],
)
def test_a_close_after_a_close_reads_the_open_months_and_writes_what_a_full_read_writes(
    coop: Coop,
    monkeypatch: pytest.MonkeyPatch,
    full_reads: list[int],
    closed_first: tuple[str, ...],
    closing: tuple[str, ...],
) -> None:
    four_months(coop)
    assert coop.run("close", *closed_first).code == 0
    monkeypatch.setattr(store, "load_open_period", lambda root, tree_is_clean=False: None)
    full_reads.clear()
    by_full_read = written_by_close(coop, *closing)
    assert full_reads == [1]
    coop.git("reset", "-q", "--hard", "HEAD~1")
    monkeypatch.undo()
    monkeypatch.setattr(store, "load", _no_full_read)

    by_open_months = written_by_close(coop, *closing)

    assert by_open_months == by_full_read
    assert OCTOBER_CLOSE in by_open_months
    assert "  trades: 4\n" in by_open_months[OCTOBER_CLOSE]
    assert coop.status() == ""
    monkeypatch.undo()
    assert coop.run("check", "--full").code == 0


def _no_full_read(root: object) -> None:
    raise AssertionError("the close read everything")


def test_a_month_before_the_carried_ones_is_refused_as_closed(autumn: Coop) -> None:
    coop = autumn
    assert coop.run("close", "2026-09", "--with-earlier").code == 0
    head = coop.git("rev-parse", "HEAD")

    result = coop.run("close", "2026-08")

    assert result.code == 1
    assert "2026-08" in result.text and "already closed" in result.text
    assert coop.git("rev-parse", "HEAD") == head and coop.status() == ""


def test_a_closed_month_edited_since_sends_the_close_back_to_the_full_read(
    autumn: Coop, full_reads: list[int]
) -> None:
    coop = autumn
    assert coop.run("close", "2026-09", "--with-earlier").code == 0
    gathered = "journal/2026/09/_month.beancount"
    coop.write(gathered, coop.read(gathered).replace("150.00 SEL", "15.00 SEL"))
    coop.commit_all("an edit of a closed month")
    head = coop.git("rev-parse", "HEAD")
    full_reads.clear()

    result = coop.run("close", "2026-10")

    assert result.code == 1
    assert full_reads == [1]  # the edited folder cannot be carried: everything read
    assert "journal/2026/09/close.beancount" in result.text  # its balances no longer hold
    assert coop.git("rev-parse", "HEAD") == head
    assert not (coop.root / OCTOBER_CLOSE).exists()
