"""Values that change from a date on: limits, member statuses.

A timeline is a sorted tuple of (date, value). Before its first date a
timeline has no value, unless it was built from a plain value, which holds
from the beginning of time.

    >>> t = Timeline.constant(-500).changed(date(2026, 12, 1), -600)
    >>> t.at(date(2026, 11, 30)), t.at(date(2026, 12, 1))
    (-500, -600)
"""

from __future__ import annotations

import bisect
import datetime
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

BEGINNING = datetime.date(1, 1, 1)
date = datetime.date


@dataclass(frozen=True)
class Timeline(Generic[T]):
    changes: tuple[tuple[datetime.date, T], ...]

    @classmethod
    def constant(cls, value: T) -> Timeline[T]:
        return cls(((BEGINNING, value),))

    def at(self, day: datetime.date) -> T | None:
        index = bisect.bisect_right(self.changes, day, key=lambda change: change[0])
        return self.changes[index - 1][1] if index else None

    def changed(self, day: datetime.date, value: T) -> Timeline[T]:
        kept = tuple((d, v) for d, v in self.changes if d != day)
        return Timeline(tuple(sorted((*kept, (day, value)), key=lambda c: c[0])))

    @property
    def is_constant(self) -> bool:
        return len(self.changes) == 1 and self.changes[0][0] == BEGINNING

    @property
    def last(self) -> T | None:
        return self.changes[-1][1] if self.changes else None
