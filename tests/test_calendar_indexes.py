"""Statements and exports on the treasurer's calendar: the closed months read only when asked.

Once months are closed, `statement` and `export trades` answer from the open
period and the closed months the period needs (`coopledger.cache.closed_index`: each
closed month's transactions kept by its close's folder fingerprint). Whatever
they print must be exactly what a full read prints: each test here compares the
two, for every member and many periods, and fails if the index were wrong.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from beancount.core.data import Directive
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger.cache import closed_index
from coopledger.ledger import (
    CLOSED_MONTH_NOT_ALONE,
    FULL,
    OPEN_PERIOD,
    OPEN_PERIOD_NOT_ALONE,
    SNAPSHOT,
    Ledger,
)
from coopledger.model.journal import trades_of
from coopledger.plans import csvio
from coopledger.reporting.reports import statement
from coopledger.storage import store
from tests.conftest import Builds, Coop, cache_folder

FIRST_DAY = datetime.date(2026, 5, 1)  # the demo's first month
LAST_DAY = datetime.date(2026, 11, 30)
QUICK = (SNAPSHOT, OPEN_PERIOD)  # the routes that read no closed month whole


def refuse_full_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, reading the whole journal fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the whole journal was read")

    monkeypatch.setattr(store, "load", refuse)


def member_ids(coop: Coop) -> list[str]:
    text = coop.read("members.yaml")
    return [line.split(": ")[1] for line in text.splitlines() if line.startswith("  - id: ")]


@pytest.fixture
def calendar(builds: Builds, coop: Coop) -> Coop:
    """A demo cooperative (May to November 2026, invoices too) with May to October
    closed, then trades, an invoice and its settlement in the open November (built
    once, then copied with its cache folder: `Builds.made`)."""
    return builds.made("calendar-demo", coop, make_calendar)


@pytest.fixture
def full_read(calendar: Coop) -> list[Directive]:
    """The calendar's entries as a full read gives them, read once for a test: the
    properties below draw many examples and none of them writes."""
    return store.load(calendar.root).entries


def make_calendar(coop: Coop, target: Path) -> None:
    made = coop.run(
        "demo", str(target), "--members", "12", "--months", "7", "--trades", "400",
        "--invoices", "20", "--until", "2026-11-20",
    )  # fmt: skip
    assert made.code == 0, made.text
    demo = Coop(target, coop.capsys)
    closed = demo.run("close", "2026-10", "--with-earlier")
    assert closed.code == 0, closed.text
    first, second, third = member_ids(demo)[1:4]
    for args in (
        ("trade", first, second, "3", "--date", "2026-11-21"),
        ("trade", second, third, "2.50", "--date", "2026-11-22"),
        ("invoice", first, third, "7", "--ref", "CAL-1", "--date", "2026-11-23"),
        ("settle", "CAL-1", "4", "--date", "2026-11-24", "--as", "claire"),
    ):
        done = demo.run(*args)
        assert done.code == 0, done.text


def full_statement(root: Path, member: str, first: datetime.date | None, last: datetime.date):  # type: ignore[no-untyped-def]
    return statement(store.load(root).entries, member, first, last, str(root))


days = st.dates(datetime.date(2026, 4, 20), datetime.date(2026, 12, 10))


def random_periods(test: Callable[..., None]) -> Callable[..., None]:
    """25 periods drawn: from `first` (None: the first day) for `span` days (None: on)."""
    drawn = given(first=st.none() | days, span=st.none() | st.integers(0, 250))(test)
    suppressed = [HealthCheck.function_scoped_fixture]
    return settings(max_examples=25, deadline=None, suppress_health_check=suppressed)(drawn)  # type: ignore[no-any-return]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_statement_from_the_index_is_the_full_reads(
    calendar: Coop, full_read: list[Directive], data: st.DataObject
) -> None:
    root = calendar.root
    entries = full_read
    member = data.draw(st.sampled_from(member_ids(calendar)))
    first = data.draw(st.none() | days)
    last = data.draw(days.filter(lambda d: first is None or d >= first))

    found = Ledger(root).statement(member, first, last)

    assert found.route in QUICK, found.reason
    assert found.statement == statement(entries, member, first, last, str(root))


@pytest.mark.slow  # 264 statements (10 s); the property above draws 40 of them
def test_every_members_statement_over_every_month_is_the_full_reads(
    calendar: Coop, full_read: list[Directive]
) -> None:
    root = calendar.root
    entries = full_read
    periods: list[tuple[datetime.date | None, datetime.date]] = [(None, LAST_DAY)]
    for month in range(5, 12):
        start = datetime.date(2026, month, 1)
        end = datetime.date(2026, month + 1, 1) - datetime.timedelta(days=1)
        periods += [(start, end), (start, LAST_DAY), (start + datetime.timedelta(days=9), end)]
    for member in member_ids(calendar):
        for first, last in periods:
            found = Ledger(root).statement(member, first, last)
            expected = statement(entries, member, first, last, str(root))
            assert found.statement == expected, (member, first, last)
            assert found.route in QUICK


@random_periods
def test_exported_trades_from_the_index_are_the_full_reads(
    calendar: Coop, full_read: list[Directive], first: datetime.date | None, span: int | None
) -> None:
    root = calendar.root
    last = None if span is None else (first or FIRST_DAY) + datetime.timedelta(days=span)
    everything = list(trades_of(full_read))

    traded = Ledger(root).trades_between(first, last)

    assert traded.route in QUICK, traded.reason
    expected = csvio.trades_table(everything, 2, first, end=last)
    assert csvio.trades_table(traded.trades, 2, first, end=last) == expected


def test_statement_and_export_after_a_close_never_read_the_closed_months_whole(
    calendar: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = member_ids(calendar)[1]
    full_statement_text = calendar.run("statement", member, "--from", "2026-06-03", "--json").out
    full_export = calendar.run("export", "trades").out
    with monkeypatch.context() as patched:
        refuse_full_reads(patched)
        shown = calendar.run("statement", member, "--from", "2026-06-03", "--json")
        exported = calendar.run("export", "trades")
        october = calendar.run("export", "trades", "--from", "2026-10-01", "--to", "2026-10-31")

    assert shown.code == 0 and exported.code == 0 and october.code == 0, shown.text
    assert shown.out == full_statement_text
    assert exported.out == full_export
    assert october.out.count("\n") > 2
    assert set(october.out.splitlines()[1:]) <= set(full_export.splitlines())


def test_a_statement_of_a_closed_month_with_a_valid_snapshot_reads_no_open_file(
    calendar: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = member_ids(calendar)[1]
    october = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    expected = full_statement(calendar.root, member, *october)
    assert calendar.run("balances").code == 0  # a valid snapshot
    with monkeypatch.context() as patched:
        patched.setattr(store, "load_open_period", lambda *a, **k: pytest.fail("read"))
        found = Ledger(calendar.root).statement(member, *october)

    assert found.route == SNAPSHOT
    assert found.statement == expected


def test_the_verbose_route_names_the_open_period(
    calendar: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOPLEDGER_VERBOSE", "1")

    shown = calendar.run("statement", member_ids(calendar)[1])

    assert shown.code == 0, shown.text
    assert "read: snapshot" in shown.err or "read: open period" in shown.err
    assert "loaded: full" not in shown.err


def test_a_statement_asked_for_last_month_reads_only_last_month(
    calendar: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The balance before October comes from the last close less October's movements:
    the months before it are not parsed."""
    parsed: list[str] = []
    real = closed_index._parsed

    def counting(folder: Path, month: object) -> object:
        parsed.append(str(month))
        return real(folder, month)  # type: ignore[arg-type]

    monkeypatch.setattr(closed_index, "_parsed", counting)
    member = member_ids(calendar)[2]
    found = Ledger(calendar.root).statement(
        member, datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
    )
    again = Ledger(calendar.root).statement(
        member, datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
    )

    assert parsed == ["2026-10"]  # once: the second statement read the kept month
    expected = full_statement(
        calendar.root, member, datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
    )
    assert found.statement == again.statement == expected


