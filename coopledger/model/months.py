"""Calendar months: the period of a report, of `apply-rules`, of a close.

>>> Month.parse("2026-11").last
datetime.date(2026, 11, 30)
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from coopledger.model.problems import CoopError

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM`, or CoopError("bad-month")."""
        found = _MONTH.fullmatch(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
            raise CoopError("bad-month", value=text)
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: datetime.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def last_complete(cls, today: datetime.date) -> Month:
        return cls.of(today).previous()

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def minus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 - months
        return Month(index // 12, index % 12 + 1)

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last(self) -> datetime.date:
        following = Month(self.year + self.month // 12, self.month % 12 + 1)
        return following.first - datetime.timedelta(days=1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, datetime.date) and (day.year, day.month) == (self.year, self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
