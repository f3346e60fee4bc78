"""Every write of the month leaves the snapshot current, and `report` after a close
needs no full read.

After `invoice`, `settle`, `import`, `clear --apply` or `reverse`, the next
`trade`, `balances`, `report` and `check` read the snapshot the write left
(`snapshot.after_change`), as after a `trade`, instead of reading the open
period again. That snapshot must say exactly what a read of the files says:
the tests compare it, field by field, with the one a read builds, and the
balances and problems with a full read (`Ledger(cache=False)`); a journal file
changed by hand afterwards must still send the next command to the files.

A copy of a closed cooperative (a fresh clone: none of the closes' cache) has
no report figures kept for its closed months: `report` computes them from the
closed months' own files (`closed_index`), not from a read of everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coopledger.cache import snapshot
from coopledger.git import gitrepo
from coopledger.ledger import FULL, OPEN_PERIOD, SNAPSHOT, Ledger, take_reads
from coopledger.model.accounts import member_account
from coopledger.model.months import Month
from coopledger.storage import store
from tests.conftest import Coop, cache_folder
from tests.test_calendar_writes import (
    closed,  # noqa: F401 - the fixture
    invoices_of,
    member_ids,
    open_invoice_of_a_closed_month,
    refuse_full_reads,
    two_trades_slip,
)

WRITES = {
    "invoice": ("invoice", "{0}", "{1}", "12.50", "--ref", "NOV-1", "--date", "2026-11-21"),
    "settle": ("settle", "{owed}", "--date", "2026-11-21", "--as", "{debtor}"),
    "import": ("import", "{slip}"),
    "clear-apply": ("clear", "--apply"),
    "reverse": ("reverse", "{trade}", "--date", "2026-11-22"),
}


def saved_state(root: Path) -> snapshot.Snapshot:
    key = gitrepo.committed_content_key(root, store.WRITTEN_PATHS)
    state = snapshot.load_valid(root, key)
    assert state is not None, "no valid snapshot"
    return state


def described(state: snapshot.Snapshot) -> dict[str, object]:
    """What a snapshot says of the books, whatever the way it was made."""
    cache = snapshot.cache_of(state.root)
    figures = state.monthly.figures_until(cache, Month(2026, 12)) if state.monthly else None
    return {
        "problems": sorted(p.key() for p in state.problems),
        "days": {m: dict(sorted(d.items())) for m, d in state.all_days().items() if d},
        "latest": {m: v for m, v in state.latest.items() if v},
        "ids": list(state.ids),
        "trades": state.trade_count,
        "last": state.last_date,
        "until": state.full_check_until,
        "coop": state.coop_days,
        "figures": figures,
        "carried": (state.carried_month, state.starts),
    }


def assert_the_next_commands_read_the_snapshot(coop: Coop) -> None:
    """`balances`, `report` and `check` answer from the snapshot, reading no journal."""
    for command in (("balances",), ("report",), ("check",)):
        said = coop.run(*command)
        assert said.code == 0, said.text
        assert "read: snapshot" in said.err, (command, said.err)
        assert "loaded:" not in said.err, (command, said.err)  # no journal read at all


def do_write(coop: Coop, name: str, tmp_path: Path) -> None:
    first, second = member_ids(coop)[:2]
    slip = two_trades_slip(tmp_path, first, second)
    owed = open_invoice_of_a_closed_month(coop.root)
    trade = ""
    if name == "reverse":
        made = coop.run("trade", first, second, "4", "-m", "to reverse", "--date", "2026-11-21")
        assert made.code == 0, made.text
        trade = Ledger(coop.root, cache=False).trades(None, "2026-11", "to reverse").items[0]
        trade = trade.trade_id or ""
    fields = {"slip": slip, "owed": owed.ref, "debtor": owed.debtor, "trade": trade}
    done = coop.run(*(a.format(first, second, **fields) for a in WRITES[name]))
    assert done.code == 0, done.text


@pytest.mark.parametrize("before", ["no snapshot", "a snapshot"])
@pytest.mark.parametrize("name", list(WRITES))
def test_the_command_after_a_write_reads_the_snapshot_it_left(
    closed: Coop,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    before: str,
) -> None:
    """Built whole from the books the write read, or (a snapshot valid before the
    write) the new entries added to that one."""
    first, second = member_ids(closed)[:2]
    assert closed.run("report").code == 0  # the closed months' figures, kept (a fresh clone)
    if before == "no snapshot":
        (cache_folder(closed) / "meta.json").unlink()
    key = gitrepo.committed_content_key(closed.root, store.WRITTEN_PATHS)
    assert (snapshot.load_valid(closed.root, key) is not None) == (before == "a snapshot")
    do_write(closed, name, tmp_path)
    reading = store.load
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    refuse_full_reads(monkeypatch)

    assert_the_next_commands_read_the_snapshot(closed)
    traded = closed.run("trade", first, second, "1", "-m", "after", "--date", "2026-11-23")
    assert traded.code == 0, traded.text
    assert "read: snapshot" in traded.err and "loaded:" not in traded.err, traded.err
    monkeypatch.setattr(store, "load", reading)  # from here, reads to compare with

    # the snapshot the write left (and the trade added to) says what a read says
    left = described(saved_state(closed.root))
    (cache_folder(closed) / "meta.json").unlink()
    by_months = left["carried"] != (None, None)  # planned on the open period, or on every month
    read = Ledger(closed.root).view(open_period=by_months)  # built from the files, saved
    assert read.route == (OPEN_PERIOD if by_months else FULL)
    assert described(saved_state(closed.root)) == left
    # and a full read agrees on every balance and problem
    full = Ledger(closed.root, cache=False).view()
    quick = Ledger(closed.root).view()
    members = member_ids(closed)
    assert {m: quick.balance(m) for m in members} == {m: full.balance(m) for m in members}
    assert sorted(p.key() for p in quick.problems) == sorted(p.key() for p in full.problems)


def test_apply_rules_leaves_the_snapshot_current_too(
    closed: Coop,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """November's contributions, written by `apply-rules` in the open period."""
    monkeypatch.setenv("COOPLEDGER_TODAY", "2026-12-02")  # November is over
    closed.append(
        "rules.yaml",
        "accounts: {treasury: Assets:Coop:Treasury}\ncontribution: {business: {amount: 1}}\n",
    )
    closed.commit_all("rules: a contribution")
    assert closed.run("report").code == 0  # the closed months' figures, kept (a fresh clone)
    assert closed.run("check").code == 0  # a snapshot of the new rules
    done = closed.run("apply-rules", "2026-11")
    assert done.code == 0, done.text
    assert "contribution" in closed.read("journal/2026/11/_rules.beancount")
    reading = store.load
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    refuse_full_reads(monkeypatch)

    assert_the_next_commands_read_the_snapshot(closed)
    monkeypatch.setattr(store, "load", reading)  # from here, reads to compare with
    members = member_ids(closed)
    full = Ledger(closed.root, cache=False).view()
    quick = Ledger(closed.root).view()
    assert quick.route == SNAPSHOT
    assert {m: quick.balance(m) for m in members} == {m: full.balance(m) for m in members}


