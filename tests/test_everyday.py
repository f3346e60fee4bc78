"""A treasurer's and a volunteer's everyday: `trades`, ids by their start,
`member edit`, `rules set`, `commit`, `help`, completion, options anywhere."""

from __future__ import annotations

import json
import re

from tests.conftest import Coop


def ids_of(coop: Coop, *args: str) -> list[str]:
    result = coop.run("trades", "--json", *args)
    assert result.code == 0, result.text
    return [row["id"] for row in json.loads(result.out)]


def some_trades(coop: Coop) -> None:
    for args in (
        ("alice", "bob", "10", "--date", "2026-10-05", "-m", "Jam jars"),
        ("bob", "fournil", "20", "--date", "2026-11-02", "-m", "bread"),
        ("alice", "fournil", "5", "--date", "2026-11-03", "-m", "more bread"),
    ):
        result = coop.run("trade", *args)
        assert result.code == 0, result.text


# ---------------------------------------------------------------- trades


def test_trades_lists_every_trade_with_its_id(coop: Coop) -> None:
    some_trades(coop)
    before = coop.log()

    result = coop.run("trades")

    assert result.code == 0, result.text
    assert "SEL du Canal: 3 trades" in result.out
    ids = re.findall(r"2026-1[01]-0[0-9]-[0-9a-f]{8}", result.out)
    assert len(ids) == 3
    assert "Jam jars" in result.out and "more bread" in result.out
    assert coop.log() == before and coop.status() == ""


def test_trades_filters_by_member_month_and_words(coop: Coop) -> None:
    some_trades(coop)
    rows = json.loads(coop.run("trades", "--json").out)
    assert [r["memo"] for r in rows] == ["Jam jars", "bread", "more bread"]
    assert rows[0]["payer"] == "alice" and rows[0]["amount"] == "10.00"
    assert rows[0]["currency"] == "SEL" and rows[0]["date"] == "2026-10-05"

    assert len(ids_of(coop, "--member", "fournil")) == 2
    assert len(ids_of(coop, "--month", "2026-10")) == 1
    assert len(ids_of(coop, "--text", "BREAD")) == 2
    assert len(ids_of(coop, "--text", "more bread", "--member", "alice")) == 1
    assert ids_of(coop, "--month", "2026-12") == []
    one = coop.run("trades", "--month", "2026-10")
    assert "SEL du Canal: 1 trade\n" in one.out


def test_trades_refuses_an_unknown_member_or_a_bad_month(coop: Coop) -> None:
    unknown = coop.run("trades", "--member", "alicee")
    assert unknown.code == 1
    assert unknown.err.startswith("error: 'alicee' is not a member (did you mean 'alice'?)")
    month = coop.run("trades", "--month", "2026-13")
    assert month.code == 1 and "2026-13" in month.err


def test_reverse_takes_the_start_of_an_id(coop: Coop) -> None:
    some_trades(coop)
    first = ids_of(coop, "--month", "2026-10")[0]
    hex_part = first[11:]

    result = coop.run("reverse", hex_part[:5], "--date", "2026-11-10")

    assert result.code == 0, result.text
    assert f"Reversed {first} with 2026-11-10-" in result.out
    assert coop.log()[0].startswith(f"reverse: {first} ")
    assert f'reverses: "{first}"' in coop.read("journal/2026/11/bob.beancount")


def test_an_ambiguous_start_of_an_id_is_refused_with_the_candidates(coop: Coop) -> None:
    some_trades(coop)
    november = ids_of(coop, "--month", "2026-11")
    before = coop.log()

    result = coop.run("reverse", "2026-11-0")

    assert result.code == 1
    assert result.err.startswith("error: '2026-11-0' is the start of several trades' ids: ")
    for trade_id in november:
        assert trade_id in result.err
    assert "give more of the id (see 'coopledger trades')" in result.err
    assert coop.log() == before and coop.status() == ""
