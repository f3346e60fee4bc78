"""Words and layout for the monthly report and statements: plain-text tables,
Markdown, CSV and JSON. The figures come from `coopledger.reporting.reports`; nothing is
computed here beyond formatting.

Text output is laid out by `coopledger.cli.tables` at the console's width (or
COLUMNS), 100 columns when it does not go to a terminal and COLUMNS is not set,
with no colour, so that a report pasted in a newsletter or kept in a file is the
same on every machine (and golden tests can compare it byte for byte). No figure
and no member name is ever cut: a table too wide for the page leaves out its
notes and bars first (and says so), then stacks each row.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.text import Text

from coopledger import i18n
from coopledger.cli.tables import table_text
from coopledger.i18n import N_, _
from coopledger.model.members import Roster
from coopledger.model.money import format_amount, rounded

if TYPE_CHECKING:  # the command line imports this module; reports (and beancount) when used
    from coopledger.reporting.reports import MemberRow, MonthlyReport, Statement, Summary

TEXT_WIDTH = 100
BAR_WIDTH = 24
_EIGHTHS = " ▏▎▍▌▋▊▉"

SUMMARY_LABELS = {
    "trades": N_("trades"),
    "volume": N_("volume"),
    "average": N_("average trade"),
    "trading_members": N_("members who traded"),
    "active_members": N_("active members"),
    "joined": N_("joined"),
    "left": N_("left"),
    "credit_in_use": N_("credit in use"),
    "velocity": N_("velocity"),
    "fees": N_("fees collected"),
    "cleared": N_("debt cleared"),
}
MONEY_FIGURES = {"volume", "average", "credit_in_use", "fees", "cleared"}


def _text_console(buffer: io.StringIO, width: int) -> Console:
    return Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )


def to_text(renderables: Sequence[RenderableType], width: int = TEXT_WIDTH) -> str:
    """Plain text of rich renderables at a fixed width, without colour."""
    buffer = io.StringIO()
    console = _text_console(buffer, width)
    for item in renderables:
        console.print(item)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def bar(value: Decimal, largest: Decimal, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a character, proportional to value/largest."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = int((value * width * 8 / largest).to_integral_value(rounding=ROUND_HALF_EVEN))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


class _Figures:
    """Formatting of the report's amounts and changes."""

    def __init__(self, decimals: int, localized: bool = False) -> None:
        self.decimals = decimals
        self.localized = localized  # for people (text, Markdown): 1 234,50 in French

    def amount(self, value: Decimal | None) -> str:
        if value is None:
            return ""
        if self.localized:
            return i18n.amount_text(rounded(value, self.decimals))
        return format_amount(value, self.decimals)

    def value(self, name: str, summary: Summary) -> str:
        if name in ("joined", "left"):
            ids: tuple[str, ...] = getattr(summary, name)
            return str(len(ids))
        raw = getattr(summary, name)
        if raw is None:
            return "–"
        if name in MONEY_FIGURES:
            return self.amount(raw)
        if self.localized and isinstance(raw, Decimal):
            return i18n.amount_text(raw)
        return f"{raw}"

    def change(self, name: str, delta: Decimal | int | None) -> str:
        if delta is None:
            return "–"
        if delta == 0:
            return "="
        text = self.amount(Decimal(delta)) if name in MONEY_FIGURES else f"{delta}"
        if self.localized and isinstance(delta, Decimal) and name not in MONEY_FIGURES:
            text = i18n.amount_text(delta)
        return text if text.startswith("-") else "+" + text


def member_note(row: MemberRow) -> str:
    notes = []
    if row.status != "active":
        notes.append(i18n.status_word(row.status))
    if row.near_limit == "floor":
        notes.append(_("near floor"))
    elif row.near_limit == "ceiling":
        notes.append(_("near ceiling"))
    if row.dormant:
        notes.append(_("idle"))
    return ", ".join(notes)