def test_a_journal_file_changed_by_hand_after_a_write_is_read_again(
    closed: Coop,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = member_ids(closed)[:2]
    done = closed.run("invoice", first, second, "12.50", "--ref", "NOV-1", "--date", "2026-11-21")
    assert done.code == 0, done.text
    assert Ledger(closed.root).view().route == SNAPSHOT
    written = next(i for i in invoices_of(closed.root) if i.ref == "NOV-1").file
    assert written is not None
    path = closed.root / written
    text = path.read_text(encoding="utf-8")
    # the same size, the same second: one side of the invoice now says 92.50, unbalanced
    edited = text.replace(" 12.50 SEL", " 92.50 SEL", 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited, encoding="utf-8")
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    take_reads()

    checked = closed.run("check")

    assert "read: snapshot" not in checked.err, checked.err
    assert checked.code == 1, checked.text
    closed.commit_all("by hand")  # committed too: git's ids no longer vouch for the snapshot
    again = closed.run("check")
    assert "read: snapshot" not in again.err and again.code == 1, again.text


def test_report_after_a_close_in_a_fresh_clone_reads_no_closed_month_whole(
    closed: Coop,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The closes ran elsewhere: no report figures are kept for the closed months here."""
    assert not (cache_folder(closed) / "closed").exists()
    expected = closed.run("report", "--no-cache")
    reading = store.load
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    refuse_full_reads(monkeypatch)

    balances = closed.run("balances")  # the first command: saves the open period's snapshot
    report = closed.run("report")  # that snapshot has no closed month's figures: computed now
    again = closed.run("report", "2026-06")  # and kept

    assert balances.code == 0 and report.code == 0 and again.code == 0, report.text
    assert report.out == expected.out
    assert "read: open period" in report.err, report.err
    assert "read: snapshot" in again.err, again.err
    monkeypatch.setattr(store, "load", reading)
    assert again.out == closed.run("report", "2026-06", "--no-cache").out


def test_report_as_the_first_command_in_a_fresh_clone_reads_the_open_period(
    closed: Coop,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = closed.run("report", "--no-cache").out
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")
    refuse_full_reads(monkeypatch)

    report = closed.run("report")

    assert report.code == 0, report.text
    assert "read: open period" in report.err, report.err
    assert report.out == expected


def test_a_write_the_snapshot_cannot_vouch_for_leaves_none(
    closed: Coop,  # noqa: F811 - the fixture
) -> None:
    """What a write's text changes besides appending plain transactions is left to a
    read: an old entry rewritten in place, an amount beancount must fill in,
    another file than a journal file, another entry than a transaction."""
    stamps = snapshot.input_stamps(closed.root)
    coop = store.load_open_period(closed.root)
    assert stamps is not None and coop is not None
    path = next(
        str(Path(str(e.meta["filename"])).relative_to(closed.root))
        for e in coop.entries
        if "journal/2026/11/" in str((e.meta or {}).get("filename"))
    )
    old = closed.read(path)
    first, second = member_ids(closed)[:2]
    plain = (
        f'\n2026-11-21 * "more"\n  {member_account(first)}  -1.00 SEL\n'
        f"  {member_account(second)}  1.00 SEL\n"
    )
    amounts = [line for line in old.splitlines() if line.rstrip().endswith(" SEL")]
    rewritten = old.replace(amounts[0], amounts[0].replace(" SEL", "0 SEL").replace(".", "", 1))
    elided = plain.replace("  1.00 SEL\n", "\n")
    cases = {
        "rewritten in place": {path: rewritten + plain},
        "elided amount": {path: old + elided},
        "members.yaml": {path: old + plain, "members.yaml": closed.read("members.yaml")},
        "not a transaction": {path: old + '\n2026-11-21 note Assets:Members:X "x"\n'},
    }
    key = gitrepo.committed_content_key(closed.root, store.WRITTEN_PATHS)
    built, _ = snapshot.after_change(coop, stamps, {path: old + plain}, key)  # what it can
    view = Ledger(closed.root, cache=False).view()
    assert built.balance(first) == view.balance(first) - 1
    assert built.balance(second) == view.balance(second) + 1
    for name, files in cases.items():
        with pytest.raises(snapshot.NeedsFullCheck):
            snapshot.after_change(coop, stamps, files, key)
        assert name
