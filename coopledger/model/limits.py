"""The floor and ceiling in force for a member on a given day, and the room left.

A member's own limit (members.yaml) wins over the default of its kind
(rules.yaml) from the first date it is set; before that, the kind's applies.
`room_from` is how much a member can still pay and receive from a day on
without breaking a limit then or on any later day (clearing with credit).
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from coopledger.model.members import Member
from coopledger.model.rules import Rules
from coopledger.model.timeline import Timeline

if TYPE_CHECKING:
    from coopledger.model.days import DayBalance


def _at(timeline: Timeline[Decimal] | None, day: datetime.date) -> Decimal | None:
    return timeline.at(day) if timeline is not None else None


def _first(timeline: Timeline[Decimal] | None) -> Decimal | None:
    return timeline.changes[0][1] if timeline is not None and timeline.changes else None


def floor_at(member: Member, rules: Rules, day: datetime.date) -> Decimal | None:
    kind = rules.limits.get(member.kind)
    for value in (_at(member.floor, day), _at(kind.floor if kind else None, day)):
        if value is not None:
            return value
    return _first(kind.floor) if kind else None


def ceiling_at(member: Member, rules: Rules, day: datetime.date) -> Decimal | None:
    kind = rules.limits.get(member.kind)
    for value in (_at(member.ceiling, day), _at(kind.ceiling if kind else None, day)):
        if value is not None:
            return value
    return _first(kind.ceiling) if kind else None


def _change_days(member: Member, rules: Rules) -> set[datetime.date]:
    """The days on which one of the member's limits (its own or its kind's) changes."""
    kind = rules.limits.get(member.kind)
    timelines = (member.floor, member.ceiling, *((kind.floor, kind.ceiling) if kind else ()))
    return {day for timeline in timelines if timeline is not None for day, _ in timeline.changes}


def limit_change_days(member: Member, rules: Rules) -> list[datetime.date] | None:
    """The days on which one of the member's limits changes, in order: its floor
    and ceiling are the same from one of them to the next. None when a timeline's
    changes are out of order (then only a look-up per day can say)."""
    kind = rules.limits.get(member.kind)
    timelines = (member.floor, member.ceiling, *((kind.floor, kind.ceiling) if kind else ()))
    for timeline in timelines:
        if timeline is not None and any(
            a[0] > b[0] for a, b in zip(timeline.changes, timeline.changes[1:], strict=False)
        ):
            return None
    return sorted(_change_days(member, rules))


def room_from(
    member: Member, rules: Rules, series: Sequence[DayBalance], day: datetime.date
) -> tuple[Decimal | None, Decimal | None]:
    """How much `member` can still pay and receive on `day` with no limit broken then
    or on any later day: (room to its floor, room to its ceiling), None for no limit.

    `series` is its balance at the end of each day it moved (`checks.daily_balances`).
    A payment on `day` moves every later balance too, so the room is the least
    over `day`, every later day it moved and every later day a limit changes:
    the lowest balance stays at or above the floor in force, the highest at or
    below the ceiling. A limit already broken leaves no room (0).
    """
    dates = [point.date for point in series]
    later = sorted(d for d in {*dates, *_change_days(member, rules)} if d > day)
    pay: Decimal | None = None
    receive: Decimal | None = None
    for when in (day, *later):
        at = bisect.bisect_right(dates, when)
        balance = series[at - 1].closing if at else Decimal(0)
        floor, ceiling = floor_at(member, rules, when), ceiling_at(member, rules, when)
        if floor is not None:
            pay = balance - floor if pay is None else min(pay, balance - floor)
        if ceiling is not None:
            receive = ceiling - balance if receive is None else min(receive, ceiling - balance)
    return (
        None if pay is None else max(pay, Decimal(0)),
        None if receive is None else max(receive, Decimal(0)),
    )
