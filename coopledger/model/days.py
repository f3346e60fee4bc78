"""A member's balance day by day: the value checks, limits and clearing share.

`checks.daily_balances` builds a series of `DayBalance` per member, one for
every day on which the member moved; `limits` reads the room left in it and
`clearing` the positions. It lives here, below all three, so that none of them
imports another to name it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)  # a million of them at 1M trades: no dict each
class DayBalance:
    """A member's balance at the end of a day on which it moved."""

    date: datetime.date
    closing: Decimal
    net: Decimal
    file: str | None
    line: int | None
    charged: Decimal = Decimal(0)  # the part of `net` charged by periodic rules
