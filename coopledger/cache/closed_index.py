"""The closed months' entries, kept per month, so that a statement or an export
reads only the months it is asked about.

A closed month's folder is vouched for, byte for byte, by the `folder`
fingerprint its close records (`coopledger.cache.carry.read_opening` checks it before
the open period is read alone). What is in it therefore never changes while
that fingerprint holds: `month_entries` parses the folder once (beancount's
parser only: the month was checked as a whole when it was closed) and keeps its
transactions in this user's cache (`coopledger.cache.cachefiles`: outside the working
tree), as plain JSON rows keyed by the fingerprint and the code's version, with
the index of the transactions each member takes part in and each member's net
movement in the month. A kept file that is not exactly what this code writes,
or was written for another fingerprint, is parsed again: a cache can make a
command slower, never change what it prints.

`statement` and `trades` then answer from the open period (`store.load_open_period`)
and the months asked for:

- a member's balance at the start of a closed month is the last close's balance
  less the member's net movements from that month to the last closed one, so
  the months before the period asked need not be read;
- only the transactions of the member are rebuilt, and the very functions of a
  full read (`reports.statement`, `journal.trades_of`) run on them.

A month whose files hold what a plain parse cannot stand for alone (an amount left
for beancount to fill in, a cost or a price, metadata other than text, numbers,
dates and booleans) is not kept: the caller reads everything, and says why.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import beancount
from beancount.core import data
from beancount.parser import parser

import coopledger
from coopledger.cache import cachefiles
from coopledger.cache.carry import folder_files
from coopledger.cache.entry_rows import NotKept, entry_of, row_of
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.closing import Opening
from coopledger.model.journal import Levy, Trade, trades_of
from coopledger.model.months import Month

FORMAT = "closed-index 2"
KEY = f"coopledger {coopledger.__version__} beancount {beancount.__version__}"
INDEX_DIR = "closed-index"


class NotIndexed(Exception):
    """A closed month the index cannot stand for: read everything."""


@dataclass(frozen=True)
class MonthEntries:
    """A closed month's transactions, as a full read would hold them (but the
    postings' own metadata), with who takes part in which."""

    month: Month
    rows: list[Any]  # one JSON row per transaction, rebuilt on demand (`entry`)
    members: dict[str, list[int]]  # member -> the rows it takes part in, in order
    net: dict[str, Decimal]  # member -> its balance's movement over the month
    folder: str  # the month's folder, absolute

    def entry(self, number: int) -> data.Transaction:
        try:
            return entry_of(self.rows[number])
        except (TypeError, ValueError, InvalidOperation, KeyError, IndexError) as error:
            raise NotIndexed(f"the kept entries of {self.month} are not valid") from error

    def entries(self, member: str | None = None) -> list[data.Transaction]:
        """Every transaction of the month, or (`member`) those `member` takes part in."""
        numbers = range(len(self.rows)) if member is None else self.members.get(member, [])
        return [self.entry(n) for n in numbers]


# ---------------------------------------------------------------- who takes part


def _members_of(entry: data.Transaction) -> tuple[set[str], dict[str, Decimal]]:
    """Who takes part in `entry` (as `reports.statement` sees it) and how each moves."""
    taking: set[str] = set()
    moves: dict[str, Decimal] = {}
    for posting in entry.postings:
        who = member_of_account(posting.account)
        if who is not None:
            taking.add(who)
            number = posting.units.number if posting.units is not None else None
            moves[who] = moves.get(who, Decimal(0)) + (number or Decimal(0))
            continue
        obligation = obligation_of_account(posting.account)
        if obligation is not None:
            taking.add(obligation[1])
    return taking, moves


# ---------------------------------------------------------------- parsing and keeping


def _parsed_entries(folder: Path, month: Month) -> list[data.Transaction]:
    """The month's transactions, parsed from its folder's files (not close.beancount)
    in beancount's order; NotIndexed when a file does not parse alone."""
    entries: list[data.Transaction] = []
    for path in folder_files(folder):
        found, errors, _ = parser.parse_file(str(path))
        if errors:
            raise NotIndexed(f"{path.name} does not parse alone")
        for entry in found:
            if isinstance(entry, data.Transaction):
                if not month.first <= entry.date <= month.last:
                    raise NotIndexed(f"an entry of {path.name} is dated outside {month}")
                entries.append(entry)
    entries.sort(key=data.entry_sortkey)  # as beancount's loader orders them (a stable sort)
    return entries


def month_transactions(root: Path, folder: str) -> list[data.Transaction]:
    """The transactions of the closed month in `folder` (journal/YYYY/MM), parsed
    from its files as `month_entries` parses them, and not kept (what the
    monthly report's figures need, `snapshot`). NotIndexed as `month_entries`."""
    return _parsed_entries(root / folder, Month(int(folder[-7:-3]), int(folder[-2:])))