def kept_file(coop: Coop, month: str) -> Path:
    return cache_folder(coop) / closed_index.INDEX_DIR / f"{month}.json"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda kept: b"not json",
        lambda kept: json.dumps({**json.loads(kept), "print": "0" * 64}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "format": "closed-index 0"}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "members": {"x": [10**9]}}).encode(),
    ],
    ids=["garbage", "another folder", "another format", "a row out of range"],
)
def test_a_kept_month_that_is_not_exactly_ours_is_parsed_again(calendar: Coop, spoil) -> None:  # type: ignore[no-untyped-def]
    member = member_ids(calendar)[1]
    october = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    Ledger(calendar.root).statement(member, *october)
    kept = kept_file(calendar, "2026-10")
    kept.write_bytes(spoil(kept.read_bytes()))

    found = Ledger(calendar.root).statement(member, *october)

    assert found.route in QUICK
    assert found.statement == full_statement(calendar.root, member, *october)


def test_a_forged_kept_row_would_show_so_the_comparison_can_fail(calendar: Coop) -> None:
    """The oracle bites: an amount changed in a kept row (same fingerprint) shows in
    the statement, so the comparisons above would catch a wrong index."""
    member = member_ids(calendar)[1]
    october = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    Ledger(calendar.root).statement(member, *october)
    kept = kept_file(calendar, "2026-10")
    saved = json.loads(kept.read_bytes())
    row = saved["rows"][saved["members"][member][0]]
    row[7][0][1] = str(-1 - abs(float(row[7][0][1])))
    kept.write_text(json.dumps(saved), encoding="utf-8")

    found = Ledger(calendar.root).statement(member, *october)

    assert found.statement != full_statement(calendar.root, member, *october)