def _summary_rows(report: MonthlyReport) -> list[tuple[str, str, str, str]]:
    figures = _Figures(report.decimals, localized=True)
    changes = report.changes
    rows = []
    for name, label in SUMMARY_LABELS.items():
        current = figures.value(name, report.summary)
        if name in ("joined", "left") and getattr(report.summary, name):
            current += " (" + ", ".join(getattr(report.summary, name)) + ")"
        rows.append(
            (
                _(label),
                current,
                figures.value(name, report.previous),
                figures.change(name, changes[name]),
            )
        )
    return rows


MEMBER_HEADINGS = (
    N_("member"),
    N_("name"),
    N_("opening"),
    N_("paid"),
    N_("received"),
    N_("closing"),
    N_("floor"),
    N_("ceiling"),
    N_("use"),
    N_("note"),
)


def percent_text(value: Decimal) -> str:
    """A percentage for people: `12.5%` in English, `12,5 %` in French."""
    return _("{percent}%").format(percent=i18n.amount_text(value))


def _member_cells(row: MemberRow, decimals: int) -> tuple[str, ...]:
    figures = _Figures(decimals, localized=True)
    return (
        row.member,
        row.name,
        figures.amount(row.opening),
        figures.amount(row.paid),
        figures.amount(row.received),
        figures.amount(row.closing),
        figures.amount(row.floor),
        figures.amount(row.ceiling),
        percent_text(row.limit_use),
        member_note(row),
    )


def _category_cells(report: MonthlyReport) -> list[tuple[str, str, str, str]]:
    figures = _Figures(report.decimals, localized=True)
    return [
        (
            row.category if row.category is not None else _("(none)"),
            str(row.trades),
            figures.amount(row.volume),
            percent_text(row.share),
        )
        for row in report.categories
    ]


def _title(report: MonthlyReport) -> str:
    return _("{name}: report for {month} ({currency})").format(
        name=report.name,
        month=i18n.month_text(report.summary.month.first),
        currency=report.currency,
    )


def report_renderables(report: MonthlyReport, width: int = TEXT_WIDTH) -> list[RenderableType]:
    """The report as the terminal shows it, at the terminal's width."""
    return [Text(report_text(report, width).rstrip("\n"), overflow="fold")]


