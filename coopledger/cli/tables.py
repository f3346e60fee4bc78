"""Tables for the terminal that never cut an id, a date or an amount.

rich shrinks every column of a table wider than the terminal, so `1000.00`
became `1000.0` in 80 columns. `fitted_table` gives each column the width of
its longest cell, and when they do not all fit, leaves out the columns marked
`optional` (names, memos) in the order given, rather than cut a figure.

    table = fitted_table("SEL: members", ["id", "name", "balance"], rows,
                         right={2}, optional=[1], width=out.width)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.table import Table

from coopledger.plaintext import visible

BORDER = 3  # rich's default box: a bar and one space of padding on each side


def fitted_table(
    title: str,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
    optional: Sequence[int] = (),
    width: int,
    sections: Collection[int] = (),
) -> Table:
    """A table of `rows` (strings); `sections` are row indexes a rule goes above.
    A control character in a cell is shown escaped (\\x1b), never sent to the terminal."""
    rows = [[visible(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headings)]
    shown = list(range(len(headings)))
    for column in optional:
        if sum(widths[i] + BORDER for i in shown) + 1 <= width:
            break
        shown.remove(column)
    table = Table(title=title)
    for i in shown:
        wraps = i in optional
        table.add_column(
            headings[i],
            justify="right" if i in right else "left",
            no_wrap=not wraps,
            min_width=None if wraps else widths[i],
        )
    for number, row in enumerate(rows):
        if number in sections:
            table.add_section()
        table.add_row(*(row[i] for i in shown))
    return table