def test_a_closed_month_a_plain_parse_cannot_complete_is_read_in_full(coop: Coop) -> None:
    """A hand-written entry whose amount beancount fills in: the month is not kept,
    and the statement reads everything, saying why."""
    assert coop.run("trade", "alice", "bob", "30", "--date", "2026-09-02").code == 0
    coop.append(
        "journal/2026/09/alice.beancount",
        '\n2026-09-03 * "by hand"\n  Assets:Members:Alice  -4.00 SEL\n  Assets:Members:Bob\n',
    )
    coop.commit_all()
    assert coop.run("check").code == 0
    assert coop.run("close", "2026-09", "--with-earlier").code == 0, "close"

    found = Ledger(coop.root).statement("alice", None, LAST_DAY)

    assert found.route == FULL
    assert found.reason is not None
    assert found.reason[-1].code in (OPEN_PERIOD_NOT_ALONE, CLOSED_MONTH_NOT_ALONE)
    assert found.statement == full_statement(coop.root, "alice", None, LAST_DAY)


@pytest.mark.parametrize("what", ["members", "balances"])
@pytest.mark.parametrize("day", [None, "2026-10-31", "2026-11-23"])
def test_exported_members_and_balances_come_from_the_snapshot_as_from_a_full_read(
    calendar: Coop, monkeypatch: pytest.MonkeyPatch, what: str, day: str | None
) -> None:
    from coopledger.reporting.balances import balance_rows

    full = store.load(calendar.root)
    assert full.rules is not None and full.roster is not None
    at = datetime.date.fromisoformat(day) if day else datetime.date(2026, 11, 25)
    if what == "members":
        expected = csvio.members_table(full.roster, full.rules, at)
    else:
        rows = balance_rows(full.history, full.roster, full.rules, at)
        expected = csvio.balances_table(rows, full.rules.decimals, at)
    asked = ("export", what, *(("--to", day) if day else ()))
    calendar.run(*asked)  # a first run may build the snapshot
    with monkeypatch.context() as patched:
        refuse_full_reads(patched)
        exported = calendar.run(*asked)

    assert exported.code == 0, exported.text
    assert exported.out == csvio.to_csv(expected)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda kept: b"[",
        lambda kept: json.dumps({**json.loads(kept), "print": "1" * 64}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "trades": [[1, 2, 3]]}).encode(),
        lambda kept: kept.replace(b'"2026-10-', b'"2026-13-', 1),
    ],
    ids=["garbage", "another folder", "a short row", "a wrong date"],
)
def test_kept_trades_that_are_not_exactly_ours_are_parsed_again(calendar: Coop, spoil) -> None:  # type: ignore[no-untyped-def]
    october = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    everything = list(trades_of(store.load(calendar.root).entries))
    expected = csvio.trades_table(everything, 2, *october)
    Ledger(calendar.root).trades_between(*october)
    kept = cache_folder(calendar) / closed_index.INDEX_DIR / "2026-10.trades.json"
    kept.write_bytes(spoil(kept.read_bytes()))

    traded = Ledger(calendar.root).trades_between(*october)

    assert traded.route in QUICK
    assert csvio.trades_table(traded.trades, 2, *october) == expected


