"""Per-month figures of the journal: everything the monthly report reads from entries.

`month_figures(entries)` sums the journal month by month into `MonthFigures`:
trades, volume, who traded, fees collected, debt cleared, every member's net
movement, what it paid and received, the day of its last trade, and trades and
volume per category. `coopledger.reporting.reports` builds the whole report from these
figures and the roster and rules, whether they were just computed from every
entry (`report --no-cache`, `--rev`) or kept with the snapshot; one function
computes them, so both paths give the same report.

Figures of the same month add up (`MonthFigures.merge`), so one more entry is
one more merge (`add_entry`), and the figures of a journal equal the merged
figures of any split of it:

    >>> from beancount.parser.parser import parse_string
    >>> entries, _, _ = parse_string('''
    ... 2026-11-02 * "pain"
    ...   category: "alimentation"
    ...   Assets:Members:Alice    -40.00 SEL
    ...   Assets:Members:Fournil   40.00 SEL
    ... ''')
    >>> november = month_figures(entries)[Month(2026, 11)]
    >>> november.trades, november.volume, sorted(november.traders), november.net["alice"]
    (1, Decimal('40.00'), ['alice', 'fournil'], Decimal('-40.00'))

Kept with the snapshot (`MonthlyState`): one JSON file per month under
`months/` in the snapshot's cache folder (`coopledger.cache.cachefiles`: outside the
working tree; each value checked on reading), each tagged with a random token
that the snapshot's meta file names, and the figures of the entries `trade` added since
those files were written, held in the meta file itself. The meta file is what
`snapshot.load_valid` vouches for, so the month figures are never read without
a snapshot that still describes every input file, and a month file that is not
the one the meta names is never used. After `FOLD_AFTER` added entries they
are merged into their month files (one or two files, the months they fall in).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from coopledger.cache import cachefiles
from coopledger.cache.cachefiles import CacheInvalid
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.journal import as_trade
from coopledger.model.months import Month

CLEARING_KEY = "clearing"  # metadata of the entries of an applied clearing
MONTHS_DIR = "months"  # under the snapshot's cache folder
CLOSED_DIR = "closed"  # ... and the figures of closed months, by their folder's fingerprint
FOLD_AFTER = 256  # entries added by `trade` kept in the meta before they go to the month files


def _add(amounts: dict[str, Decimal], key: str, value: Decimal) -> None:
    amounts[key] = amounts[key] + value if key in amounts else value


@dataclass
class MonthFigures:
    """What one month of entries adds up to (members keyed by id)."""

    trades: int = 0
    volume: Decimal = Decimal(0)
    traders: set[str] = field(default_factory=set)
    fees: Decimal = Decimal(0)
    """What the cooperative's own accounts received (neither a member's nor an invoice's)."""
    cleared: Decimal = Decimal(0)
    """Invoice debt cancelled by entries with `clearing` metadata."""
    net: dict[str, Decimal] = field(default_factory=dict)
    """Every member posting, summed: the month's movement of each member's balance."""
    paid: dict[str, Decimal] = field(default_factory=dict)
    received: dict[str, Decimal] = field(default_factory=dict)
    last_trade: dict[str, datetime.date] = field(default_factory=dict)
    category_trades: dict[str | None, int] = field(default_factory=dict)
    category_volume: dict[str | None, Decimal] = field(default_factory=dict)

    def add(self, entry: data.Transaction) -> None:
        """Count one transaction of this month."""
        clearing = CLEARING_KEY in (entry.meta or {})
        for posting in entry.postings:
            number = posting.units.number if posting.units is not None else None
            if number is None:
                continue
            member = member_of_account(posting.account)
            if member is not None:
                _add(self.net, member, number)
                if number < 0:
                    _add(self.paid, member, -number)
                else:
                    _add(self.received, member, number)
            elif number > 0:
                obligation = obligation_of_account(posting.account)
                if obligation is None:
                    self.fees += number
                elif clearing and obligation[0] == "payable":
                    self.cleared += number
        trade = as_trade(entry)
        if trade is None:
            return
        self.trades += 1
        self.volume += trade.amount
        self.traders.update((trade.payer, trade.payee))
        for member in (trade.payer, trade.payee):
            known = self.last_trade.get(member)
            self.last_trade[member] = trade.date if known is None else max(known, trade.date)
        category = trade.category
        self.category_trades[category] = self.category_trades.get(category, 0) + 1
        self.category_volume[category] = (
            self.category_volume.get(category, Decimal(0)) + trade.amount
        )

    def merge(self, other: MonthFigures) -> None:
        """Add the figures of more entries of the same month."""
        self.trades += other.trades
        self.volume += other.volume
        self.traders |= other.traders
        self.fees += other.fees
        self.cleared += other.cleared
        for mine, theirs in (
            (self.net, other.net),
            (self.paid, other.paid),
            (self.received, other.received),
        ):
            for member, value in theirs.items():
                _add(mine, member, value)
        for member, day in other.last_trade.items():
            known = self.last_trade.get(member)
            self.last_trade[member] = day if known is None else max(known, day)
        for category, count in other.category_trades.items():
            self.category_trades[category] = self.category_trades.get(category, 0) + count
        for category, volume in other.category_volume.items():
            self.category_volume[category] = self.category_volume.get(category, Decimal(0)) + volume


Figures = dict[Month, MonthFigures]


cachefiles.allow(MonthFigures)  # the month files hold them


def add_entry(figures: Figures, entry: data.Directive) -> Month | None:
    """Count one more entry in `figures`; return its month (None: not a transaction)."""
    if not isinstance(entry, data.Transaction):
        return None
    month = Month.of(entry.date)
    target = figures.get(month)
    if target is None:
        target = figures[month] = MonthFigures()
    target.add(entry)
    return month


