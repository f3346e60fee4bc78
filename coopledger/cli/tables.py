"""Tables for the terminal and for pipes that never cut an id, a name, a date or an amount.

A table is laid out here, in plain text, from the width of its cells (rich's
public `cell_len`), whatever the width it is given; the first layout that fits wins:

1. boxed, as rich draws a table (`balances`, `member list`, `invoices`);
2. plain: a header, a rule, columns two spaces apart (the monthly report's look);
3. plain without the `optional` columns (notes, roles, bars), in the order
   given, and a line saying which columns were left out;
4. stacked: one block per row, its first cell then `heading  value` lines:
   every column, nothing left out, nothing cut.

    >>> print(table_text(["id", "balance"], [["alice", "-40.00"]], right={1}, width=40))
    id     balance
    ──────────────
    alice   -40.00
    <BLANKLINE>

Laying out is a join per row, so a table of thousands of rows costs far less
than computing it (docs/performance.md). Control characters in a cell are
shown escaped (\\x1b), never sent to the terminal.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.cells import cell_len
from rich.text import Text

from coopledger.i18n import N_, _
from coopledger.model.plaintext import visible

BORDER = 3  # a bar and one space of padding on each side, as rich's default box
LEFT_OUT = N_("left out for lack of room ({width} columns): {columns}")


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - cell_len(text))
    return gap + text if right else text + gap


def _widths(headings: Sequence[str], rows: Sequence[Sequence[str]], shown: list[int]) -> list[int]:
    return [max([cell_len(headings[i]), *(cell_len(row[i]) for row in rows)]) for i in shown]


def _boxed(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    shown: list[int],
    widths: list[int],
    right: Collection[int],
    sections: Collection[int],
) -> list[str]:
    def line(cells: Sequence[str], bar: str) -> str:
        parts = [
            " " + _pad(cells[i], w, i in right) + " " for i, w in zip(shown, widths, strict=True)
        ]
        return bar + bar.join(parts) + bar

    def rule(left: str, cross: str, end: str, fill: str) -> str:
        return left + cross.join(fill * (w + 2) for w in widths) + end

    lines = [rule("┏", "┳", "┓", "━"), line(headings, "┃"), rule("┡", "╇", "┩", "━")]
    for number, row in enumerate(rows):
        if number in sections:
            lines.append(rule("├", "┼", "┤", "─"))
        lines.append(line(row, "│"))
    lines.append(rule("└", "┴", "┘", "─"))
    return lines


def _plain(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    shown: list[int],
    widths: list[int],
    right: Collection[int],
    sections: Collection[int],
) -> list[str]:
    pairs = list(zip(shown, widths, strict=True))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(_pad(cells[i], w, i in right) for i, w in pairs).rstrip()

    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [line(headings), rule]
    for number, row in enumerate(rows):
        if number in sections:
            lines.append(rule)
        lines.append(line(row))
    return lines


def _wrapped(text: str, room: int) -> list[str]:
    """`text` in lines of at most `room` cells, broken between words (a longer word alone)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and cell_len(lines[-1]) + 1 + cell_len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _stacked(
    headings: Sequence[str], rows: Sequence[Sequence[str]], width: int, sections: Collection[int]
) -> list[str]:
    label = max(cell_len(h) for h in headings[1:]) if len(headings) > 1 else 0
    room = max(width - label - 4, 12)
    lines: list[str] = []
    for number, row in enumerate(rows):
        if number in sections:
            lines.append("─" * min(width, 40))
        elif number:
            lines.append("")
        lines += _wrapped(row[0], max(width, 12))
        for heading, cell in zip(headings[1:], row[1:], strict=True):
            if cell:
                parts = _wrapped(cell, room)
                lines.append(f"  {heading:<{label}}  {parts[0]}")
                lines += [" " * (label + 4) + part for part in parts[1:]]
    return lines


def table_lines(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
    optional: Sequence[int] = (),
    width: int,
    sections: Collection[int] = (),
    boxed: bool = False,
) -> list[str]:
    """The lines of a table of `rows` (strings) at most `width` cells wide (but
    for a single word wider than the page); `sections` are row indexes a rule goes above."""
    headings = [visible(h) for h in headings]
    rows = [[visible(cell) for cell in row] for row in rows]
    shown = list(range(len(headings)))
    widths = _widths(headings, rows, shown)
    if boxed and sum(widths) + BORDER * len(widths) + 1 <= width:
        return _boxed(headings, rows, shown, widths, right, sections)
    left_out: list[str] = []
    for column in [None, *optional]:
        if column is not None:
            left_out.append(headings[column])
            shown.remove(column)
            widths = _widths(headings, rows, shown)
        if sum(widths) + 2 * (len(widths) - 1) <= width:
            lines = _plain(headings, rows, shown, widths, right, sections)
            if left_out:
                names = ", ".join(dict.fromkeys(name or "bars" for name in left_out))
                note = _(LEFT_OUT).format(width=width, columns=names)
                lines.append("")
                lines += _wrapped(note, width)
            return lines
    return _stacked(headings, rows, width, sections)


def table_text(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
    optional: Sequence[int] = (),
    width: int,
    sections: Collection[int] = (),
) -> str:
    """`table_lines`, plain, as text ending with a newline."""
    lines = table_lines(
        headings, rows, right=right, optional=optional, width=width, sections=sections
    )
    return "\n".join(lines) + "\n"


def fitted_table(
    title: str,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[int] = (),
    optional: Sequence[int] = (),
    width: int,
    sections: Collection[int] = (),
) -> Text:
    """A titled table for `console.print`: boxed when it fits, else as `table_lines`."""
    lines = table_lines(
        headings,
        rows,
        right=right,
        optional=optional,
        width=width,
        sections=sections,
        boxed=True,
    )
    heading = "\n".join(_wrapped(visible(title), width))
    text = Text(overflow="fold")
    text.append(heading, style="italic")
    text.append("\n" + "\n".join(lines))
    return text
