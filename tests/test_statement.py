"""`coopledger statement`: every movement of a member with a running balance,
checked against balances computed here from the list of trades."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.conftest import Builds, Coop
from tests.test_report import TRADES, build_known, expected_balances


@pytest.fixture
def known(builds: Builds, coop: Coop) -> Coop:
    return builds.copy("known", coop, build_known)


def statement_json(coop: Coop, *args: str) -> dict:  # type: ignore[type-arg]
    result = coop.run("statement", *args, "--format", "json")
    assert result.code == 0, result.text
    return json.loads(result.out)


def test_statement_lines_and_running_balance(known: Coop) -> None:
    statement = statement_json(known, "alice", "--from", "2026-10-01", "--to", "2026-11-30")

    mine = [t for t in TRADES if "2026-10-01" <= t[0] <= "2026-11-30" and "alice" in t[1:3]]
    balance = expected_balances("2026-09-30")["alice"]
    assert statement["opening"] == f"{balance:.2f}" == "-10.00"
    assert len(statement["lines"]) == len(mine) == 4
    for line, (date, payer, payee, amount, memo, _) in zip(statement["lines"], mine, strict=True):
        signed = -Decimal(amount) if payer == "alice" else Decimal(amount)
        balance += signed
        assert line["date"] == date
        assert line["counterparty"] == (payee if payer == "alice" else payer)
        assert line["memo"] == memo
        assert line["amount"] == f"{signed:.2f}"
        assert line["balance"] == f"{balance:.2f}"
        assert line["kind"] == "trade"
    assert statement["closing"] == f"{balance:.2f}" == "-465.50"
    assert statement["paid"] == "480.50"
    assert statement["received"] == "25.00"


def test_statement_table_shows_opening_and_closing_lines(known: Coop) -> None:
    result = known.run("statement", "bob", "--from", "2026-11-01", "--to", "2026-11-30")

    assert result.code == 0, result.text
    lines = result.out.splitlines()
    assert lines[0] == "Statement of bob (Bob Durand), from 2026-11-01 to 2026-11-30 (SEL)"
    assert "opening balance" in lines[3] and lines[3].endswith("-15.00")
    assert any("fournil" in ln and "livraisons" in ln and "100.00" in ln for ln in lines)
    closing = next(ln for ln in lines if "closing balance" in ln)
    assert closing.endswith("445.50")
    assert "3 movement(s): paid 20.00, received 480.50 SEL" in result.out


def test_statement_csv_has_opening_lines_and_closing(known: Coop) -> None:
    result = known.run(
        "statement", "fournil", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"
    )

    assert result.code == 0, result.text
    assert result.out.splitlines() == [
        "date,kind,counterparty,memo,amount,balance,trade",
        "2026-11-01,opening,,,,40.00,",
        '2026-11-02,trade,alice,"pain, novembre",60.00,100.00,',
        "2026-11-03,trade,bob,livraisons,-100.00,0.00,",
        "2026-11-28,trade,bob,brioches,20.00,20.00,",
        "2026-11-30,closing,,,,20.00,",
    ]


def test_statement_from_the_beginning_to_a_date(known: Coop) -> None:
    statement = statement_json(known, "bob", "--to", "2026-10-31")

    assert statement["from"] is None
    assert statement["opening"] == "0.00"
    assert [line["date"] for line in statement["lines"]] == ["2026-08-12", "2026-10-20"]
    assert statement["closing"] == "-15.00"


def test_a_trade_recorded_by_the_cli_appears_with_its_id(known: Coop) -> None:
    assert known.run("trade", "carol", "alice", "12,5", "--date", "2026-11-29").code == 0

    statement = statement_json(known, "carol", "--from", "2026-11-01", "--to", "2026-11-30")

    (line,) = statement["lines"]
    assert line["amount"] == "-12.50" and line["balance"] == "-12.50"
    assert line["trade"].startswith("2026-11-29-")
    assert line["file"] == f"journal/2026/11/29/carol.{line['trade']}.beancount"


def test_statement_of_an_unknown_member_is_an_error(known: Coop) -> None:
    result = known.run("statement", "alcie")

    assert result.code == 1
    assert "'alcie' is not a member (did you mean 'alice'?)" in result.err
    assert result.out == ""


def test_statement_with_a_bad_date_is_an_error(known: Coop) -> None:
    result = known.run("statement", "alice", "--from", "2026-11-31")

    assert result.code == 1
    assert "'2026-11-31' is not a date" in result.err


def test_statement_with_from_after_to_is_an_error(known: Coop) -> None:
    result = known.run("statement", "alice", "--from", "2026-11-30", "--to", "2026-11-01")

    assert result.code == 1
    assert "the period starts on 2026-11-30, after its end on 2026-11-01" in result.err
