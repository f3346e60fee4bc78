"""Amounts of the cooperative's currency.

Amounts are `Decimal`s with exactly the currency's number of decimal places;
floats never appear. User input accepts a dot or a French decimal comma,
spaces grouping thousands as French writes them (`1 234,50`), ASCII digits
only, and no more than `MAX_AMOUNT` (10^15 units, which a
`Decimal`, beancount and a count of cents in 64 bits all hold).

    >>> parse_amount("40", 2)
    Decimal('40.00')
    >>> parse_amount("12,5", 2)
    Decimal('12.50')
    >>> parse_amount("1 234,50", 2)
    Decimal('1234.50')
    >>> format_amount(Decimal("-7.5"), 2)
    '-7.50'

A comma followed by exactly three digits after one to three digits (`1,000`)
is refused as ambiguous: it reads as a thousands separator in one country and
as a decimal mark in another; so is a dot there (`2.500`) when the currency
has fewer than three decimals and the digits would otherwise be accepted.
"""

from __future__ import annotations

import functools
import re
from decimal import Context, Decimal, InvalidOperation

from coopledger.model.problems import CoopError

MAX_AMOUNT = Decimal(10) ** 15  # the largest amount anywhere: 1,000,000,000,000,000 units
MAX_AMOUNT_TEXT = "1000000000000000 (10^15)"

_AMOUNT = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?", re.ASCII)
# spaces grouping thousands: 1 234 567,50 (a space, a no-break or a narrow no-break space)
_SPACE = re.compile("[ \u00a0\u202f]")
_SPACED = re.compile("[+-]?[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+(?:[.,][0-9]+)?", re.ASCII)
# one to three digits, then a separator and exactly three digits: 1,000 or 2.500
_GROUPED = re.compile(r"[+-]?[1-9][0-9]{0,2}([.,])[0-9]{3}", re.ASCII)


@functools.lru_cache(maxsize=16)  # asked for every posting: build each quantum once
def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _wide(value: Decimal, decimals: int) -> Context:
    """A context precise enough to quantize `value` (beyond the default 28 digits)."""
    return Context(prec=max(28, value.adjusted() + decimals + 2), Emax=10**9, Emin=-(10**9))


def has_excess_precision(value: Decimal, decimals: int) -> bool:
    """True when `value` cannot be written with `decimals` places without rounding."""
    try:
        return value != value.quantize(quantum(decimals))
    except InvalidOperation:  # a huge number (from a hand-written file), or not finite
        if not value.is_finite():
            return True
        return value != value.quantize(quantum(decimals), context=_wide(value, decimals))


def is_too_large(value: Decimal) -> bool:
    """True beyond `MAX_AMOUNT` either way (or not a finite number)."""
    return not value.is_finite() or abs(value) > MAX_AMOUNT


def _ambiguous(cleaned: str, separator: str, decimals: int) -> bool:
    """`1,000` always; `1.000` when the currency has fewer than three decimals and
    the three digits end in zeros (`1.234` is refused as too precise anyway)."""
    if separator == ",":
        return True
    return decimals < 3 and not has_excess_precision(Decimal(cleaned), decimals)


def _checked_number(text: str, decimals: int) -> Decimal:
    """The number in `text`, or CoopError: not a number, ambiguous, too large or precise."""
    # spaces group thousands as French writes them: 1 234,50 (no-break and narrow too)
    spaced = text.strip()
    if _SPACE.search(spaced):
        if not _SPACED.fullmatch(spaced):
            raise CoopError("amount-not-a-number", amount=text)
        spaced = _SPACE.sub("", spaced)
    cleaned = spaced
    if not _AMOUNT.fullmatch(cleaned):
        raise CoopError("amount-not-a-number", amount=text)
    grouped = _GROUPED.fullmatch(cleaned)
    if grouped and _ambiguous(cleaned, grouped.group(1), decimals):
        sign = cleaned[0] if cleaned[0] in "+-" else ""
        whole, fraction = re.split(r"[.,]", cleaned.lstrip("+-"))
        as_decimal = Decimal(f"{sign}{whole}.{fraction}")
        if not has_excess_precision(as_decimal, decimals):
            as_decimal = as_decimal.quantize(quantum(decimals))
        raise CoopError(
            "amount-ambiguous",
            amount=text,
            thousands=f"{sign}{whole}{fraction}",
            decimal=as_decimal,
        )
    value = Decimal(cleaned.replace(",", "."))
    if is_too_large(value):
        raise CoopError("amount-too-large", amount=text, most=MAX_AMOUNT_TEXT)
    if has_excess_precision(value, decimals):
        raise CoopError("amount-too-precise", amount=text, decimals=decimals)
    return value.quantize(quantum(decimals))


def parse_amount(text: str, decimals: int) -> Decimal:
    """Parse a positive amount typed by a user, or raise `CoopError`."""
    value = _checked_number(text, decimals)
    if value <= 0:
        raise CoopError("amount-not-positive", amount=text)
    return value


def parse_limit(text: str, decimals: int) -> Decimal:
    """Parse a floor or ceiling typed by a user: any sign, zero allowed."""
    return _checked_number(text, decimals)


def rounded(value: Decimal, decimals: int) -> Decimal:
    """`value` with exactly `decimals` places, as a problem's fact (the renderer
    writes it in the reader's language: `Decimal("-7.50")` reads -7,50 in French)."""
    try:
        return value.quantize(quantum(decimals))
    except InvalidOperation:  # a huge number from a hand-written file
        if not value.is_finite():
            return value
        return value.quantize(quantum(decimals), context=_wide(value, decimals))


def format_amount(value: Decimal, decimals: int) -> str:
    try:
        return f"{value.quantize(quantum(decimals)):f}"
    except InvalidOperation:  # a huge number from a hand-written file: say it as it is
        if not value.is_finite():
            return str(value)
        return f"{value.quantize(quantum(decimals), context=_wide(value, decimals)):f}"
