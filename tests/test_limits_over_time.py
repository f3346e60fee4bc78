"""Limits that change from a date: `coopledger member limit`, and `check` judging every
trade by the limit in force on its date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from coopledger.model.timeline import BEGINNING, Timeline
from coopledger.plans.changes import limit_from
from tests.conftest import Coop

JOINED = datetime.date(2024, 1, 1)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# ---------------------------------------------------------------- the timeline


def test_a_first_own_limit_holds_from_its_date_and_the_kind_s_before() -> None:
    assert limit_from(None, JOINED, day("2025-04-01"), Decimal(-400)) == Timeline(
        ((day("2025-04-01"), Decimal(-400)),)
    )


def test_a_constant_limit_is_dated_from_the_joining_day() -> None:
    result = limit_from(
        Timeline.constant(Decimal(-2000)), JOINED, day("2025-06-01"), Decimal(-1000)
    )
    assert result.changes == ((JOINED, Decimal(-2000)), (day("2025-06-01"), Decimal(-1000)))


def test_a_limit_from_the_joining_day_replaces_the_past_but_keeps_later_changes() -> None:
    timeline = Timeline(((JOINED, Decimal(-500)), (day("2026-01-01"), Decimal(-700))))
    result = limit_from(timeline, JOINED, JOINED, Decimal(-600))
    assert result.changes == ((BEGINNING, Decimal(-600)), (day("2026-01-01"), Decimal(-700)))


def test_a_change_on_an_existing_date_replaces_it() -> None:
    timeline = Timeline(((JOINED, Decimal(-500)), (day("2026-01-01"), Decimal(-700))))
    result = limit_from(timeline, JOINED, day("2026-01-01"), Decimal(-800))
    assert result.changes == ((JOINED, Decimal(-500)), (day("2026-01-01"), Decimal(-800)))


# ---------------------------------------------------------------- member limit


def test_member_limit_records_a_dated_change(coop: Coop) -> None:
    result = coop.run("member", "limit", "alice", "--floor", "-600", "--from", "2026-12-01")

    assert result.code == 0, result.text
    assert "limit alice floor -600.00 from 2026-12-01" in result.out
    assert "floor    the kind's default, -600.00 from 2026-12-01" in result.out
    assert coop.log()[0] == "member: limit alice floor -600.00 from 2026-12-01"
    assert "    floor: {2026-12-01: -600.00}\n" in coop.read("members.yaml")
    assert coop.status() == ""
    # before the date the kind's floor of -500 holds, from it the new one
    refused = coop.run("trade", "alice", "bob", "550", "--date", "2026-11-21")
    assert refused.code == 1
    assert "below its floor of -500.00 SEL" in refused.err
    assert coop.run("trade", "alice", "bob", "550", "--date", "2026-12-02").code == 0


def test_member_limit_keeps_the_history_of_an_own_limit(coop: Coop) -> None:
    result = coop.run(
        "member",
        "limit",
        "fournil",
        "--floor",
        "-1000",
        "--ceiling",
        "6000",
        "--from",
        "2025-06-01",
    )

    assert result.code == 0, result.text
    assert coop.log()[0] == "member: limit fournil floor -1000.00, ceiling 6000.00 from 2025-06-01"
    members = coop.read("members.yaml")
    assert "    floor: {2024-01-01: -2000.00, 2025-06-01: -1000.00}\n" in members
    assert "    ceiling: {2024-01-01: 5000.00, 2025-06-01: 6000.00}\n" in members
    assert coop.run("check").code == 0


def test_a_limit_tightened_after_trades_that_now_break_it_leaves_them_valid(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "450", "--date", "2025-03-01").code == 0

    result = coop.run("member", "limit", "alice", "--floor", "-400", "--from", "2025-04-01")

    assert result.code == 0, result.text
    check = coop.run("check")
    assert check.code == 0, check.text  # the trade of 2025-03-01 was within -500 then
    refused = coop.run("trade", "alice", "bob", "1", "--date", "2025-04-02")
    assert refused.code == 1
    assert (
        "alice's balance would be -451.00 SEL at the end of 2025-04-02, "
        "below its floor of -400.00 SEL" in refused.err
    )
    assert coop.run("trade", "bob", "alice", "10", "--date", "2025-04-03").code == 0


def test_a_limit_that_a_recorded_later_trade_breaks_is_refused(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "450", "--date", "2025-05-01").code == 0
    before = coop.read("members.yaml")

    result = coop.run("member", "limit", "alice", "--floor", "-400", "--from", "2025-04-01")

    assert result.code == 1
    assert "error: the change is refused: it would break the rules below" in result.err
    assert "alice's balance would be -450.00 SEL at the end of 2025-05-01" in result.err
    assert "below its floor of -400.00 SEL" in result.err
    assert coop.read("members.yaml") == before
    assert coop.status() == ""


def test_a_lower_ceiling_from_a_date(coop: Coop) -> None:
    assert coop.run("member", "limit", "bob", "--ceiling", "100", "--from", "2025-01-01").code == 0

    result = coop.run("trade", "alice", "bob", "150", "--date", "2025-01-02")

    assert result.code == 1
    assert (
        "bob's balance would be 150.00 SEL at the end of 2025-01-02, above its ceiling of "
        "100.00 SEL" in result.err
    )


# ---------------------------------------------------------------- check, by date


def test_check_judges_each_hand_written_trade_by_the_limit_of_its_date(coop: Coop) -> None:
    assert coop.run("member", "limit", "alice", "--floor", "-600", "--from", "2025-03-01").code == 0
    coop.write(
        "journal/2025/02/alice.beancount",
        '2025-02-01 * "avant"\n'
        "  Assets:Members:Alice  -450.00 SEL\n"
        "  Assets:Members:Bob     450.00 SEL\n"
        "\n"
        '2025-02-10 * "encore"\n'
        "  Assets:Members:Alice   -60.00 SEL\n"
        "  Assets:Members:Bob      60.00 SEL\n",
    )
    coop.write(
        "journal/2025/03/alice.beancount",
        '2025-03-05 * "après"\n'
        "  Assets:Members:Alice   -40.00 SEL\n"
        "  Assets:Members:Bob      40.00 SEL\n",
    )
    coop.commit_all()

    result = coop.run("check")

    assert result.code == 1
    assert result.out.splitlines() == [
        "journal/2025/02/alice.beancount:5: error: alice's balance would be -510.00 SEL at the "
        "end of 2025-02-10, below its floor of -500.00 SEL; lower the amount, or raise the "
        "floor in members.yaml",
        "1 error, 0 warnings",
    ]  # -550.00 on 2025-03-05 is within the floor of -600 then: not reported


def test_kind_defaults_that_change_over_time(coop: Coop) -> None:
    coop.write(
        "rules.yaml",
        coop.read("rules.yaml").replace(
            "    floor: -500\n", "    floor: {2024-01-01: -500, 2025-06-01: -300}\n"
        ),
    )
    coop.commit_all()
    assert coop.run("trade", "alice", "bob", "450", "--date", "2025-05-01").code == 0

    assert coop.run("check").code == 0
    refused = coop.run("trade", "bob", "alice", "1", "--date", "2025-06-02")
    assert refused.code == 0  # receiving is always allowed
    refused = coop.run("trade", "alice", "bob", "1", "--date", "2025-06-03")
    assert refused.code == 1
    assert "below its floor of -300.00 SEL" in refused.err


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("alice", "--from", "2025-01-01"), "no limit given for 'alice'"),
        (
            ("alice", "--floor", "200", "--ceiling", "100", "--from", "2025-01-01"),
            "'alice' would have a floor of 200.00 SEL above its ceiling of 100.00 SEL on "
            "2025-01-01",
        ),
        (
            ("alice", "--floor", "2000", "--from", "2025-01-01"),
            "'alice' would have a floor of 2000.00 SEL above its ceiling of 1000.00 SEL",
        ),
        (("alice", "--floor", "-600", "--from", "2025-13-01"), "'2025-13-01' is not a date"),
        (("alice", "--floor", "beaucoup", "--from", "2025-01-01"), "'beaucoup' is not an amount"),
        (
            ("alice", "--floor", "-600.001", "--from", "2025-01-01"),
            "-600.001 has more than 2 decimal places",
        ),
        (("alise", "--floor", "-600", "--from", "2025-01-01"), "'alise' is not a member"),
    ],
)
def test_a_wrong_limit_change_is_refused_and_changes_nothing(
    coop: Coop, args: tuple[str, ...], expected: str
) -> None:
    before = coop.log()

    result = coop.run("member", "limit", *args)

    assert result.code == 1
    assert expected in result.err
    assert coop.log() == before
    assert coop.status() == ""


def test_member_limit_needs_a_date(coop: Coop) -> None:
    result = coop.run("member", "limit", "alice", "--floor", "-600")

    assert result.code == 2
    assert "Missing option '--from'" in result.err