def _parsed(folder: Path, month: Month) -> tuple[list[Any], dict[str, list[int]], dict[str, str]]:
    entries = _parsed_entries(folder, month)
    rows: list[Any] = []
    members: dict[str, list[int]] = {}
    net: dict[str, Decimal] = {}
    for number, entry in enumerate(entries):
        try:
            rows.append(row_of(entry))
        except NotKept as why:
            raise NotIndexed(str(why)) from why
        taking, moves = _members_of(entry)
        for member in sorted(taking):
            members.setdefault(member, []).append(number)
        for member, move in moves.items():
            net[member] = net.get(member, Decimal(0)) + move
    return rows, members, {m: str(v) for m, v in net.items()}


def _file(cache: Path, month: Month) -> Path:
    return cache / INDEX_DIR / f"{month}.json"


def _kept(payload: bytes, key: str, folder_print: str) -> Any:
    """The kept rows, members and nets; CacheInvalid for anything else."""
    try:
        kept = json.loads(payload)
    except ValueError as error:
        raise cachefiles.CacheInvalid("not JSON") from error
    if not isinstance(kept, dict) or kept.get("format") != FORMAT:
        raise cachefiles.CacheInvalid("another format")
    if kept.get("key") != key or kept.get("print") != folder_print:
        raise cachefiles.CacheInvalid("another folder or code")
    rows, members, net = kept.get("rows"), kept.get("members"), kept.get("net")
    if not isinstance(rows, list) or not isinstance(members, dict) or not isinstance(net, dict):
        raise cachefiles.CacheInvalid("parts missing")
    for numbers in members.values():
        if not isinstance(numbers, list) or not all(
            isinstance(n, int) and 0 <= n < len(rows) for n in numbers
        ):
            raise cachefiles.CacheInvalid("a member's rows")
    if not all(isinstance(v, str) for v in net.values()):
        raise cachefiles.CacheInvalid("a net movement")
    return rows, members, net


def month_entries(
    root: Path, cache: Path | None, folder: str, folder_print: str, key: str = KEY
) -> MonthEntries:
    """The transactions of the closed month in `folder` (journal/YYYY/MM), whose
    close records `folder_print` (verified by the caller): kept ones when the
    cache holds them for that fingerprint, else parsed and kept. NotIndexed when
    the month's files cannot be read alone."""
    month = Month(int(folder[-7:-3]), int(folder[-2:]))
    where = root / folder
    cache = cache if cache is not None and cachefiles.usable(cache) else None  # ours alone
    if cache is not None:
        payload = cachefiles.read_file(_file(cache, month))
        if payload is not None:
            try:
                rows, members, net = _kept(payload, key, folder_print)
                nets = {m: Decimal(v) for m, v in net.items()}
                return MonthEntries(month, rows, members, nets, str(where))
            except (cachefiles.CacheInvalid, InvalidOperation):
                pass  # parsed again below
    rows, members, net = _parsed(where, month)
    if cache is not None:
        kept = {"format": FORMAT, "key": key, "print": folder_print}
        text = json.dumps({**kept, "rows": rows, "members": members, "net": net})
        try:
            (cache / INDEX_DIR).mkdir(mode=0o700, exist_ok=True)
            cachefiles.write_file(_file(cache, month), text.encode("utf-8"))
        except OSError:
            pass  # a cache that cannot be written only costs time
    return MonthEntries(month, rows, members, {m: Decimal(v) for m, v in net.items()}, str(where))


def _trade_row(trade: Trade) -> list[Any]:
    levies = [[levy.member, levy.account, str(levy.amount)] for levy in trade.levies]
    return [
        trade.date.isoformat(), trade.payer, trade.payee, str(trade.amount), trade.memo,
        trade.trade_id, trade.category, trade.file, trade.line, levies,
    ]  # fmt: skip


def _trade(row: list[Any]) -> Trade:
    day, payer, payee, number, memo, trade_id, category, file, line, levies = row
    for text in (payer, payee, number, memo):
        if not isinstance(text, str):
            raise cachefiles.CacheInvalid("a trade's field")
    for maybe in (trade_id, category, file):
        if maybe is not None and not isinstance(maybe, str):
            raise cachefiles.CacheInvalid("a trade's field")
    if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
        raise cachefiles.CacheInvalid("a trade's line")
    return Trade(
        date=datetime.date.fromisoformat(day),
        payer=payer,
        payee=payee,
        amount=Decimal(number),
        memo=memo,
        trade_id=trade_id,
        category=category,
        file=file,
        line=line,
        levies=tuple(Levy(str(m), str(a), Decimal(v)) for m, a, v in levies),
    )


