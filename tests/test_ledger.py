"""`coopledger.ledger`: the books used from Python, without the command line.

books = Ledger.open(root)
done = books.record(TradeRequest("alice", "fournil", "40", day, "pain"))
books.view().balance("alice")          # Decimal("-40.00")
books.gate(since="HEAD~1")             # the pull-request gate's problems
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from coopledger.ledger import FULL, NO_CACHE, OPEN_PERIOD, SNAPSHOT, Ledger, TradeRequest, because
from coopledger.model.problems import CoopError
from tests.conftest import Coop

DAY = datetime.date(2026, 11, 20)


def test_record_a_trade_then_read_the_balances(coop: Coop) -> None:
    books = Ledger.open(coop.root)

    done = books.record(TradeRequest("alice", "fournil", "40", DAY, "pain, novembre"))

    assert done.trade.payer == "alice" and done.trade.amount == Decimal("40.00")
    assert done.trade.file == f"journal/2026/11/{DAY.day:02d}/alice.{done.trade.trade_id}.beancount"
    assert done.trade.line == 1
    assert done.trade.file == coop.last_written()
    assert done.balances == {"alice": Decimal("-40.00"), "fournil": Decimal("40.00")}
    assert done.warnings == ()
    assert coop.git("rev-parse", "HEAD").strip() == done.sha
    assert coop.log()[0] == "trade: alice → fournil 40.00 SEL — pain, novembre"
    view = Ledger.open(coop.root).view()
    assert view.balance("alice") == Decimal("-40.00")
    assert view.balance("fournil", DAY - datetime.timedelta(days=1)) == Decimal(0)
    assert view.errors == []


def test_open_finds_the_cooperative_from_a_folder_inside_it(coop: Coop) -> None:
    assert Ledger.open(coop.root / "journal").root == coop.root


def test_open_refuses_a_folder_that_is_no_cooperative(tmp_path) -> None:
    with pytest.raises(CoopError) as refused:
        Ledger.open(tmp_path)
    assert refused.value.code == "not-a-cooperative"


def test_a_refused_trade_is_a_coop_error_and_writes_nothing(coop: Coop) -> None:
    before = coop.log()

    with pytest.raises(CoopError) as refused:
        Ledger.open(coop.root).record(TradeRequest("alice", "bob", "500.01", DAY))

    assert refused.value.code == "trade-refused"
    assert [p.code for p in refused.value.problems] == ["below-floor"]
    assert coop.log() == before and coop.status() == ""


def test_the_view_says_which_route_served_and_why_a_faster_was_skipped(coop: Coop) -> None:
    first = Ledger.open(coop.root).view()  # nothing saved yet: the snapshot is missing
    assert first.route in (OPEN_PERIOD, FULL) and first.reason

    again = Ledger.open(coop.root).view()  # the first read saved one

    assert (again.route, again.reason) == (SNAPSHOT, None)
    full = Ledger.open(coop.root, cache=False).view()
    assert (full.route, full.reason) == (FULL, because(NO_CACHE))


def test_gate_judges_a_change_by_its_author(coop: Coop) -> None:
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("config", "user.email", "alice@example.org")
    coop.git("config", "user.name", "Alice")
    Ledger.open(coop.root).record(TradeRequest("bob", "alice", "10", DAY))  # alice signs

    problems = Ledger.open(coop.root).gate(rev=f"{base}..HEAD")

    assert [p.code for p in problems if p.is_error] == ["gate-not-payer"]


def test_gate_of_a_change_its_payer_made_has_no_problem(coop: Coop) -> None:
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("config", "user.email", "alice@example.org")
    Ledger.open(coop.root).record(TradeRequest("alice", "bob", "10", DAY))

    assert Ledger.open(coop.root).gate(since=base) == []


def test_gate_needs_a_change_to_judge(coop: Coop) -> None:
    with pytest.raises(CoopError) as refused:
        Ledger.open(coop.root).gate()
    assert refused.value.code == "gate-options"


def test_verbose_says_how_the_books_were_read(coop: Coop) -> None:
    result = coop.run("--verbose", "balances", "--no-cache")

    assert result.code == 0, result.text
    assert "read: full (no cache asked)" in result.err
    assert "read:" not in coop.run("balances").err


def test_report_of_a_month_from_the_full_load_then_the_snapshot(coop: Coop) -> None:
    from coopledger.model.months import Month

    Ledger.open(coop.root).record(TradeRequest("alice", "fournil", "40", DAY))
    november = Month.parse("2026-11")

    cold = Ledger.open(coop.root, cache=False).report(november)
    warm = Ledger.open(coop.root).report(november)

    assert (cold.route, cold.reason) == (FULL, because(NO_CACHE))
    assert warm.route == SNAPSHOT and not warm.has_errors
    assert warm.report == cold.report


def test_close_a_month_then_reverse_a_trade(coop: Coop) -> None:
    books = Ledger.open(coop.root)
    done = books.record(TradeRequest("alice", "fournil", "40", datetime.date(2026, 10, 5)))

    closed = books.close("2026-10")
    reversed_ = books.reverse(done.trade.trade_id or "", DAY)

    assert closed.sha and closed.value >= 1 and closed.warnings == ()
    assert coop.log()[1] == "close: 2026-10"
    assert reversed_.value.trade.payer == "fournil" and reversed_.sha
    assert reversed_.value.reversed_id == done.trade.trade_id
    assert Ledger.open(coop.root).view().balance("alice") == Decimal(0)


def test_a_write_refused_is_a_coop_error_and_commits_nothing(coop: Coop) -> None:
    before = coop.log()

    with pytest.raises(CoopError) as refused:
        Ledger.open(coop.root).reverse("no-such-trade", DAY)

    assert refused.value.code == "unknown-trade"
    assert coop.log() == before and coop.status() == ""
