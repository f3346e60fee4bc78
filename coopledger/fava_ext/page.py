"""The figures of coopledger's page in fava, from the entries fava loaded.

fava loads `journal/main.beancount` (and so runs the coopledger plugin); the
page takes those entries with members.yaml and rules.yaml as they are now and
computes, with the functions `coopledger balances` and `coopledger report` use:

- every member's balance on today's date against its floor and ceiling, with
  its name from members.yaml;
- the monthly report of a month (by default the last complete one, as
  `coopledger report`): summary, members, categories and the twelve-month trend,
  the amounts written as `report --json` writes them;
- the trend as bars of an inline SVG chart (no script: it reads in any browser).

Nothing here imports fava, so it is tested as any other module; the words of
the page live in the template (templates/Coopledger.html).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from coopledger.model.members import Roster
from coopledger.model.money import format_amount
from coopledger.model.months import Month
from coopledger.model.problems import CoopError
from coopledger.model.rules import Rules
from coopledger.reporting.balances import BalanceRow, balance_rows
from coopledger.reporting.reports import MonthlyReport, monthly_report
from coopledger.validation.checks import daily_balances

CHART_WIDTH = 600
CHART_HEIGHT = 160
BAR_GAP = 4


@dataclass(frozen=True)
class Bar:
    """One month of the trend chart: where its bar stands and what it says."""

    month: str
    volume: str
    trades: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Page:
    today: datetime.date
    month: Month
    asked_month: str | None  # what ?month= held when it was no month (shown, not used)
    rules: Rules
    balances: tuple[BalanceRow, ...]
    report: MonthlyReport
    bars: tuple[Bar, ...]

    def amount(self, value: Decimal | None) -> str:
        """An amount as `report --json` writes it ("" for none)."""
        return "" if value is None else format_amount(value, self.rules.decimals)

    @property
    def previous_month(self) -> str:
        return str(self.month.previous())

    @property
    def next_month(self) -> str:
        return str(self.month.minus(-1))


def chosen_month(asked: str | None, today: datetime.date) -> tuple[Month, str | None]:
    """The month `?month=` asks for, else the last complete one (and what was
    asked when it was no month)."""
    if asked:
        try:
            return Month.parse(asked), None
        except CoopError:
            return Month.last_complete(today), asked
    return Month.last_complete(today), None


def trend_bars(report: MonthlyReport) -> tuple[Bar, ...]:
    """The trend's volumes as bars scaled to the chart's height."""
    points = report.trends
    if not points:
        return ()
    top = max((p.volume for p in points), default=Decimal(0)) or Decimal(1)
    width = CHART_WIDTH // len(points)
    bars = []
    for index, point in enumerate(points):
        height = int(point.volume / top * (CHART_HEIGHT - 20))
        bars.append(
            Bar(
                month=str(point.month),
                volume=format_amount(point.volume, report.decimals),
                trades=point.trades,
                x=index * width + BAR_GAP // 2,
                y=CHART_HEIGHT - 20 - height,
                width=max(width - BAR_GAP, 1),
                height=height,
            )
        )
    return tuple(bars)


def page_of(
    entries: Sequence[data.Directive],
    roster: Roster,
    rules: Rules,
    today: datetime.date,
    asked_month: str | None = None,
) -> Page:
    """Everything the page shows, from the entries fava loaded."""
    month, bad = chosen_month(asked_month, today)
    report = monthly_report(entries, roster, rules, month)
    history = daily_balances(entries)
    return Page(
        today=today,
        month=month,
        asked_month=bad,
        rules=rules,
        balances=tuple(balance_rows(history, roster, rules, today)),
        report=report,
        bars=trend_bars(report),
    )