def month_figures(entries: Iterable[data.Directive]) -> Figures:
    """The figures of every month that has a transaction."""
    figures: Figures = {}
    for entry in entries:
        add_entry(figures, entry)
    return figures


# ---------------------------------------------------------------- kept with the snapshot

Writer = Callable[[Path, bytes], None]  # writes a file atomically (snapshot._write)


@dataclass
class MonthlyState:
    """The month figures as the snapshot keeps them.

    `tags` names the file of each month (`months/YYYY-MM.json` holds the tag
    and the figures); `pending` holds the figures of the entries added since
    those files were written. After a full build, `built` holds every month in
    memory until `save` writes them."""

    tags: dict[Month, str] = field(default_factory=dict)
    pending: Figures = field(default_factory=dict)
    pending_entries: int = 0
    built: Figures | None = None

    @classmethod
    def of_entries(cls, entries: Iterable[data.Directive]) -> MonthlyState:
        return cls(built=month_figures(entries))

    def saved(self) -> dict[str, Any]:
        """What the snapshot's meta file holds of it (`of_saved` reads it back)."""
        return {"tags": self.tags, "pending": self.pending, "pending_entries": self.pending_entries}

    @classmethod
    def of_saved(cls, saved: object) -> MonthlyState:
        """The state `saved` wrote, every value checked; else CacheInvalid."""
        if not (
            isinstance(saved, dict)
            and set(saved) == {"tags", "pending", "pending_entries"}
            and cachefiles.conforms(saved["tags"], dict[Month, str])
            and cachefiles.conforms(saved["pending"], Figures)
            and cachefiles.conforms(saved["pending_entries"], int)
        ):
            raise CacheInvalid("the month figures of the meta file")
        return cls(saved["tags"], saved["pending"], saved["pending_entries"])

    def add(self, entry: data.Directive) -> None:
        """Count an entry just accepted by `trade` (in memory; `save` keeps it)."""
        if self.built is not None:
            add_entry(self.built, entry)
        elif add_entry(self.pending, entry) is not None:
            self.pending_entries += 1

    def save(self, cache: Path, write: Writer, fold_after: int | None = None) -> None:
        """Write the month files that need it; the caller then writes the meta file,
        which holds this object's tags and pending figures."""
        folder = cache / MONTHS_DIR
        if self.built is not None:
            self.tags = {
                month: _write_month(folder, month, f, write) for month, f in self.built.items()
            }
            self.built, self.pending, self.pending_entries = None, {}, 0
            _remove_others(folder, set(self.tags))
            return
        if self.pending_entries < (FOLD_AFTER if fold_after is None else fold_after):
            return
        bases = {month: self._read(cache, month) for month in self.pending}
        if any(month in self.tags and base is None for month, base in bases.items()):
            return  # a month file is gone: the next report reads everything and rebuilds
        for month, delta in self.pending.items():
            base = bases[month] or MonthFigures()
            base.merge(delta)
            self.tags[month] = _write_month(folder, month, base, write)
        self.pending, self.pending_entries = {}, 0

    def figures_until(self, cache: Path | None, last: Month) -> Figures | None:
        """The figures of every month up to `last` (not to be changed), or None if a
        month file is missing or is not the one this state names (the caller then
        reads everything)."""
        if self.built is not None:
            return {month: f for month, f in self.built.items() if month <= last}
        figures: Figures = {}
        for month in self.tags:
            if month <= last:
                found = self._read(cache, month) if cache is not None else None
                if found is None:
                    return None
                figures[month] = found
        for month, delta in self.pending.items():
            if month <= last:
                figures.setdefault(month, MonthFigures()).merge(delta)
        return figures

    def _read(self, cache: Path, month: Month) -> MonthFigures | None:
        tag = self.tags.get(month)
        if tag is None:
            return None
        payload = cachefiles.read_file(cache / MONTHS_DIR / _file_name(month))
        try:
            saved = cachefiles.loads_as(payload, tuple[str, MonthFigures]) if payload else None
        except CacheInvalid:
            return None
        return saved[1] if saved is not None and saved[0] == tag else None


def _file_name(month: Month) -> str:
    return f"{month}.json"


def _write_month(folder: Path, month: Month, figures: MonthFigures, write: Writer) -> str:
    tag = secrets.token_hex(8)
    write(folder / _file_name(month), cachefiles.dumps((tag, figures)))
    return tag


def _remove_others(folder: Path, months: set[Month]) -> None:
    """Month files of months that no longer have any entry."""
    keep = {_file_name(month) for month in months}
    with contextlib.suppress(OSError), os.scandir(folder) as found:
        for item in found:
            if item.name.endswith(".json") and item.name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(item.path)


# ---------------------------------------------------------------- closed months


def keep_closed(
    cache: Path,
    key: str,
    month: Month,
    folder_print: str,
    figures: MonthFigures | None,
    write: Writer,
) -> None:
    """Keep the figures of a closed month (None: it has no transaction) for the
    folder whose close records `folder_print`; `key` names the code that made them."""
    write(cache / CLOSED_DIR / _file_name(month), cachefiles.dumps((key, folder_print, figures)))


def kept_closed(
    cache: Path, key: str, month: Month, folder_print: str
) -> tuple[bool, MonthFigures | None]:
    """(found, figures) of a closed month kept by `keep_closed` for the same
    folder fingerprint and code; (False, None) otherwise."""
    payload = cachefiles.read_file(cache / CLOSED_DIR / _file_name(month))
    try:
        hint = tuple[str, str, MonthFigures | None]
        saved = cachefiles.loads_as(payload, hint) if payload else None
    except CacheInvalid:
        return False, None
    if saved is None or saved[0] != key or saved[1] != folder_print:
        return False, None
    return True, saved[2]
