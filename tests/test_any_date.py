"""Time is an input: the everyday commands work the same whatever day it is.

Every test runs on 2026-11-25 (conftest) unless it says otherwise; these run a
treasurer's everyday commands on the days that used to break the suite: the
1st of a month, a month's last day, a year's end, a leap day.

    coopledger --today 2026-12-01 trade alice bob 5
    COOPLEDGER_TODAY=2026-12-01 coopledger trade alice bob 5
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Coop

DAYS = ["2026-11-30", "2026-12-01", "2026-12-31", "2027-01-01", "2028-02-29"]


@pytest.mark.parametrize("day", DAYS)
def test_everyday_commands_on_any_day(
    coop: Coop, day: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOPLEDGER_TODAY", day)

    traded = coop.run("trade", "alice", "bob", "5", "--memo", "on any day")
    balances = coop.run("balances", "--json")
    report = coop.run("report", "--format", "json")
    checked = coop.run("check")

    assert traded.code == 0, traded.text
    year, month = day[:4], day[5:7]
    written = coop.last_written()  # a file of its own, in the folder of its day
    assert written.startswith(f"journal/{year}/{month}/{day[8:]}/alice.{day}-")
    assert coop.read(written).startswith(day)
    assert balances.code == 0 and report.code == 0 and checked.code == 0, checked.text
    shown = json.loads(balances.out)
    assert shown["at"] == day
    assert (shown["balances"]["alice"], shown["balances"]["bob"]) == ("-5.00", "5.00")
    assert coop.status() == ""


def test_the_global_option_wins_over_the_environment(coop: Coop) -> None:
    result = coop.run("--today", "2027-01-01", "trade", "alice", "bob", "5")

    assert result.code == 0, result.text
    assert coop.last_written().startswith("journal/2027/01/01/alice.2027-01-01-")


def test_a_today_that_is_not_a_date_is_refused(coop: Coop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOPLEDGER_TODAY", "tomorrow")

    result = coop.run("trade", "alice", "bob", "5")

    assert result.code == 1
    assert "COOPLEDGER_TODAY is 'tomorrow', which is not a date" in result.err
    assert "set it to a date written YYYY-MM-DD" in result.err
    assert coop.log()[0].startswith("member")  # nothing committed
