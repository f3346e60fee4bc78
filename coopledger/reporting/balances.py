"""Balances, limits and headroom of every member at a date.

The cooperative's own accounts (rules.yaml `accounts:`) have a row each too;
members and cooperative accounts together sum to zero.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import Roster
from coopledger.model.rules import Rules
from coopledger.validation.checks import DayBalance, balance_at, coop_account_balances


@dataclass(frozen=True)
class BalanceRow:
    member: str
    name: str
    status: str
    balance: Decimal
    floor: Decimal | None
    ceiling: Decimal | None

    @property
    def spendable(self) -> Decimal | None:
        """How much more the member can pay before reaching its floor."""
        return None if self.floor is None else max(self.balance - self.floor, Decimal(0))

    @property
    def receivable(self) -> Decimal | None:
        """How much more the member can receive before reaching its ceiling."""
        return None if self.ceiling is None else max(self.ceiling - self.balance, Decimal(0))


def balance_rows(
    history: Mapping[str, Sequence[DayBalance]],
    roster: Roster,
    rules: Rules,
    at: datetime.date,
) -> list[BalanceRow]:
    """One row per member who had joined by `at`, in members.yaml order."""
    return [
        BalanceRow(
            member=member.id,
            name=member.name,
            status=member.status_at(at),
            balance=balance_at(history.get(member.id, ()), at),
            floor=floor_at(member, rules, at),
            ceiling=ceiling_at(member, rules, at),
        )
        for member in roster
        if member.joined <= at
    ]


@dataclass(frozen=True)
class CoopRow:
    """One of the cooperative's own accounts: `treasury`, Assets:Coop:Treasury."""

    name: str
    account: str
    balance: Decimal


def coop_rows(entries: Iterable[data.Directive], rules: Rules, at: datetime.date) -> list[CoopRow]:
    """One row per account under `accounts:` in rules.yaml, in that order."""
    return coop_rows_of(coop_account_balances(entries, rules.coop_accounts, at), rules)


def coop_rows_of(balances: Mapping[str, Decimal], rules: Rules) -> list[CoopRow]:
    """Rows for the cooperative's own accounts, given their balances."""
    return [
        CoopRow(a.name, a.account, balances.get(a.account, Decimal(0)))
        for a in rules.accounts.values()
    ]


def total(rows: Sequence[BalanceRow], coop: Sequence[CoopRow] = ()) -> Decimal:
    """The sum of the members' rows and the cooperative's: zero in a sound ledger."""
    members = sum((row.balance for row in rows), Decimal(0))
    return members + sum((row.balance for row in coop), Decimal(0))