def test_a_cache_folder_others_may_write_is_neither_read_nor_written(calendar: Coop) -> None:
    """A kept month in a folder other users may write could be anyone's: it is parsed again."""
    member = member_ids(calendar)[1]
    october = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    Ledger(calendar.root).statement(member, *october)
    kept = kept_file(calendar, "2026-10")
    saved = json.loads(kept.read_bytes())
    row = saved["rows"][saved["members"][member][0]]
    row[7][0][1] = "-999999.00"  # forged, with the right fingerprint
    kept.write_text(json.dumps(saved), encoding="utf-8")
    cache_folder(calendar).chmod(0o777)

    found = Ledger(calendar.root).statement(member, *october)

    assert found.statement == full_statement(calendar.root, member, *october)


@random_periods
def test_exported_csv_from_the_kept_records_is_the_full_reads(
    calendar: Coop, full_read: list[Directive], first: datetime.date | None, span: int | None
) -> None:
    """`export trades` as CSV writes the closed months from the records kept for
    them: byte for byte what the full read's table writes."""
    root = calendar.root
    last = None if span is None else (first or FIRST_DAY) + datetime.timedelta(days=span)
    everything = list(trades_of(full_read))
    expected = csvio.to_csv(csvio.trades_table(everything, 2, first, end=last))

    written = Ledger(root).export_csv("trades", first, last)

    assert written.route in QUICK, written.reason
    assert written.items.text == expected
    assert written.items.rows == expected.count("\n") - 1


@pytest.mark.parametrize(
    "spoil",
    [
        lambda kept: b"]",
        lambda kept: json.dumps({**json.loads(kept), "print": "2" * 64}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "form": "trades csv 3"}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "records": [["2026-09-01", "x\n"]]}).encode(),
        lambda kept: json.dumps({**json.loads(kept), "records": [[1, 2]]}).encode(),
    ],
    ids=["garbage", "another folder", "other decimals", "another month", "not text"],
)
def test_kept_records_that_are_not_exactly_ours_are_written_again(calendar: Coop, spoil) -> None:  # type: ignore[no-untyped-def]
    october = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    everything = list(trades_of(store.load(calendar.root).entries))
    expected = csvio.to_csv(csvio.trades_table(everything, 2, *october))
    Ledger(calendar.root).export_csv("trades", *october)
    kept = cache_folder(calendar) / closed_index.INDEX_DIR / "2026-10.records.json"
    kept.write_bytes(spoil(kept.read_bytes()))

    assert Ledger(calendar.root).export_csv("trades", *october).items.text == expected


OCTOBER = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))


def forged_october_record(calendar: Coop) -> str:
    """October's CSV export, honest; then one of its kept records forged (a field added)."""
    honest = Ledger(calendar.root).export_csv("trades", *OCTOBER).items.text
    kept = cache_folder(calendar) / closed_index.INDEX_DIR / "2026-10.records.json"
    saved = json.loads(kept.read_bytes())
    saved["records"][0][1] = saved["records"][0][1].replace(",", ",X", 1)
    kept.write_text(json.dumps(saved), encoding="utf-8")
    return honest


def test_a_forged_kept_record_would_show_so_the_comparisons_can_fail(calendar: Coop) -> None:
    honest = forged_october_record(calendar)

    assert Ledger(calendar.root).export_csv("trades", *OCTOBER).items.text != honest


def test_kept_records_in_a_folder_others_may_write_are_neither_read_nor_written(
    calendar: Coop,
) -> None:
    """A record forged in a cache folder anyone may write could be anyone's: the
    month is written from its files again, and the export is the honest one."""
    honest = forged_october_record(calendar)
    cache_folder(calendar).chmod(0o777)

    assert Ledger(calendar.root).export_csv("trades", *OCTOBER).items.text == honest
