"""Terminal tables keep every id, date and amount whole; optional columns go first."""

from __future__ import annotations

import io

from rich.console import Console

from coopledger.cli.tables import fitted_table

HEADINGS = ["id", "name", "joined", "memo", "balance"]
ROWS = [
    ["atelier-velo-solidaire-du-canal", "Atelier vélo solidaire du canal", "2024-01-01",
     "réparations et pièces détachées", "-12345.67"],
    ["ana", "Ana", "2025-03-14", "", "12345.67"],
]  # fmt: skip


def rendered(width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    table = fitted_table("t", HEADINGS, ROWS, right={4}, optional=[3, 1], width=width)
    console.print(table)
    return console.export_text()


def test_a_wide_terminal_shows_every_column() -> None:
    text = rendered(200)

    assert "Atelier vélo solidaire du canal" in text
    assert "réparations et pièces détachées" in text


def test_a_narrow_terminal_loses_the_optional_columns_in_order_never_a_figure() -> None:
    middle, narrow = rendered(110), rendered(60)

    assert "réparations" not in middle and "Atelier vélo" in middle
    assert "réparations" not in narrow and "Atelier vélo" not in narrow
    for text in (middle, narrow):
        for whole in ("atelier-velo-solidaire-du-canal", "2024-01-01", "-12345.67", "12345.67"):
            assert whole in text, (whole, text)


def test_help_lists_every_command_in_the_everyday_order(capsys) -> None:  # type: ignore[no-untyped-def]
    from coopledger.cli import HELP_ORDER, main

    assert main(["--help"]) == 0
    listed = [
        line.split()[0]
        for line in capsys.readouterr().out.split("Commands:")[1].splitlines()
        if line.strip()
    ]

    assert listed == [*HELP_ORDER, "member", "rules", "partner", "federation"]
