"""Which trades a person asks for: by member, month, words, or by the start of an id.

>>> from coopledger.model.journal import Trade
>>> import datetime
>>> day = datetime.date(2026, 11, 2)
>>> t = Trade(day, "alice", "bob", Decimal(5), "jam", "2026-11-02-3fa9c1d2")
>>> [x.trade_id for x in select_trades([t], member="bob", month="2026-11", text="JAM")]
['2026-11-02-3fa9c1d2']
>>> matching_ids(["2026-11-02-3fa9c1d2", "2026-11-02-3fb00000"], "3fa")
['2026-11-02-3fa9c1d2']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal  # noqa: F401 - the docstring's example

from coopledger.model.journal import Trade
from coopledger.model.months import Month
from coopledger.model.problems import CoopError

_DATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-", re.ASCII)
SHOWN_CANDIDATES = 10


def select_trades(
    trades: Iterable[Trade],
    *,
    member: str | None = None,
    month: str | None = None,
    text: str | None = None,
) -> list[Trade]:
    """The trades `member` paid or was paid in, dated in `month` (YYYY-MM), whose
    memo, category or id hold every word of `text` (any case); by date."""
    wanted = None if month is None else Month.parse(month)
    words = (text or "").casefold().split()
    chosen = []
    for trade in trades:
        if member is not None and member not in (trade.payer, trade.payee):
            continue
        if wanted is not None and trade.date not in wanted:
            continue
        haystack = " ".join((trade.memo, trade.category or "", trade.trade_id or "")).casefold()
        if not all(word in haystack for word in words):
            continue
        chosen.append(trade)
    chosen.sort(key=lambda t: (t.date, t.trade_id or ""))
    return chosen


def matching_ids(ids: Sequence[str], given: str) -> list[str]:
    """The ids `given` is the start of: the whole id (2026-11-22-3fa9) or its part
    after the date (3fa9). An exact id matches alone."""
    if given in ids:
        return [given]
    if not given:
        return []
    found = []
    for trade_id in ids:
        after_date = trade_id[11:] if _DATED.match(trade_id) else trade_id
        if trade_id.startswith(given) or after_date.startswith(given):
            found.append(trade_id)
    return sorted(set(found))


def resolve_trade_id(ids: Sequence[str], given: str) -> str:
    """The one id `given` names (`matching_ids`); CoopError when none does (with the
    nearest id) or several do (listing them)."""
    found = matching_ids(ids, given)
    if len(found) == 1:
        return found[0]
    if found:
        shown = ", ".join(found[:SHOWN_CANDIDATES])
        more = len(found) - SHOWN_CANDIDATES
        if more > 0:
            shown += f" and {more} more"
        raise CoopError("ambiguous-trade", trade_id=given, candidates=shown)
    close = difflib.get_close_matches(given, list(ids), n=1)
    raise CoopError("unknown-trade", trade_id=given, suggestion=close[0] if close else "")