def report_text(report: MonthlyReport, width: int = TEXT_WIDTH) -> str:
    """The report as plain text, every table laid out at `width` by `cli.tables`."""
    figures = _Figures(report.decimals, localized=True)
    month = i18n.month_text(report.summary.month.first, short=True)
    previous = i18n.month_text(report.previous.month.first, short=True)
    parts = [
        _title(report) + "\n\n" + _("Summary") + "\n",
        table_text(("", month, previous, _("change")), _summary_rows(report), right={1, 2, 3},
                   width=width),
        "\n" + _("Members") + "\n",
        table_text(tuple(_(h) for h in MEMBER_HEADINGS),
                   [_member_cells(row, report.decimals) for row in report.members],
                   right=set(range(2, 9)), optional=[9], width=width),
    ]  # fmt: skip
    if report.categories:
        parts += [
            "\n" + _("What is traded") + "\n",
            table_text((_("category"), _("trades"), _("volume"), _("share")),
                       _category_cells(report), right={1, 2, 3}, width=width),
        ]  # fmt: skip
    largest_volume = max((p.volume for p in report.trends), default=Decimal(0))
    largest_members = max((p.trading_members for p in report.trends), default=0)
    trends = [
        (
            i18n.month_text(point.month.first, short=True),
            str(point.trades),
            figures.amount(point.volume),
            bar(point.volume, largest_volume),
            str(point.trading_members),
            bar(Decimal(point.trading_members), Decimal(largest_members), BAR_WIDTH // 2),
        )
        for point in report.trends
    ]
    parts += [
        "\n" + _("Trends: volume and members who traded") + "\n",
        table_text((_("month"), _("trades"), _("volume"), "", _("traded"), ""), trends,
                   right={1, 2, 4}, optional=[3, 5], width=width),
    ]  # fmt: skip
    return "".join(parts)


def _markdown_table(
    headings: Sequence[str], rows: Sequence[Sequence[str]], left: Sequence[int] = (0,)
) -> str:
    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = [
        "| " + " | ".join(escape(_(h)) for h in headings) + " |",
        "|" + "|".join(":---" if i in left else "---:" for i in range(len(headings))) + "|",
    ]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def report_markdown(report: MonthlyReport) -> str:
    """The report as Markdown tables, for a newsletter."""
    figures = _Figures(report.decimals, localized=True)
    month = i18n.month_text(report.summary.month.first, short=True)
    previous = i18n.month_text(report.previous.month.first, short=True)
    sections = [
        f"# {_title(report)}\n",
        f"## {_('Summary')}\n",
        _markdown_table(("", month, previous, N_("change")), _summary_rows(report)),
        f"## {_('Members')}\n",
        _markdown_table(
            MEMBER_HEADINGS,
            [_member_cells(row, report.decimals) for row in report.members],
            left=(0, 1, len(MEMBER_HEADINGS) - 1),
        ),
    ]
    if report.categories:
        sections += [
            f"## {_('What is traded')}\n",
            _markdown_table(
                (N_("category"), N_("trades"), N_("volume"), N_("share")), _category_cells(report)
            ),
        ]
    sections += [
        f"## {_('Trends')}\n",
        _markdown_table(
            (N_("month"), N_("trades"), N_("volume"), N_("members who traded")),
            [
                (
                    i18n.month_text(p.month.first, short=True),
                    str(p.trades),
                    figures.amount(p.volume),
                    str(p.trading_members),
                )
                for p in report.trends
            ],
        ),
    ]
    return "\n".join(sections)


def _csv(rows: Sequence[Sequence[str]]) -> str:
    from coopledger.plans.csvio import write_csv  # the one writer: safe in a spreadsheet

    return write_csv(rows)


def report_csv(report: MonthlyReport) -> str:
    """One row per member, for a spreadsheet."""
    figures = _Figures(report.decimals)
    header = (
        "month",
        "member",
        "name",
        "status",
        "opening",
        "paid",
        "received",
        "closing",
        "floor",
        "ceiling",
        "limit_use",
        "near_limit",
        "dormant",
    )
    rows = [
        (
            str(report.summary.month),
            row.member,
            row.name,
            row.status,
            figures.amount(row.opening),
            figures.amount(row.paid),
            figures.amount(row.received),
            figures.amount(row.closing),
            figures.amount(row.floor),
            figures.amount(row.ceiling),
            str(row.limit_use),
            row.near_limit or "",
            "yes" if row.dormant else "",
        )
        for row in report.members
    ]
    return _csv([header, *rows])


def _summary_json(summary: Summary, decimals: int) -> dict[str, Any]:
    figures = _Figures(decimals)
    return {
        "month": str(summary.month),
        "trades": summary.trades,
        "volume": figures.amount(summary.volume),
        "average": figures.amount(summary.average) or None,
        "trading_members": summary.trading_members,
        "active_members": summary.active_members,
        "joined": list(summary.joined),
        "left": list(summary.left),
        "credit_in_use": figures.amount(summary.credit_in_use),
        "velocity": None if summary.velocity is None else f"{summary.velocity}",
        "fees": figures.amount(summary.fees),
        "cleared": figures.amount(summary.cleared),
    }


def report_json(report: MonthlyReport) -> dict[str, Any]:
    figures = _Figures(report.decimals)
    changes = {
        name: None
        if delta is None
        else (figures.amount(Decimal(delta)) if name in MONEY_FIGURES else f"{delta}")
        for name, delta in report.changes.items()
    }
    return {
        "currency": report.currency,
        **_summary_json(report.summary, report.decimals),
        "previous": _summary_json(report.previous, report.decimals),
        "changes": changes,
        "members": {
            row.member: {
                "name": row.name,
                "status": row.status,
                "opening": figures.amount(row.opening),
                "paid": figures.amount(row.paid),
                "received": figures.amount(row.received),
                "closing": figures.amount(row.closing),
                "floor": figures.amount(row.floor) or None,
                "ceiling": figures.amount(row.ceiling) or None,
                "limit_use": f"{row.limit_use}",
                "near_limit": row.near_limit,
                "dormant": row.dormant,
                "last_trade": row.last_trade.isoformat() if row.last_trade else None,
            }
            for row in report.members
        },
        "categories": [
            {
                "category": row.category,
                "trades": row.trades,
                "volume": figures.amount(row.volume),
                "share": f"{row.share}",
            }
            for row in report.categories
        ],
        "trends": [
            {
                "month": str(p.month),
                "trades": p.trades,
                "volume": figures.amount(p.volume),
                "trading_members": p.trading_members,
            }
            for p in report.trends
        ],
    }


# ---------------------------------------------------------------- statements


def _period(statement: Statement) -> str:
    start = i18n.date_text(statement.start) if statement.start else _("the beginning")
    end = i18n.date_text(statement.end) if statement.end else _("today")
    return _("from {start} to {end}").format(start=start, end=end)


def statement_renderables(
    statement: Statement, roster: Roster, currency: str, decimals: int, width: int = TEXT_WIDTH
) -> list[RenderableType]:
    """The statement at `width` columns, laid out by `cli.tables` as the monthly
    report's tables: a join per line, so thousands of movements cost little to draw."""
    figures = _Figures(decimals, localized=True)
    member = roster.get(statement.member)
    name = f" ({member.name})" if member is not None else ""
    headings = [_(h) for h in (N_("date"), N_("counterparty"), N_("memo"), N_("amount"))]
    headings.append(_("balance"))
    rows = [["", _("opening balance"), "", "", figures.amount(statement.opening)]]
    rows += [
        [
            i18n.date_text(line.date, short=True),
            line.counterparty,
            line.memo,  # shown escaped by the table: a hand-written escape is not replayed
            figures.amount(line.amount),
            figures.amount(line.balance),
        ]
        for line in statement.lines
    ]
    rows.append(["", _("closing balance"), "", "", figures.amount(statement.closing)])
    table = table_text(headings, rows, right={3, 4}, width=width, sections={len(rows) - 1})
    footer = _("{count} movement(s): paid {paid}, received {received} {currency}").format(
        count=len(statement.lines),
        paid=figures.amount(statement.paid),
        received=figures.amount(statement.received),
        currency=currency,
    )
    title = _("Statement of {member}{name}, {period} ({currency})").format(
        member=statement.member, name=name, period=_period(statement), currency=currency
    )
    return [
        Text(title, "bold"),
        Text(table.rstrip("\n"), overflow="fold"),
        Text(footer),
    ]


def statement_csv(statement: Statement, decimals: int) -> str:
    figures = _Figures(decimals)
    start = statement.start.isoformat() if statement.start else ""
    end = statement.end.isoformat() if statement.end else ""
    rows: list[Sequence[str]] = [
        ("date", "kind", "counterparty", "memo", "amount", "balance", "trade"),
        (start, "opening", "", "", "", figures.amount(statement.opening), ""),
    ]
    rows += [
        (
            line.date.isoformat(),
            line.kind,
            line.counterparty,
            line.memo,
            figures.amount(line.amount),
            figures.amount(line.balance),
            line.trade_id or "",
        )
        for line in statement.lines
    ]
    rows.append((end, "closing", "", "", "", figures.amount(statement.closing), ""))
    return _csv(rows)


def statement_json(statement: Statement, currency: str, decimals: int) -> dict[str, Any]:
    figures = _Figures(decimals)
    return {
        "member": statement.member,
        "currency": currency,
        "from": statement.start.isoformat() if statement.start else None,
        "to": statement.end.isoformat() if statement.end else None,
        "opening": figures.amount(statement.opening),
        "closing": figures.amount(statement.closing),
        "paid": figures.amount(statement.paid),
        "received": figures.amount(statement.received),
        "lines": [
            {
                "date": line.date.isoformat(),
                "kind": line.kind,
                "counterparty": line.counterparty,
                "memo": line.memo,
                "amount": figures.amount(line.amount),
                "balance": figures.amount(line.balance),
                "trade": line.trade_id,
                "file": line.file,
                "line": line.line,
            }
            for line in statement.lines
        ],
    }
