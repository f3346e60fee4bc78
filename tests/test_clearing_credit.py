"""Clearing with credit: the most discharged, then the most set off; who may pay;
headroom on the clearing's date and after; amounts bounded before the solvers.

The oracle is an independent linear program (scipy's HiGHS) of the same
lexicographic problem, one variable per invoice: the most discharged, then,
that total fixed, the most set off.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.model.members import Member, Roster
from coopledger.model.problems import CoopError
from coopledger.model.rules import KindLimits, Rules
from coopledger.model.timeline import Timeline
from coopledger.setoff.clearing import (
    MAX_TOTAL,
    Clearing,
    Headroom,
    Obligation,
    credit_headroom,
    solve_setoff,
    solve_with_credit,
)
from coopledger.validation.checks import DayBalance
from tests.conftest import Coop

MEMBERS = ["a", "b", "c", "d", "e"]


def lp_oracle(obligations: list[Obligation], headroom: dict[str, Headroom]) -> tuple[float, float]:
    """(most discharged, then most set off) by linear programming, per invoice.

    Variables: set off s_k and paid p_k per invoice (p_k = 0 unless both parties
    are in `headroom`), net payment n_m per member who trades. Set-off keeps every
    net position; payments leave each member its net payment, within its room.
    """
    from scipy.optimize import linprog  # here: 0.7 s of import, for the tests that use it

    count = len(obligations)
    traders = sorted(headroom)
    width = 2 * count + len(traders)
    total = sum(o.amount for o in obligations)
    rows, right = [], []
    for member in MEMBERS:
        setoff = np.zeros(width)
        paid = np.zeros(width)
        for k, o in enumerate(obligations):
            sign = (o.debtor == member) - (o.creditor == member)
            setoff[k] = sign
            paid[count + k] = sign
        rows.append(setoff)
        right.append(0)
        if member in headroom:
            paid[2 * count + traders.index(member)] = -1
            rows.append(paid)
            right.append(0)
    shared = np.zeros((count, width))
    for k in range(count):
        shared[k, k] = shared[k, count + k] = 1
    bounds = [(0, o.amount) for o in obligations]
    bounds += [
        (0, o.amount if o.debtor in headroom and o.creditor in headroom else 0) for o in obligations
    ]
    for member in traders:
        room = headroom[member]
        pay = total if room.can_pay is None else room.can_pay
        receive = total if room.can_receive is None else room.can_receive
        bounds.append((-receive, pay))
    discharged = np.concatenate([-np.ones(2 * count), np.zeros(len(traders))])
    setoff_only = np.concatenate([-np.ones(count), np.zeros(count + len(traders))])
    common = {
        "A_eq": np.array(rows) if rows else None,
        "b_eq": np.array(right) if rows else None,
        "bounds": bounds,
        "method": "highs",
    }
    amounts = [o.amount for o in obligations]
    if count == 0:
        return 0.0, 0.0
    first = linprog(discharged, A_ub=shared, b_ub=amounts, **common)
    assert first.status == 0, first.message
    most = -first.fun
    second = linprog(
        setoff_only,
        A_ub=np.vstack([shared, discharged]),
        b_ub=[*amounts, -most + 1e-6],
        **common,
    )
    assert second.status == 0, second.message
    return most, -second.fun


invoice_lists = st.lists(
    st.tuples(st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.integers(1, 1_000)).filter(
        lambda t: t[0] != t[1]
    ),
    max_size=14,
).map(lambda rows: [Obligation(f"r{i}", d, c, amount) for i, (d, c, amount) in enumerate(rows)])

rooms = st.one_of(st.none(), st.integers(0, 1_000), st.sampled_from([0, 0, 10]))
headrooms = st.dictionaries(st.sampled_from(MEMBERS), st.builds(Headroom, rooms, rooms))


def currency_changes(result: Clearing) -> dict[str, int]:
    change: dict[str, int] = defaultdict(int)
    for o, paid in zip(result.obligations, result.paid, strict=True):
        change[o.debtor] -= paid
        change[o.creditor] += paid
    return change


def assert_a_sound_plan(result: Clearing, headroom: dict[str, Headroom]) -> None:
    setoff: dict[str, int] = defaultdict(int)
    for o, cleared, paid in zip(result.obligations, result.cleared, result.paid, strict=True):
        assert cleared >= 0 and paid >= 0 and cleared + paid <= o.amount
        setoff[o.debtor] += cleared
        setoff[o.creditor] -= cleared
        if paid:  # only between members who can trade: no payer, payee nor go-between else
            assert o.debtor in headroom and o.creditor in headroom
    assert set(setoff.values()) <= {0}  # every net position kept
    for member, change in currency_changes(result).items():
        room = headroom.get(member, Headroom(0, 0))
        assert room.can_pay is None or -change <= room.can_pay
        assert room.can_receive is None or change <= room.can_receive


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(invoice_lists, headrooms)
def test_with_credit_matches_the_lexicographic_linear_program(
    obligations: list[Obligation], headroom: dict[str, Headroom]
) -> None:
    result = solve_with_credit(obligations, headroom)

    most, setoff = lp_oracle(obligations, headroom)
    assert result.total_cleared + result.total_paid == round(most)
    assert result.total_cleared == round(setoff)
    assert result.total_cleared >= 0 and result.total_cleared <= result.total_before
    assert_a_sound_plan(result, headroom)


def test_with_credit_keeps_the_set_off_and_pays_only_what_it_cannot_cancel() -> None:
    # c owes a 100, a and b owe each other 30 and 20; c can pay 70, a and b can only
    # receive 30. Setting off the 20 both ways costs nothing; paying them would use
    # the room that c's payment needs.
    obligations = [
        Obligation("ca", "c", "a", 100),
        Obligation("ab", "a", "b", 30),
        Obligation("ba", "b", "a", 20),
    ]
    headroom = {"a": Headroom(0, 30), "b": Headroom(0, 30), "c": Headroom(70, 0)}

    result = solve_with_credit(obligations, headroom)

    assert result.total_cleared == 40
    assert (result.cleared, result.paid) == ((0, 20, 20), (40, 10, 0))
    assert result.total_cleared + result.total_paid == 90
    assert lp_oracle(obligations, headroom) == pytest.approx((90, 40))


def test_a_member_who_cannot_trade_is_no_go_between() -> None:
    # a → s → b: s is suspended, so a cannot pay b through it, not even at zero net
    chain = [Obligation("as", "a", "s", 100), Obligation("sb", "s", "b", 100)]
    headroom = {"a": Headroom(500, 500), "b": Headroom(500, 500)}

    result = solve_with_credit(chain, headroom)

    assert result.paid == (0, 0) and result.cleared == (0, 0)
    cycle = [*chain, Obligation("ba", "b", "a", 60)]  # its invoices can still be set off
    assert solve_with_credit(cycle, headroom).cleared == (60, 60, 60)


def test_amounts_the_solvers_cannot_hold_are_refused_before_any_sum() -> None:
    huge = [Obligation("x", "a", "b", MAX_TOTAL), Obligation("y", "b", "a", 1)]
    for solve in (solve_setoff, lambda o: solve_with_credit(o, {})):
        with pytest.raises(CoopError) as refused:
            solve(huge)
        assert refused.value.code == "clearing-too-large"
    beyond_int64 = [Obligation("x", "a", "b", 2**64), Obligation("y", "b", "a", 5)]
    with pytest.raises(CoopError):
        solve_setoff(beyond_int64)
    fits = [Obligation("x", "a", "b", MAX_TOTAL - 1), Obligation("y", "b", "a", 1)]
    assert solve_setoff(fits).total_cleared == 2
    assert solve_with_credit(fits, {"a": Headroom(None, None)}).total_cleared == 2


# ---------------------------------------------------------------- headroom at the date and after

DAY = datetime.date(2026, 11, 10)
LATER = datetime.date(2026, 11, 20)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[Roster, Rules, dict[str, list[DayBalance]]]:
    """Members of one kind whose limits may tighten after DAY, each with balances within
    every limit on days before, on and after DAY; some suspended."""
    floor = Timeline.constant(Decimal(-500))
    ceiling = Timeline.constant(Decimal(800))
    if draw(st.booleans()):
        floor = floor.changed(LATER, Decimal(-300))
    if draw(st.booleans()):
        ceiling = ceiling.changed(LATER, Decimal(500))
    rules = Rules("t", "SEL", "sel", 2, "hard", {"person": KindLimits(floor, ceiling)})
    members, history = [], {}
    for member in MEMBERS:
        status = Timeline.constant("suspended") if draw(st.integers(0, 6)) == 0 else None
        members.append(Member(member, member, "person", datetime.date(2024, 1, 1), status=status))
        days = sorted(set(draw(st.lists(st.integers(-5, 20), max_size=4))))
        series = []
        for offset in days:
            day = DAY + datetime.timedelta(days=offset)
            closing = Decimal(draw(st.integers(-300, 500)))  # within every limit
            series.append(DayBalance(day, closing, Decimal(0), None, None))
        history[member] = series
    return Roster.of(members), rules, history


def balance_on(series: list[DayBalance], day: datetime.date) -> Decimal:
    balance = Decimal(0)
    for point in series:
        if point.date <= day:
            balance = point.closing
    return balance


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(invoice_lists, ledgers())
def test_with_credit_keeps_every_limit_on_its_date_and_every_later_day(
    obligations: list[Obligation],
    ledger: tuple[Roster, Rules, dict[str, list[DayBalance]]],
) -> None:
    from coopledger.model.limits import ceiling_at, floor_at

    roster, rules, history = ledger
    headroom = credit_headroom(roster, rules, history, DAY)
    result = solve_with_credit(obligations, headroom)

    most, setoff = lp_oracle(obligations, headroom)
    assert (result.total_cleared + result.total_paid, result.total_cleared) == (
        round(most),
        round(setoff),
    )
    assert_a_sound_plan(result, headroom)
    assert all(roster.by_id[m].status_at(DAY) == "active" for m in headroom)
    for member, change in currency_changes(result).items():
        series = history[member]
        days = {DAY, LATER} | {p.date for p in series if p.date > DAY}
        for day in sorted(days):
            after = balance_on(series, day) + Decimal(change) / 100
            assert floor_at(roster.by_id[member], rules, day) <= after, (member, day)
            assert after <= ceiling_at(roster.by_id[member], rules, day), (member, day)


# ---------------------------------------------------------------- coopledger clear --with-credit


def tight(coop: Coop, *limits: tuple[str, str, str]) -> None:
    for member, floor, ceiling in limits:
        result = coop.run(
            "member",
            "limit",
            member,
            "--floor",
            floor,
            "--ceiling",
            ceiling,
            "--from",
            "2024-01-01",
        )
        assert result.code == 0, result.text


def invoices(coop: Coop, *rows: tuple[str, str, str, str]) -> None:
    for debtor, creditor, amount, ref in rows:
        result = coop.run("invoice", debtor, creditor, amount, "--ref", ref, "--date", "2026-11-03")
        assert result.code == 0, result.text


def test_clear_with_credit_sets_off_first_and_pays_only_the_rest(coop: Coop) -> None:
    # alice owes bob 100; bob and fournil owe each other 30 and 20. alice can pay 70,
    # bob and fournil can only receive 30: the 40 that set-off cancels stays set off.
    tight(coop, ("alice", "-70", "1000"), ("bob", "0", "30"), ("fournil", "0", "30"))
    invoices(
        coop,
        ("alice", "bob", "100", "A1"),
        ("bob", "fournil", "30", "B1"),
        ("fournil", "bob", "20", "F1"),
    )

    result = coop.run("clear", "--date", "2026-11-30", "--with-credit", "--apply", "--json")

    assert result.code == 0, result.text
    report = json.loads(result.out)
    assert (report["cleared"], report["paid"], report["total_after"]) == ("40.00", "50.00", "60.00")
    rows = {r["ref"]: r for r in json.loads(coop.run("invoices", "--json").out)}
    assert [(rows[r]["cleared"], rows[r]["settled"]) for r in ("A1", "B1", "F1")] == [
        ("0.00", "40.00"),
        ("20.00", "10.00"),
        ("20.00", "0.00"),
    ]
    assert coop.run("check").code == 0


def test_clear_with_credit_pays_nothing_through_a_suspended_member(coop: Coop) -> None:
    invoices(coop, ("alice", "bob", "100", "A1"), ("bob", "fournil", "100", "B1"))
    assert coop.run("member", "suspend", "bob", "--date", "2026-11-10").code == 0
    before = coop.log()

    dry = coop.run("clear", "--date", "2026-11-30", "--with-credit", "--json")
    applied = coop.run("clear", "--date", "2026-11-30", "--with-credit", "--apply")

    assert dry.code == 0, dry.text
    assert (json.loads(dry.out)["paid"], json.loads(dry.out)["cleared"]) == ("0.00", "0.00")
    assert applied.code == 0, applied.text
    assert "Nothing to clear" in applied.out
    assert coop.log() == before and coop.status() == ""


def later_payment(coop: Coop) -> None:
    """alice owes bob 400 (invoiced 2026-11-03), pays fournil 400 on 2026-11-20
    and is paid 300 by fournil on 2026-11-22: -100 today, -400 at her lowest."""
    invoices(coop, ("alice", "bob", "400", "A1"))
    for payer, payee, amount, day in (
        ("alice", "fournil", "400", "2026-11-20"),
        ("fournil", "alice", "300", "2026-11-22"),
    ):
        result = coop.run("trade", payer, payee, amount, "--date", day)
        assert result.code == 0, result.text


def test_clear_with_credit_leaves_room_for_later_days_with_hard_limits(coop: Coop) -> None:
    # On 2026-11-10 alice (floor -500) is at 0, and at -100 today; but she is at -400
    # on 2026-11-20: paying more than 100 on the 10th would break her floor then.
    later_payment(coop)

    result = coop.run("clear", "--date", "2026-11-10", "--with-credit", "--apply", "--json")

    assert result.code == 0, result.text
    assert json.loads(result.out)["paid"] == "100.00"
    assert coop.run("check").code == 0
    balances = json.loads(coop.run("balances", "--json", "--at", "2026-11-20").out)["balances"]
    assert float(balances["alice"]) == -500


def test_clear_with_credit_takes_the_room_of_its_date_not_of_today(coop: Coop) -> None:
    # Today alice has 300 more than on 2026-11-10: that room is not hers on the 10th.
    invoices(coop, ("alice", "bob", "900", "A1"))
    result = coop.run("trade", "fournil", "alice", "300", "--date", "2026-11-20")
    assert result.code == 0, result.text

    cleared = coop.run("clear", "--date", "2026-11-10", "--with-credit", "--apply", "--json")

    assert cleared.code == 0, cleared.text
    assert json.loads(cleared.out)["paid"] == "500.00"
    balances = json.loads(coop.run("balances", "--json", "--at", "2026-11-10").out)["balances"]
    assert float(balances["alice"]) == -500


def test_clear_with_credit_keeps_soft_limits_too(coop: Coop) -> None:
    coop.write(
        "rules.yaml", coop.read("rules.yaml").replace("enforcement: hard", "enforcement: soft")
    )
    coop.commit_all("soft limits")
    later_payment(coop)

    result = coop.run("clear", "--date", "2026-11-10", "--with-credit", "--apply", "--json")

    assert result.code == 0, result.text
    assert "warning" not in result.err
    assert json.loads(result.out)["paid"] == "100.00"
    check = coop.run("check", "--json")
    assert "below-floor" not in check.out


# ---------------------------------------------------------------- clear --invoices: bounded sums


@pytest.mark.parametrize(
    "amounts",
    [
        ["50000000000000000", "50000000000000000"],  # 10^19 cents: past 2^63
        ["10000000000000000", "10000000000000000"],  # 2 × 10^18 cents: past 2^60
        ["100000000000000000000"],  # one amount past 2^63 cents
    ],
)
def test_clear_invoices_refuses_totals_the_solver_cannot_hold(
    coop: Coop, tmp_path: Path, amounts: list[str]
) -> None:
    path = tmp_path / "big.csv"
    rows = [f"acme,bolt,{a},R{i}" for i, a in enumerate(amounts)] + ["bolt,acme,1,Z"]
    path.write_text("debtor,creditor,amount,ref\n" + "\n".join(rows) + "\n", encoding="utf-8")

    result = coop.run("clear", "--invoices", str(path), "--json")

    assert result.code == 1
    assert result.out == ""
    assert "the invoices to clear add up to" in result.err
    assert "more than a clearing can hold (11529215046068469.76)" in result.err
    assert "Traceback" not in result.err
    assert coop.status() == ""


def test_clear_invoices_just_under_the_bound_is_exact(coop: Coop, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    half = (MAX_TOTAL // 2) // 100
    path.write_text(
        f"debtor,creditor,amount\nacme,bolt,{half}\nbolt,acme,{half}\n", encoding="utf-8"
    )

    result = coop.run("clear", "--invoices", str(path), "--json")

    assert result.code == 0, result.text
    assert json.loads(result.out)["cleared"] == f"{2 * half}.00"


def test_clear_refuses_journal_invoices_the_solver_cannot_hold(coop: Coop) -> None:
    # each invoice within the bound on amounts (10^15), their sum past the solver's 2^60 cents
    largest = "999999999999999"
    invoices(
        coop, *(("alice", "bob", largest, f"A{n}") for n in range(12)), ("bob", "alice", "5", "B1")
    )
    before = coop.log()

    for extra in ((), ("--with-credit",), ("--apply",), ("--with-credit", "--apply")):
        result = coop.run("clear", "--date", "2026-11-30", *extra)

        assert result.code == 1, (extra, result.text)
        assert result.out == ""
        assert "the invoices to clear add up to 11999999999999993.00" in result.err
        assert coop.log() == before and coop.status() == ""
