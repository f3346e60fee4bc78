"""Today, from one place: the only module that asks the system for the date.

Every command takes "today" from `today()`, so that a test, a script or a
treasurer catching up on last month's slips can set it, as hledger's
`--today` does:

- the global option `coopledger --today 2026-11-30 ...` (`set_today`), else
- the environment variable `COOPLEDGER_TODAY=2026-11-30`, else
- the system's date.

    >>> set_today(datetime.date(2026, 12, 1)); today()
    datetime.date(2026, 12, 1)
    >>> set_today(None)
"""

from __future__ import annotations

import datetime
import os

from coopledger.model.problems import CoopError

TODAY_VARIABLE = "COOPLEDGER_TODAY"

_chosen: datetime.date | None = None


def set_today(day: datetime.date | None) -> None:
    """Make `day` today for this process (None: back to the environment/system)."""
    global _chosen
    _chosen = day


def today() -> datetime.date:
    """The date commands take as today (see the module's docstring)."""
    if _chosen is not None:
        return _chosen
    given = os.environ.get(TODAY_VARIABLE)
    if given:
        try:
            return datetime.date.fromisoformat(given.strip())
        except ValueError:
            raise CoopError("bad-today", value=given, variable=TODAY_VARIABLE) from None
    return datetime.date.today()
