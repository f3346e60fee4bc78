"""Every table is readable at any width and in any pipe: no figure is ever cut,
names are always shown, and a line says which columns were left out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from coopledger.cli import common
from coopledger.cli.tables import table_text
from tests.conftest import Builds, Coop

WIDTHS = (40, 60, 80, 120)
FIGURE = re.compile(r"^-?\d+\.\d+$")


def figures(value: object) -> Iterator[str]:
    """Every amount in a JSON document."""
    if isinstance(value, dict):
        for item in value.values():
            yield from figures(item)
    elif isinstance(value, list):
        for item in value:
            yield from figures(item)
    elif isinstance(value, str) and FIGURE.match(value):
        yield value


def assert_whole(figure: str, text: str) -> None:
    assert re.search(rf"(?<![\d.\-]){re.escape(figure)}(?![\d.])", text), (figure, text)


def build_busy(coop: Coop) -> None:
    coop.run("member", "add", "atelier-velo-solidaire-du-canal", "--name",
             "Atelier vélo solidaire du canal Saint-Martin", "--joined", "2026-01-01")  # fmt: skip
    coop.run("trade", "alice", "fournil", "412.35", "--date", "2026-11-02", "--memo", "pain")
    coop.run("trade", "bob", "atelier-velo-solidaire-du-canal", "37.5", "--date", "2026-11-03")
    coop.run("trade", "fournil", "bob", "0.05", "--date", "2026-11-04")
    coop.run("invoice", "alice", "fournil", "120", "--ref", "F-031", "--date", "2026-11-05")
    coop.run("settle", "F-031", "50", "--date", "2026-11-20")


@pytest.fixture
def busy(builds: Builds, coop: Coop) -> Coop:
    """The fixture's cooperative with trades, a long name and an invoice."""
    return builds.copy("busy", coop, build_busy)


STATEMENT = ["statement", "bob", "--from", "2026-11-01", "--to", "2026-11-30"]
COMMANDS = {
    "balances": (["balances"], ["balances", "--json"]),
    "member list": (["member", "list"], ["member", "list", "--json"]),
    "invoices": (["invoices"], ["invoices", "--json"]),
    "report": (["report", "2026-11"], ["report", "2026-11", "--format", "json"]),
    "statement": (STATEMENT, [*STATEMENT, "--json"]),
    "trades": (["trades", "--month", "2026-11"], ["trades", "--month", "2026-11", "--json"]),
}
NAMES_NOT_SHOWN = {"invoices", "statement", "trades"}  # ids only (a statement: its member's)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_figure_and_name_is_whole_at_any_width(
    busy: Coop, monkeypatch: pytest.MonkeyPatch, name: str, width: int
) -> None:
    text_args, json_args = COMMANDS[name]
    shown = busy.run(*json_args)
    assert shown.code == 0, shown.text
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(
        common.out, "_width", width
    )  # undone to None: the width follows COLUMNS again

    result = busy.run(*text_args)

    assert result.code == 0, result.text
    found = list(figures(json.loads(shown.out)))
    assert found
    for figure in found:
        assert_whole(figure, result.out)
    if name not in NAMES_NOT_SHOWN:
        words = " ".join(result.out.split())  # a long name may wrap, never be cut
        for person in (
            "Alice Martin",
            "Le Fournil",
            "Atelier vélo solidaire du canal Saint-Martin",
        ):
            assert person in words, (person, result.out)
    lines = result.out.splitlines()
    assert max(len(line) for line in lines) <= width, result.out


def test_balances_say_which_columns_were_left_out(busy: Coop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        common.out, "_width", 100
    )  # undone to None: the width follows COLUMNS again

    result = busy.run("balances")

    assert "left out for lack of room (100 columns): can receive" in result.out
    assert "Atelier vélo solidaire du canal Saint-Martin" in result.out


def test_a_wide_page_draws_the_box_and_every_column(busy: Coop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        common.out, "_width", 200
    )  # undone to None: the width follows COLUMNS again

    result = busy.run("balances")

    assert "┏" in result.out and "can receive" in result.out
    assert "left out" not in result.out


def test_a_page_too_narrow_for_any_table_stacks_the_rows() -> None:
    text = table_text(
        ["id", "name", "balance"],
        [["alice", "Alice Martin", "-412.35"], ["fournil", "Le Fournil", "412.35"]],
        right={2},
        width=20,
    )

    assert text == (
        "alice\n"
        "  name     Alice Martin\n"
        "  balance  -412.35\n"
        "\n"
        "fournil\n"
        "  name     Le Fournil\n"
        "  balance  412.35\n"
    )


def test_control_characters_in_a_cell_are_shown_escaped() -> None:
    text = table_text(["id", "memo"], [["a", "x\x1b[31my"]], width=40)

    assert "\x1b" not in text and "\\x1b" in text