def month_trades(
    root: Path, cache: Path | None, folder: str, folder_print: str, key: str = KEY
) -> list[Trade]:
    """The trades of the closed month in `folder` (`journal.trades_of` of its
    transactions, in their order), whose close records `folder_print` (verified by
    the caller): kept ones, else parsed and kept (a file of their own, so that an
    export reads no statement rows). NotIndexed when the month cannot be read alone."""
    month = Month(int(folder[-7:-3]), int(folder[-2:]))
    cache = cache if cache is not None and cachefiles.usable(cache) else None  # ours alone
    path = cache / INDEX_DIR / f"{month}.trades.json" if cache is not None else None
    payload = cachefiles.read_file(path) if path is not None else None
    if payload is not None:
        try:
            kept = json.loads(payload)
            if (
                isinstance(kept, dict)
                and kept.get("format") == FORMAT
                and kept.get("key") == key
                and kept.get("print") == folder_print
                and isinstance(kept.get("trades"), list)
            ):
                return [_trade(row) for row in kept["trades"]]
        except (ValueError, TypeError, InvalidOperation, cachefiles.CacheInvalid):
            pass  # parsed again below
    found = list(trades_of(_parsed_entries(root / folder, month)))
    if path is not None:
        kept = {"format": FORMAT, "key": key, "print": folder_print}
        text = json.dumps({**kept, "trades": [_trade_row(t) for t in found]})
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            cachefiles.write_file(path, text.encode("utf-8"))
    return found


Records = list[tuple[str, str]]  # (the ISO date of a trade, its record as written out)


def month_records(
    root: Path,
    cache: Path | None,
    folder: str,
    folder_print: str,
    form: str,
    records_of: Callable[[list[Trade]], Records],
    since: str = "",
    until: str = "9999-12-31",
    key: str = KEY,
) -> list[str]:
    """The records of the closed month's trades dated from `since` to `until` (ISO
    dates), as `records_of` writes them out (for instance one CSV record each, in
    export order), kept in the user's cache by the folder's fingerprint and `form`
    (what the records depend on: the writer, the currency's decimals): an export
    of a closed month then writes kept text, not a million trades rebuilt.
    NotIndexed when the month cannot be read alone."""
    month = Month(int(folder[-7:-3]), int(folder[-2:]))
    usable = cache if cache is not None and cachefiles.usable(cache) else None  # ours alone
    path = usable / INDEX_DIR / f"{month}.records.json" if usable is not None else None
    stamp = {"format": FORMAT, "key": key, "print": folder_print, "form": form}
    payload = cachefiles.read_file(path) if path is not None else None
    if payload is not None:
        with contextlib.suppress(cachefiles.CacheInvalid, ValueError, TypeError, KeyError):
            kept = json.loads(payload)
            if isinstance(kept, dict) and all(kept.get(k) == v for k, v in stamp.items()):
                return _records_within(kept["records"], str(month), since, until)
    found = records_of(month_trades(root, cache, folder, folder_print, key))
    if path is not None:
        text = json.dumps({**stamp, "records": found})
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            cachefiles.write_file(path, text.encode("utf-8"))
    return [text for day, text in found if since <= day <= until]


def _records_within(records: Any, month: str, since: str, until: str) -> list[str]:
    """The texts of the kept `records` dated from `since` to `until`, each record
    checked to be exactly what `month_records` keeps (CacheInvalid else), in one pass."""
    if type(records) is not list:
        raise cachefiles.CacheInvalid("records")
    chosen: list[str] = []
    for record in records:
        if type(record) is not list or len(record) != 2:
            raise cachefiles.CacheInvalid("a record")
        day, text = record
        if type(day) is not str or type(text) is not str or day[:7] != month:
            raise cachefiles.CacheInvalid("a record")
        if since <= day <= until:
            chosen.append(text)
    return chosen


def trades_until(
    root: Path, cache: Path | None, asked: Sequence[tuple[str, str]], last: datetime.date | None
) -> list[Trade]:
    """The trades of the closed months `asked` ((folder, fingerprint), oldest first)
    that begin by `last` (None: all)."""
    found: list[Trade] = []
    for folder, folder_print in asked:
        if last is None or Month(int(folder[-7:-3]), int(folder[-2:])).first <= last:
            found.extend(month_trades(root, cache, folder, folder_print))
    return found


# ---------------------------------------------------------------- answers


def months_asked(
    opening: Opening, first: datetime.date | None, last: datetime.date
) -> list[tuple[str, str]]:
    """The closed months' (folder, fingerprint) that hold a day from `first` to
    `last` (None: from the start), oldest first."""
    chosen = []
    for folder, folder_print in zip(opening.folders, opening.prints, strict=True):
        month = Month(int(folder[-7:-3]), int(folder[-2:]))
        if month.first <= last and (first is None or month.last >= first):
            chosen.append((folder, folder_print))
    return chosen


def balance_before(opening: Opening, months: Sequence[MonthEntries], member: str) -> Decimal:
    """`member`'s balance at the start of the first of `months`, which must be
    every closed month from it to the last one: the last close's balance less
    the member's movements in them."""
    moved = sum((m.net.get(member, Decimal(0)) for m in months), Decimal(0))
    return opening.balances.get(member, Decimal(0)) - moved


def member_entries(months: Iterable[MonthEntries], member: str) -> list[data.Transaction]:
    return [entry for month in months for entry in month.entries(member)]
