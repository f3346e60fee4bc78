"""Transactions as plain JSON rows, for the caches that keep closed months' entries.

A row holds what a plain parse of a closed month gives: the date, flag, payee,
narration, tags, links, the entry's metadata (text, numbers, dates, booleans)
and each posting's account, number and currency. Anything else (a cost, a
price, a posting flag, an amount left for beancount to fill in, metadata of
another type) cannot be kept: `row_of` raises `NotKept` and the caller reads
the files. `entry_of` rebuilds the transaction from a row and raises
`cachefiles.CacheInvalid` (or the ValueError, TypeError or KeyError of a
malformed row) for anything that is not exactly what `row_of` writes: a cache
can make a command slower, never change what it prints.

    >>> from beancount.parser import parser
    >>> entries, _, _ = parser.parse_string(
    ...     '2026-11-02 * "pain"\\n  Assets:Members:alice  -12.50 SEL\\n'
    ...     '  Assets:Members:fournil  12.50 SEL\\n')
    >>> entry_of(row_of(entries[0])).postings == entries[0].postings
    True
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from beancount.core import amount, data

from coopledger.cache import cachefiles


class NotKept(Exception):
    """An entry a plain row cannot stand for: the caller reads its file."""


def _meta_value(value: object) -> list[Any]:
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, datetime.date):
        return ["D", value.isoformat()]
    raise NotKept(f"metadata of type {type(value).__name__}")


def _value_of(tagged: Any) -> object:
    tag, value = tagged
    if tag == "b" and isinstance(value, bool):
        return value
    if tag == "s" and isinstance(value, str):
        return value
    if tag == "d" and isinstance(value, str):
        return Decimal(value)
    if tag == "i" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tag == "D" and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    raise cachefiles.CacheInvalid(f"tag {tag!r}")


def row_of(entry: data.Transaction) -> list[Any]:
    """`entry` as a JSON row; NotKept when a row cannot stand for it."""
    postings = []
    for posting in entry.postings:
        units = posting.units
        if (
            not isinstance(units, amount.Amount)
            or not isinstance(units.number, Decimal)
            or not isinstance(units.currency, str)
            or posting.cost is not None
            or posting.price is not None
            or posting.flag is not None
        ):
            raise NotKept("a posting a plain parse does not complete")
        postings.append([posting.account, str(units.number), units.currency])
    meta = [[key, _meta_value(value)] for key, value in (entry.meta or {}).items()]
    return [
        entry.date.isoformat(),
        entry.flag,
        entry.payee,
        entry.narration,
        sorted(entry.tags or ()),
        sorted(entry.links or ()),
        meta,
        postings,
    ]


def entry_of(row: list[Any]) -> data.Transaction:
    """The transaction `row_of` made `row` from."""
    day, flag, payee, narration, tags, links, meta, postings = row
    return data.Transaction(
        {key: _value_of(value) for key, value in meta},
        datetime.date.fromisoformat(day),
        flag,
        payee,
        narration,
        frozenset(tags),
        frozenset(links),
        [
            data.Posting(account, amount.Amount(Decimal(number), currency), None, None, None, None)
            for account, number, currency in postings
        ],
    )
