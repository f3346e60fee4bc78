"""Amounts of the cooperative's currency.

Amounts are `Decimal`s with exactly the currency's number of decimal places;
floats never appear. User input accepts a dot or a French decimal comma.

    >>> parse_amount("40", 2)
    Decimal('40.00')
    >>> parse_amount("12,5", 2)
    Decimal('12.50')
    >>> format_amount(Decimal("-7.5"), 2)
    '-7.50'
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from coopledger.problems import CoopError

_AMOUNT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


@functools.lru_cache(maxsize=16)  # asked for every posting: build each quantum once
def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def has_excess_precision(value: Decimal, decimals: int) -> bool:
    """True when `value` cannot be written with `decimals` places without rounding."""
    return value != value.quantize(quantum(decimals))


def parse_amount(text: str, decimals: int) -> Decimal:
    """Parse a positive amount typed by a user, or raise `CoopError`."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _AMOUNT.match(cleaned):
        raise CoopError("amount-not-a-number", amount=text)
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        raise CoopError("amount-not-a-number", amount=text) from None
    if value <= 0:
        raise CoopError("amount-not-positive", amount=text)
    if has_excess_precision(value, decimals):
        raise CoopError("amount-too-precise", amount=text, decimals=str(decimals))
    return value.quantize(quantum(decimals))


def parse_limit(text: str, decimals: int) -> Decimal:
    """Parse a floor or ceiling typed by a user: any sign, zero allowed."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _AMOUNT.match(cleaned):
        raise CoopError("amount-not-a-number", amount=text)
    value = Decimal(cleaned.replace(",", "."))
    if has_excess_precision(value, decimals):
        raise CoopError("amount-too-precise", amount=text, decimals=str(decimals))
    return value.quantize(quantum(decimals))


def format_amount(value: Decimal, decimals: int) -> str:
    return f"{value.quantize(quantum(decimals)):f}"
