"""The floor and ceiling in force for a member on a given day.

A member's own limit (members.yaml) wins over the default of its kind
(rules.yaml) from the first date it is set; before that, the kind's applies.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from coopledger.members import Member
from coopledger.rules import Rules
from coopledger.timeline import Timeline


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
