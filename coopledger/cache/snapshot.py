"""A snapshot of the validated cooperative, so small changes cost small work.

After a full load (every file parsed and every check run), the commands that
care about speed — `trade`, `check`, `balances`, `report` — save what they need
in this user's cache folder for the repository (`coopledger.cache.cachefiles`:
outside the working tree, so that nothing a pull request commits is read as a
cache), as JSON and one plain array of numbers, never as pickles:

- the stamp (size, mtime, ctime, inode) of every input file: rules.yaml,
  members.yaml and every journal file beancount read;
- the rules and members as parsed, and every problem found;
- for every member, its movements aggregated per day (`checks.DayMoves`),
  sharded into 1024 buckets so that a trade reads two small files (only the
  buckets that hold a member are written: the meta file names them, so that a
  cooperative of a few members writes a few files, not 1024);
- a sorted array of 64-bit hashes of every trade id (`ids.bin`, read through
  mmap: a trade touches a few pages), and the hashes added since in the meta file;
- every member's latest balance (the members a trade moved since in the meta);
- for every folder under journal/, its stamp and a digest of the names in it
  beancount would read, so that git's ids can vouch for the content without a
  look at each file (see `load_valid`);
- the monthly report's figures, one file per month (`coopledger.cache.aggregates`).

A snapshot is used only if every input file's stamp is exactly what it was
when it was saved and no file was added or removed: any edit, new hand-written
file, rename, deletion or switch of git branch changes a stamp or the file set,
and the command falls back to the full load. When git says the working tree is
clean and HEAD holds the very content the snapshot was saved for, the stamps
need not be compared; only a file git does not see (ignored) could then differ,
and such a file changes the folder records. The code versions are part of the
key too. A stale snapshot therefore never hides a problem.

`trade` then checks the new entry incrementally with the very functions the
full check uses (`check_postings` on the entry, `check_limits` on the payer's
and payee's rebuilt day balances, the trade id against the hashes) and falls
back to the full check whenever the entry could interact with anything else:
a date on or before a balance assertion (closed months), hand-written account
closings, or an id hash that matches.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import datetime
import functools
import hashlib
import json
import mmap
import os
import secrets
import sys
import time
import typing
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import beancount
from beancount.core import data

import coopledger
from coopledger.cache import cachefiles
from coopledger.cache.aggregates import MonthlyState, keep_closed, kept_closed, month_figures
from coopledger.cache.cachefiles import CacheInvalid
from coopledger.git.gitrepo import tracked_files
from coopledger.model.journal import MAIN_FILE, TRADE_ID_KEY, as_trade
from coopledger.model.members import MEMBERS_FILE, Member, Roster
from coopledger.model.months import Month
from coopledger.model.problems import Problem
from coopledger.model.rules import RULES_FILE, Rules
from coopledger.validation.checks import (
    CarriedMoves,
    DayBalance,
    DayMoves,
    MemberDays,
    add_entry_moves,
    balance_at,
    check_limits,
    check_postings,
    series_of,
)

if TYPE_CHECKING:
    from coopledger.model.closing import Opening

_ONE_DAY = datetime.timedelta(days=1)
BUCKETS = 1024
IDS_HEADER = 64  # bytes before the sorted id hashes: the generation, padded
MERGE_IDS_AFTER = 4096  # id hashes kept in the meta before they are merged into ids.bin
MERGE_LATEST_AFTER = 2048  # members kept in the meta before latest.json is rewritten
RACY_NS = 2_000_000_000  # a folder changed this recently may change again unseen
LIMIT_CODES = frozenset({"below-floor", "above-ceiling"})
_KEY = (
    f"coopledger {coopledger.__version__} beancount {beancount.__version__} "
    f"python {sys.version_info[:2]} format 8"
)

Stamp = tuple[int, int, int, int]
DirRecord = tuple[Stamp | None, int, int]  # (stamp or None: racy, names, digest of the names)


class NeedsFullCheck(Exception):
    """The incremental path cannot vouch for this change; do the full check."""


@dataclass
class Snapshot:
    key: str
    stamps: dict[str, Stamp] | None  # None: unknown, only the content key can vouch
    rules: Rules
    roster: Roster
    problems: list[Problem]
    last_date: datetime.date | None
    trade_count: int
    full_check_until: datetime.date | None  # entries dated up to here need the full check
    has_closings: bool
    coop_days: dict[str, dict[datetime.date, Decimal]]  # the cooperative's own accounts
    content_key: str | None  # gitrepo.committed_content_key of the files, when clean
    monthly: MonthlyState | None = None  # the monthly report's figures (cache.aggregates)
    dirs: dict[str, DirRecord] | None = None  # folders under journal/ (`journal_dirs`)
    carried_month: str | None = None  # built from the months after this closed one
    starts: datetime.date | None = None  # ... from this day on: it knows nothing before
    latest_changed: dict[str, Decimal] = field(default_factory=dict)  # since latest.json
    latest_generation: str | None = None
    ids_extra: list[int] = field(default_factory=list)  # id hashes added since ids.bin
    ids_generation: str | None = None
    filled: list[int] = field(default_factory=list)  # the buckets saved with members, sorted
    root: Path = field(default=Path("."), repr=False)
    cache: Path | None = field(default=None, repr=False)  # `cache_of(root)`
    fresh: bool = field(default=False, repr=False)  # built in memory, never saved
    setup_generation: str | None = field(default=None, repr=False)  # of the saved rules, roster
    stamps_generation: str | None = field(default=None, repr=False)  # of the saved stamps
    _buckets: dict[int, dict[str, MemberDays]] = field(default_factory=dict, repr=False)
    _ids: Any = field(default=None, repr=False)  # sorted id hashes: an array, or a view of ids.bin
    _latest: dict[str, Decimal] | None = field(default=None, repr=False)  # of latest.json

    # ------------------------------------------------------------ reading parts

    def days_of(self, member: str) -> MemberDays:
        bucket = self._bucket(bucket_of(member))
        return bucket.setdefault(member, {})

    def _bucket(self, number: int) -> dict[str, MemberDays]:
        """One bucket's members and their days, or NeedsFullCheck when its file
        is missing or is not one this module writes (every bucket the meta file
        names as `filled` is written; the others hold no member)."""
        if number not in self._buckets:
            if number not in self._filled:
                self._buckets[number] = {}
                return self._buckets[number]
            payload = None
            if self.cache is not None:
                payload = cachefiles.read_file(self.cache / "buckets" / f"{number:04d}.json")
            if payload is None:
                raise NeedsFullCheck("a bucket of the snapshot is missing")
            try:
                self._buckets[number] = _bucket_of_json(payload)
            except CacheInvalid:
                raise NeedsFullCheck("a bucket of the snapshot is not valid") from None
        return self._buckets[number]

    @functools.cached_property
    def _filled(self) -> frozenset[int]:
        return frozenset(self.filled)

    def all_days(self) -> dict[str, MemberDays]:
        result: dict[str, MemberDays] = {}
        for number in sorted({*self._filled, *self._buckets}):
            result.update(self._bucket(number))
        return result

    def answers_for(self, day: datetime.date | None) -> bool:
        """Whether balances at the end of `day` can be read here: a snapshot built
        from the open months knows each balance from the last closed day on."""
        if self.starts is None or day is None:
            return True
        return day >= self.starts - datetime.timedelta(days=1)

    def history(self) -> dict[str, list[DayBalance]]:
        return {member: series_of(days) for member, days in self.all_days().items() if days}

    def history_at(self, day: datetime.date) -> dict[str, list[DayBalance]]:
        """Like `history`, but from the latest balances alone when `day` is after
        every entry (one point per member: no bucket is read)."""
        if self.last_date is None or day >= self.last_date:
            return {
                member: [DayBalance(self.last_date or day, balance, Decimal(0), None, None)]
                for member, balance in self.latest.items()
            }
        return self.history()

    @property
    def latest(self) -> dict[str, Decimal]:
        """Every member's latest balance (reads latest.json)."""
        if self._latest is None:
            base = _decimals(_read_part(self.cache, "latest", self.latest_generation))
            if not isinstance(base, dict):  # lost: the buckets hold the same
                base = {m: balance_at(series_of(d), None) for m, d in self.all_days().items()}
            self._latest = base
        return {**self._latest, **self.latest_changed}

    def _ids_base(self) -> Any:
        """The sorted hashes of ids.bin, read through mmap (a lookup touches a few pages)."""
        if self._ids is None:
            if self.cache is None:
                raise NeedsFullCheck("no id hashes")
            try:
                fd = os.open(self.cache / "ids.bin", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "rb") as handle:
                    mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                raise NeedsFullCheck("no id hashes") from None
            header = bytes(mapped[:IDS_HEADER]).rstrip(b"\0").decode("ascii", "replace")
            if header != self.ids_generation or (len(mapped) - IDS_HEADER) % 8:
                raise NeedsFullCheck("id hashes of another snapshot")
            self._ids = memoryview(mapped)[IDS_HEADER:].cast("q")
        return self._ids

    @property
    def ids(self) -> array.array[int]:
        """Every trade id hash, sorted."""
        return array.array("q", sorted([*self._ids_base(), *self.ids_extra]))

    def has_id(self, trade_id: str) -> bool:
        value = id_hash(trade_id)
        ids = self._ids_base()
        index = bisect.bisect_left(ids, value)
        return (index < len(ids) and ids[index] == value) or value in self.ids_extra

    def balance(self, member: str) -> Decimal:
        if member in self.latest_changed:
            return self.latest_changed[member]
        if self._latest is not None:
            return self._latest.get(member, Decimal(0))
        return balance_at(series_of(self.days_of(member)), None)  # the bucket says the same


def bucket_of(member: str) -> int:
    return zlib.crc32(member.encode("utf-8")) % BUCKETS


def id_hash(trade_id: str) -> int:
    digest = hashlib.blake2b(trade_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


# ---------------------------------------------------------------- stamps


def _stamp(path: str) -> Stamp:
    info = os.stat(path)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


class InputStamps(dict[str, Stamp]):
    """File stamps, with the records of the folders they were found in (`dirs`)."""

    dirs: dict[str, DirRecord]


def input_stamps(root: Path) -> InputStamps | None:
    """The stamp of rules.yaml, members.yaml and every visible *.beancount under journal/,
    and a record of every folder (`InputStamps.dirs`).

    Taken before a full load, so that a file changed during the load does not
    match the snapshot saved after it.
    """
    base = str(root)
    stamps = InputStamps()
    stamps.dirs = {}
    try:
        for name in (RULES_FILE, MEMBERS_FILE):
            stamps[name] = _stamp(os.path.join(base, name))
        folders = ["journal"]
        while folders:
            folder = folders.pop()
            before = _dir_stamp(os.path.join(base, folder))  # before the listing
            names = 0
            digest = 0
            with os.scandir(os.path.join(base, folder)) as found:
                for item in found:
                    if item.name.startswith("."):
                        continue
                    name = f"{folder}/{item.name}"
                    if item.is_dir(follow_symlinks=False):
                        folders.append(name)
                        names, digest = names + 1, digest + _name_hash(item.name + "/")
                    elif item.name.endswith(".beancount"):
                        info = item.stat()
                        stamps[name] = (
                            info.st_size,
                            info.st_mtime_ns,
                            info.st_ctime_ns,
                            info.st_ino,
                        )
                        names, digest = names + 1, digest + _name_hash(item.name)
            stamps.dirs[folder] = (before, names, digest % 2**64)
    except OSError:
        return None
    return stamps


def _name_hash(name: str) -> int:
    encoded = name.encode("utf-8", "surrogateescape")
    return zlib.crc32(encoded) << 32 | zlib.adler32(encoded)


def _dir_stamp(path: str) -> Stamp | None:
    """A folder's stamp, or None when it changed so recently that a file added in
    the same clock tick would leave it as it is (then its names are read again)."""
    info = os.stat(path)
    if info.st_mtime_ns > time.time_ns() - RACY_NS or info.st_ctime_ns > time.time_ns() - RACY_NS:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def _listing(path: str) -> tuple[int, int]:
    """How many names beancount's glob could read in folder `path`, and their digest."""
    names = 0
    digest = 0
    with os.scandir(path) as found:
        for item in found:
            if item.name.startswith("."):
                continue
            if item.is_dir(follow_symlinks=False):
                names, digest = names + 1, digest + _name_hash(item.name + "/")
            elif item.name.endswith(".beancount"):
                names, digest = names + 1, digest + _name_hash(item.name)
    return names, digest % 2**64


def dirs_hold(root: Path, dirs: dict[str, DirRecord] | None) -> bool:
    """Whether every folder under journal/ still holds the names it held when
    `dirs` was recorded (a folder whose stamp is unchanged is not read).

    A folder read and found to hold its names gets the stamp it had before it
    was read, once that stamp is no longer racy (`_dir_stamp`): a snapshot built
    right after a clone (every folder just made) is then not listed folder by
    folder by every command for good, only until its next save (a trade)."""
    if not dirs:
        return False
    base = str(root)
    try:
        for folder, (stamp, names, digest) in dirs.items():
            path = os.path.join(base, folder)
            if stamp is not None:
                info = os.stat(path)
                if stamp == (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino):
                    continue
            now = _dir_stamp(path)  # before the names are read: a later change changes it
            if _listing(path) != (names, digest):
                return False
            if now is not None:
                dirs[folder] = (now, names, digest)
    except OSError:
        return False
    return True


def _dirs_after_writing(
    root: Path,
    dirs: dict[str, DirRecord] | None,
    written: tuple[str, ...],
    created: frozenset[str] | None = None,
) -> dict[str, DirRecord] | None:
    """The folder records once `written` (journal files this process just wrote)
    are in place; None when a folder holds anything else new: then the records
    cannot vouch any more.

    `created` names the files of `written` that did not exist before: then the
    records are not read again, only counted on. The folder written in is
    recorded without a stamp (it has just changed), so the next command lists
    it and finds anything added meanwhile. Without `created`, or when a new
    folder was made, the folders are listed now (`_dirs_listed_after_writing`)."""
    if dirs is None:
        return None
    if created is None:
        return _dirs_listed_after_writing(root, dirs, written)
    result = dict(dirs)
    for path in written:
        parts = path.split("/")
        if parts[0] != "journal" or len(parts) < 2:
            continue
        folders = ["/".join(parts[:depth]) for depth in range(1, len(parts))]
        if any(folder not in result for folder in folders):
            return _dirs_listed_after_writing(root, dirs, written)  # a new folder
        _, names, digest = result[folders[-1]]
        if path in created:
            names, digest = names + 1, (digest + _name_hash(parts[-1])) % 2**64
        result[folders[-1]] = (None, names, digest)
    return result


def _dirs_listed_after_writing(
    root: Path, dirs: dict[str, DirRecord], written: tuple[str, ...]
) -> dict[str, DirRecord] | None:
    """`_dirs_after_writing`, by listing every folder on the way to `written`."""
    result = dict(dirs)
    expected: dict[str, set[str]] = {}  # folder -> names the write may have added
    for path in written:
        parts = path.split("/")
        if parts[0] != "journal" or len(parts) < 2:
            continue
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            child = parts[depth] + ("/" if depth < len(parts) - 1 else "")
            expected.setdefault(folder, set()).add(child)
    base = str(root)
    for folder, children in expected.items():
        try:
            stamp = _dir_stamp(os.path.join(base, folder))
            names, digest = _listing(os.path.join(base, folder))
        except OSError:
            return None
        _, old_names, old_digest = result.get(folder, (None, 0, 0))
        allowed = {(old_names, old_digest)}
        for child in children:  # each child may be new, or already there
            allowed |= {(n + 1, (d + _name_hash(child)) % 2**64) for n, d in allowed}
        if folder not in result and folder != "journal":
            allowed = {(n, d) for n, d in allowed if n > 0}
        if (names, digest) not in allowed:
            return None
        result[folder] = (stamp, names, digest)
    return result


# ---------------------------------------------------------------- building


def build(
    root: Path,
    rules: Rules,
    roster: Roster,
    entries: list[data.Directive],
    problems: list[Problem],
    stamps: dict[str, Stamp],
    content_key: str | None = None,
    opening: Opening | None = None,
    closed_figures: bool = False,
) -> Snapshot:
    """The snapshot of a loaded cooperative (not yet saved): of every entry, or
    (`opening`) of the open months after the balances the last close carries
    (with `closed_figures`, the closed months' report figures that are not kept
    computed from their files: `_monthly`)."""
    days_by_member: dict[str, MemberDays] = {}
    ids: list[int] = []
    trade_count = opening.trades if opening else 0
    # beancount checks a balance assertion against the entries dated before it: an
    # entry dated on the assertion's own day or later cannot break it. The last
    # close's assertions are dated on its opening day, so a trade on that day (the
    # 1st after closing last month) is checked on the open months like any other.
    full_until: datetime.date | None = opening.day - _ONE_DAY if opening else None
    has_closings = False
    last_date: datetime.date | None = None
    coop_days: dict[str, dict[datetime.date, Decimal]] = {}
    if opening is not None:
        last_closed = opening.day - datetime.timedelta(days=1)
        where = (opening.file or "", opening.line or 0)
        for member, balance in opening.balances.items():
            if balance:
                days_by_member[member] = {last_closed: CarriedMoves(balance, last_positive=where)}
        for account, balance in opening.coop_balances.items():
            if balance:
                coop_days[account] = {last_closed: balance}
        last_date = last_closed
    for entry in entries:
        add_entry_moves(days_by_member, entry, str(root))
        _add_coop_moves(coop_days, entry, rules)
        if isinstance(entry, data.Transaction):
            last_date = entry.date if last_date is None else max(last_date, entry.date)
            trade_id = (entry.meta or {}).get(TRADE_ID_KEY)
            if trade_id is not None:
                ids.append(id_hash(str(trade_id)))
            trade_count += as_trade(entry) is not None
        elif isinstance(entry, (data.Balance, data.Pad)):
            # a pad's amount depends on the entries up to the next assertion: kept whole
            until = entry.date - _ONE_DAY if isinstance(entry, data.Balance) else entry.date
            full_until = until if full_until is None else max(full_until, until)
        elif isinstance(entry, data.Close):
            has_closings = True
    buckets: dict[int, dict[str, MemberDays]] = {n: {} for n in range(BUCKETS)}
    latest: dict[str, Decimal] = {}
    for member, days in days_by_member.items():
        buckets[bucket_of(member)][member] = days
        latest[member] = balance_at(series_of(days), None)
    snapshot = Snapshot(
        key=_KEY,
        stamps=dict(stamps),
        rules=rules,
        roster=roster,
        problems=list(problems),
        last_date=last_date,
        trade_count=trade_count,
        full_check_until=full_until,
        has_closings=has_closings,
        coop_days=coop_days,
        content_key=content_key,
        monthly=MonthlyState.of_entries(entries)
        if opening is None
        else _monthly(root, entries, opening, closed_figures),
        carried_month=opening.month if opening else None,
        starts=opening.day if opening else None,
        dirs=dict(getattr(stamps, "dirs", None) or {}) or None,
        root=root,
        cache=cache_of(root),
        fresh=True,
        _buckets=buckets,
        _ids=array.array("q", sorted(ids)),
        _latest=latest,
    )
    return snapshot


def _monthly(
    root: Path, entries: list[data.Directive], opening: Opening, fill: bool = False
) -> MonthlyState | None:
    """The month figures of the open months, and of the closed ones as `close`
    kept them (`keep_closed_figures`) for the very folders `opening` vouched for.

    A closed month whose figures are not kept (a fresh clone, another user, a
    cache emptied or written by another version, months closed on another
    machine) has them (`fill`: `report` asks) computed from its own folder's
    files, parsed as the closed months' index parses them
    (`closed_index.month_transactions`; the folder is vouched for by its
    fingerprint), and kept. Else None: a `trade` on a fresh clone does not parse
    every closed month for a report nobody asked; `report` then reads the open
    period again, with `fill`. None too when such a month cannot be read alone
    (`report` then reads everything)."""
    from coopledger.cache import closed_index

    figures = month_figures(entries)
    cache = cache_of(root)
    if cache is None or not cachefiles.usable(cache):
        return None
    for folder, folder_print in zip(opening.folders, opening.prints, strict=True):
        month = Month(int(folder[-7:-3]), int(folder[-2:]))  # journal/YYYY/MM
        found, closed = kept_closed(cache, _KEY, month, folder_print)
        if not found and not fill:
            return None
        if not found:
            try:
                closed = month_figures(closed_index.month_transactions(root, folder)).get(month)
            except closed_index.NotIndexed:
                return None
            with contextlib.suppress(OSError):  # a cache only saves time
                keep_closed(cache, _KEY, month, folder_print, closed, _write)
        if closed is not None:
            figures[month] = closed
    return MonthlyState(built=figures)


def keep_closed_figures(root: Path, entries: list[data.Directive], prints: dict[str, str]) -> None:
    """Keep the report figures of the closed months in `prints` (month -> the
    `folder` fingerprint its close records), computed from `entries`, which must
    be every entry of a cooperative `close` has just checked: a close refuses
    files with problems, so each closed month's entries are the ones closed."""
    figures = month_figures(entries)
    cache = _writable_cache(root)
    if cache is None:
        return
    for text, folder_print in prints.items():
        month = Month.parse(text)
        keep_closed(cache, _KEY, month, folder_print, figures.get(month), _write)


def from_cooperative(
    coop: Any,
    stamps: dict[str, Stamp] | None,
    content_key: str | None = None,
    closed_figures: bool = False,
) -> Snapshot | None:
    """The snapshot of a `store.Cooperative` just loaded from files that had
    `stamps` (and `content_key`) before the load; None if it cannot vouch for them.
    `closed_figures`: see `build`.

    A cooperative read from the open months on (`store.load_open_period`) gives
    a snapshot of them that starts from the last close's balances: the closed
    folders' files are in `stamps` too, so any change to them is seen."""
    if coop.rules is None or coop.roster is None or stamps is None:
        return None
    vouched = _vouched(coop, stamps, content_key)
    if vouched is None:
        return None
    return build(
        coop.root,
        coop.rules,
        coop.roster,
        coop.entries,
        coop.problems,
        stamps,
        vouched[0],
        coop.opening,
        closed_figures,
    )


def _vouched(
    coop: Any, stamps: dict[str, Stamp], content_key: str | None
) -> tuple[str | None] | None:
    """(the content key, or None when git's ids cannot vouch for every file read)
    if `stamps` name exactly the files `coop` was read from; else None."""
    opening = coop.opening
    loaded = {os.path.relpath(name, coop.root) for name in coop.options.get("include", [])}
    if opening is not None:  # the files of the closed folders were vouched for, not read
        closed = tuple(f"{folder}/" for folder in opening.folders)
        loaded |= {name for name in stamps if name.startswith(closed)}
    if {RULES_FILE, MEMBERS_FILE, *loaded} != set(stamps):
        return None  # beancount read other files than the journal folder holds
    if content_key is not None and not set(stamps) <= tracked_files(coop.root, list(stamps)):
        content_key = None  # git ignores a file beancount read: its ids cannot vouch
    return (content_key,)


def after_change(
    coop: Any,
    stamps: dict[str, Stamp],
    files: Mapping[str, str],
    content_key: str | None,
    saved: Snapshot | None = None,
) -> tuple[Snapshot, set[int] | None]:
    """The snapshot of `coop` (a `store.Cooperative` just read, whole or its open
    period, from files that had `stamps`) once the journal files of `files`
    (path -> whole new text) are written: its entries and the transactions the
    write appends, parsed from the very text written (so with their real files
    and lines), and every problem of the ledger checked again (`check_ledger`,
    as `coopledger check` runs it). `save` it with those files restamped: the
    next command then reads it, not the open period (any write but `trade`,
    which adds its one entry with `add_entry`).

    With `saved`, a snapshot vouched for before the write (it describes the
    files `coop` was read from), the new transactions are added to it
    (`add_entry`) and the buckets they change returned, for `save` to write only
    them; else the snapshot is built whole (and the buckets are None).

    NeedsFullCheck (saying why) when it cannot vouch for the result: the files
    read are not those of the journal folder (`from_cooperative`); the change
    writes anything but journal files (members.yaml, rules.yaml,
    main.beancount...); a text does not parse; an old entry's line holds no
    entry any more; a new entry is not a transaction with every amount written
    out (beancount's booking would fill it in) or is dated before the open
    period; or a problem the ledger had goes away (a beancount error on its
    line, left unsaid for it, would then show: only a read says so)."""
    from beancount.parser import parser

    from coopledger.validation.checks import check_ledger

    rules, roster, checked = coop.rules, coop.roster, coop.checked
    if rules is None or roster is None or checked is None:
        raise NeedsFullCheck("the files have problems")
    vouched = (content_key,) if saved else _vouched(coop, stamps, content_key)  # before the write
    if vouched is None:
        raise NeedsFullCheck("other files were read than the journal folder holds")
    root = coop.root
    paths = {str(root / path): path for path in files}
    if any(_not_journal(path) for path in files):
        raise NeedsFullCheck("the change writes other files than journal files")
    old_lines: dict[str, dict[object, tuple[object, ...]]] = {path: {} for path in files}
    names: dict[str, str | None] = {}  # an entry's file name -> the written path it is, or None
    for entry in coop.entries:
        name = (entry.meta or {}).get("filename")
        if not isinstance(name, str):
            continue
        if name not in names:
            names[name] = paths.get(os.path.normpath(name))
        path = names[name]
        if path is not None:
            old_lines[path][(entry.meta or {}).get("lineno")] = _what_moves(entry)
    added: list[data.Directive] = []
    first_day = coop.opening.day if coop.opening is not None else None
    for name, path in paths.items():
        parsed, errors, _ = parser.parse_string(files[path], report_filename=name)
        lines = [(e.meta or {}).get("lineno") for e in parsed]
        if errors or not old_lines[path].keys() <= set(lines) or len(set(lines)) != len(lines):
            raise NeedsFullCheck("a written file is not its old entries and new ones")
        for entry in parsed:
            was = old_lines[path].get(entry.meta["lineno"])
            if was is not None and was != _what_moves(entry):  # rewritten in place
                raise NeedsFullCheck("a written file is not its old entries and new ones")
            if was is not None:
                continue
            if not isinstance(entry, data.Transaction):
                raise NeedsFullCheck("the change adds another entry than a transaction")
            if not _plain_transaction(entry):
                raise NeedsFullCheck("a posting a plain parse does not complete")
            if first_day is not None and entry.date < first_day:
                raise NeedsFullCheck("dated in a period with balance assertions")
            added.append(entry)
    entries = sorted([*coop.entries, *added], key=data.entry_sortkey)
    after = check_ledger(entries, roster, rules, str(root), opening=coop.opening)
    before = {p.key() for p in checked}
    if before - {p.key() for p in after}:
        raise NeedsFullCheck("a problem of the files goes away")
    problems = [p for p in coop.problems if p.key() not in before] + after
    problems.sort(key=lambda p: (p.file not in (RULES_FILE, MEMBERS_FILE), p.sort_key()))
    if saved is not None:
        buckets: set[int] = set()
        for entry in sorted(added, key=data.entry_sortkey):
            buckets |= add_entry(saved, entry)  # type: ignore[arg-type]  # transactions only
        saved.problems = problems  # add_entry's own judgement replaced by the whole check's
        return saved, buckets
    built = build(root, rules, roster, entries, problems, stamps, vouched[0], coop.opening)
    return built, None


def _what_moves(entry: data.Directive) -> tuple[object, ...]:
    """An entry's kind, day and postings (account, number, currency): what an old
    entry must still say once its file is written again (a plain parse leaves an
    amount beancount fills in as None, so only numbers written out compare)."""
    postings = getattr(entry, "postings", None) or ()
    return (
        type(entry).__name__,
        entry.date,
        tuple(
            (p.account, getattr(p.units, "number", None), getattr(p.units, "currency", None))
            for p in postings
            if isinstance(getattr(p.units, "number", None), Decimal)
        ),
    )


def _not_journal(path: str) -> bool:
    """Whether `path` is not a journal file a change may add entries to."""
    return (
        not path.startswith("journal/")
        or not path.endswith(".beancount")
        or path == MAIN_FILE
        or os.path.normpath(path) != path
    )


def _plain_transaction(entry: data.Directive) -> bool:
    """A transaction whose every posting has its amount written, without cost or price."""
    return isinstance(entry, data.Transaction) and all(
        isinstance(getattr(p.units, "number", None), Decimal)  # MISSING: left to beancount
        and p.cost is None
        and p.price is None
        for p in entry.postings
    )


# ---------------------------------------------------------------- saving, loading


def cache_of(root: Path) -> Path | None:
    """This user's cache folder for the cooperative at `root` (`cachefiles.cache_dir`)."""
    return cachefiles.cache_dir(root)


def _writable_cache(root: Path) -> Path | None:
    """The cache folder, made if missing; None when it is not this user's own."""
    cache = cache_of(root)
    if cache is None:
        return None
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    return cache if cachefiles.usable(cache) else None


_write = cachefiles.write_file


def save(
    root: Path,
    snapshot: Snapshot,
    buckets: set[int] | None = None,
    restamp: tuple[str, ...] = (),
    content_key: str | None = None,
    created: frozenset[str] | None = None,
) -> None:
    """Write the snapshot (every bucket that holds a member, or only `buckets`).

    The stamps are the ones the snapshot was checked or built against, except
    for the files in `restamp`, which the caller has just written itself (those
    in `created` did not exist before; see `_dirs_after_writing`).

    The parts a trade does not change (the stamps, the rules and members, the
    sorted id hashes, the latest balances) are written by a full build only; a
    trade writes its two buckets and the small meta file, which holds what it
    added since (new id hashes, moved balances) until there is enough to merge.
    The meta file is written last, and names the parts it goes with: a crash in
    between only costs a full load.
    """
    cache = _writable_cache(root)
    if cache is None:
        return
    snapshot.cache = cache
    with contextlib.suppress(FileNotFoundError):
        (cache / "meta.json").unlink()
    generation = secrets.token_hex(8)
    filled = set() if buckets is None else set(snapshot.filled)
    for number in sorted(buckets if buckets is not None else range(BUCKETS)):
        members = snapshot._bucket(number)
        if members or number in filled:  # an empty one is named by no meta file: not read
            _write(cache / "buckets" / f"{number:04d}.json", _bucket_json(members))
            filled.add(number)
    snapshot.filled = sorted(filled)
    snapshot.__dict__.pop("_filled", None)
    if (
        snapshot.fresh
        or snapshot.ids_generation is None
        or len(snapshot.ids_extra) > MERGE_IDS_AFTER
    ):
        ids = snapshot.ids
        _write(
            cache / "ids.bin", generation.encode("ascii").ljust(IDS_HEADER, b"\0") + ids.tobytes()
        )
        snapshot._ids, snapshot.ids_extra, snapshot.ids_generation = ids, [], generation
    if (
        snapshot.fresh
        or snapshot.latest_generation is None
        or len(snapshot.latest_changed) > MERGE_LATEST_AFTER
    ):
        latest = snapshot.latest
        _write_part(cache, "latest", generation, {m: str(v) for m, v in latest.items()})
        snapshot._latest, snapshot.latest_changed = latest, {}
        snapshot.latest_generation = generation
    if snapshot.stamps is not None:
        for name in restamp:
            snapshot.stamps[name] = _stamp(os.path.join(str(root), name))
        _write_part(cache, "stamps", generation, snapshot.stamps)
    if snapshot.fresh or snapshot.setup_generation is None:  # a trade changes neither
        snapshot.setup_generation = generation
        _write(cache / "setup.json", _setup_file(generation, snapshot.rules, snapshot.roster))
    if snapshot.monthly is not None:
        snapshot.monthly.save(cache, _write)
    if restamp:
        snapshot.content_key = content_key  # the caller's key for the files as written
        snapshot.dirs = _dirs_after_writing(root, snapshot.dirs, restamp, created)
    snapshot.fresh = False
    meta: dict[str, Any] = {name: getattr(snapshot, name) for name in _META}
    meta["monthly"] = None if snapshot.monthly is None else snapshot.monthly.saved()
    meta["stamps_generation"] = generation if snapshot.stamps is not None else None
    snapshot.stamps_generation = meta["stamps_generation"]
    _write(cache / "meta.json", cachefiles.dumps(meta))


_META = (  # the fields of a Snapshot that meta.json holds (and `monthly`, `stamps_generation`)
    "key",
    "setup_generation",
    "problems",
    "latest_changed",
    "latest_generation",
    "ids_extra",
    "ids_generation",
    "filled",
    "last_date",
    "trade_count",
    "full_check_until",
    "has_closings",
    "coop_days",
    "content_key",
    "dirs",
    "carried_month",
    "starts",
)


def load_valid(root: Path, content_key: str | None = None) -> Snapshot | None:
    """The saved snapshot if it still describes every input file exactly, else None
    (`load_saved`, then `vouch`)."""
    state = load_saved(root)
    return state if state is not None and vouch(state, content_key) else None


def load_saved(root: Path) -> Snapshot | None:
    """The saved snapshot as it is, not yet vouched for (see `vouch`): a caller may
    read it while git looks at the working tree, and use it only once vouched.

    Every value is checked against the type of the field it fills; a file that
    does not pass is ignored (the caller then reads everything)."""
    cache = cache_of(root)
    if cache is None or not cachefiles.usable(cache):
        return None
    payload = cachefiles.read_file(cache / "meta.json")
    if payload is None:
        return None
    try:
        meta = cachefiles.loads(payload)
        if not isinstance(meta, dict) or meta.get("key") != _KEY:
            return None
        if set(meta) != {*_META, "monthly", "stamps_generation"}:
            raise CacheInvalid("other fields")
        hints = _snapshot_hints()
        if not all(cachefiles.conforms(meta[name], hints[name]) for name in _META):
            raise CacheInvalid("a field of another type")
        stamps_generation = meta.pop("stamps_generation")
        if not cachefiles.conforms(stamps_generation, str | None):
            raise CacheInvalid("stamps_generation")
        saved = meta.pop("monthly")
        monthly = None if saved is None else MonthlyState.of_saved(saved)
        setup = _read_setup(cache, meta["setup_generation"])
    except CacheInvalid:
        return None
    if setup is None:
        return None
    rules, roster = setup
    state = Snapshot(
        **meta, monthly=monthly, rules=rules, roster=roster, stamps=None, root=root, cache=cache
    )
    state.stamps_generation = stamps_generation
    return state


@functools.cache
def _snapshot_hints() -> dict[str, Any]:
    try:
        return typing.get_type_hints(Snapshot)
    except NameError as error:  # an annotation only a type checker can read
        raise CacheInvalid(str(error)) from None


def vouch(state: Snapshot, content_key: str | None) -> bool:
    """Whether the snapshot still describes every input file exactly.

    With a `content_key` (git says the working tree is clean and names HEAD's
    content), equal keys prove it for every file git sees, and the folder
    records for the files it does not (ignored, yet read by beancount): a
    folder that holds other names than recorded means the stamps decide.
    Otherwise every file's stamp is compared."""
    if (
        content_key is not None
        and state.content_key == content_key
        and dirs_hold(state.root, state.dirs)
    ):
        return True
    stamps = _stamps(_read_part(state.cache, "stamps", state.stamps_generation))
    found = input_stamps(state.root) if stamps is not None else None
    if found is None or found != stamps:
        return False
    state.stamps, state.dirs = stamps, found.dirs  # read together: they go together
    return True


def _setup_file(generation: str, rules: Rules, roster: Roster) -> bytes:
    """setup.json: one line of JSON (the generation, the rules, the indexes of a
    `SavedRoster`: where each member's JSON lies in what follows), then each
    member's JSON, one after the other."""
    saved = roster if isinstance(roster, SavedRoster) else SavedRoster.of(list(roster))
    head = {
        "generation": generation,
        "rules": rules,
        "members": saved._table,
        "emails": saved._emails,
        "roles": saved._roles,
    }
    return cachefiles.dumps(head) + b"\n" + saved._body


def _read_setup(
    cache: Path, generation: str | None, name: str = "setup.json"
) -> tuple[Rules, SavedRoster] | None:
    """The rules and roster of setup.json (or `name`) if it is the one of
    `generation`; each member is read (and checked) when it is first asked for."""
    payload = cachefiles.read_file(cache / name) if generation is not None else None
    if payload is None:
        return None
    end = payload.find(b"\n")
    head = cachefiles.loads(payload[:end]) if end >= 0 else None
    if not isinstance(head, dict) or head.get("generation") != generation:
        return None
    rules, table, emails, roles = (head.get(k) for k in ("rules", "members", "emails", "roles"))
    if not (
        isinstance(rules, Rules)
        and type(table) is dict
        and cachefiles.conforms(emails, dict[str, str])
        and cachefiles.conforms(roles, dict[str, list[str]])
    ):
        raise CacheInvalid("setup.json")
    assert table is not None and emails is not None and roles is not None
    if not set(emails.values()) <= table.keys() or not all(
        set(ids) <= table.keys() for ids in roles.values()
    ):
        raise CacheInvalid("setup.json: an index names an unknown member")
    return rules, SavedRoster(table, payload[end + 1 :], emails, roles)


ROSTER_FILE = "roster.json"  # members.yaml as last parsed, for the reads without a snapshot


def _texts_key(rules_text: str, members_text: str) -> str:
    """What a kept roster stands for: these two texts, read by this code."""
    versions = f"coopledger {coopledger.__version__} beancount {beancount.__version__}"
    whole = "\0".join((versions, rules_text, members_text)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(whole).hexdigest()


def kept_roster(root: Path, rules_text: str, members_text: str) -> Roster | None:
    """The members parsed before from exactly `members_text` (with `rules_text`)
    and found without a problem, from this user's own cache folder: a read of
    the open period then need not parse a members.yaml of thousands again. None
    when not kept, or when anything kept is not exactly what `keep_roster` writes."""
    cache = cache_of(root)
    if cache is None or not cachefiles.usable(cache):
        return None
    try:
        found = _read_setup(cache, _texts_key(rules_text, members_text), ROSTER_FILE)
        if found is None:
            return None
        found[1].members  # noqa: B018 - each member read and checked now, not in the middle of a check
    except (CacheInvalid, ValueError, TypeError, KeyError):
        return None
    return found[1]


def keep_roster(
    root: Path, rules_text: str, members_text: str, rules: Rules, roster: Roster
) -> None:
    """Keep `roster`, parsed from `members_text` without a problem (`kept_roster`)."""
    cache = _writable_cache(root)
    if cache is None:
        return
    with contextlib.suppress(OSError):  # a cache only saves time
        _write(
            cache / ROSTER_FILE, _setup_file(_texts_key(rules_text, members_text), rules, roster)
        )


class _ById(dict[str, Member]):
    """`Roster.by_id` of a `SavedRoster`: a member is read when looked up;
    anything that goes through them all reads them all."""

    def __init__(self, roster: SavedRoster) -> None:
        super().__init__()
        self._roster = roster

    def __missing__(self, member_id: str) -> Member:
        if member_id not in self._roster._table:
            raise KeyError(member_id)
        return self._roster._member(member_id)

    def get(self, member_id: str, default: Any = None) -> Any:
        return self[member_id] if member_id in self._roster._table else default

    def __contains__(self, member_id: object) -> bool:
        return member_id in self._roster._table

    def __len__(self) -> int:
        return len(self._roster._table)

    def _all(self) -> dict[str, Member]:
        return {member.id: member for member in self._roster.members}

    def __iter__(self) -> Iterator[str]:
        return iter(self._roster._table)

    def keys(self) -> Any:
        return self._all().keys()

    def values(self) -> Any:
        return self._all().values()

    def items(self) -> Any:
        return self._all().items()

    def __eq__(self, other: object) -> bool:
        return self._all() == other

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self._all())


class SavedRoster(Roster):
    """The roster as a snapshot saves it: each member as JSON on its own, and
    read only when asked for (a trade needs two or three of thousands).

    It answers like the `Roster` it was made of: `get`, `by_email` and
    `with_role` from small indexes; `members` (and iterating) reads all.
    A member whose JSON is not a valid `Member` with its id is `CacheInvalid`.
    """

    _table: dict[str, list[int]]  # id -> [start, end] of its JSON in `_body`, in file order
    _body: bytes  # every member as JSON (`cachefiles.dumps`), one after the other
    _emails: dict[str, str]  # lowercase e-mail -> the first member with it
    _roles: dict[str, list[str]]  # role -> ids of the members with it, in file order
    _members: dict[str, Member]  # read so far
    _all: tuple[Member, ...] | None

    def __init__(
        self,
        table: dict[str, list[int]],
        body: bytes,
        emails: dict[str, str],
        roles: dict[str, list[str]],
    ):
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_body", body)
        object.__setattr__(self, "_emails", emails)
        object.__setattr__(self, "_roles", roles)
        object.__setattr__(self, "_members", {})
        object.__setattr__(self, "_all", None)

    @classmethod
    def of(cls, members: list[Member]) -> SavedRoster:
        table: dict[str, list[int]] = {}
        blobs: list[bytes] = []
        offset = 0
        for member in members:
            blob = cachefiles.dumps(member)
            table[member.id] = [offset, offset + len(blob)]
            blobs.append(blob)
            offset += len(blob)
        emails: dict[str, str] = {}
        roles: dict[str, list[str]] = {}
        for member in members:
            for email in member.emails:
                emails.setdefault(email.lower(), member.id)
            for role in member.roles:
                roles.setdefault(role, []).append(member.id)
        return cls(table, b"".join(blobs), emails, roles)

    @property
    def members(self) -> tuple[Member, ...]:
        if self._all is None:
            object.__setattr__(self, "_all", tuple(self._member(i) for i in self._table))
        assert self._all is not None
        return self._all

    @property
    def by_id(self) -> dict[str, Member]:
        return _ById(self)

    def _member(self, member_id: str) -> Member:
        member = self._members.get(member_id)
        if member is None:
            span = self._table[member_id]
            if not (
                type(span) is list
                and len(span) == 2
                and type(span[0]) is int
                and type(span[1]) is int
                and 0 <= span[0] <= span[1] <= len(self._body)
            ):
                raise CacheInvalid(f"setup.json: the place of member {member_id}")
            member = _member_of(self._body[span[0] : span[1]])
            if not isinstance(member, Member) or member.id != member_id:
                raise CacheInvalid(f"setup.json: member {member_id}")
            self._members[member_id] = member
        return member

    def get(self, member_id: str) -> Member | None:
        return self._member(member_id) if member_id in self._table else None

    def __len__(self) -> int:
        return len(self._table)

    def by_email(self, email: str) -> Member | None:
        found = self._emails.get(email.strip().lower())
        return None if found is None else self._member(found)

    def with_role(self, role: str) -> list[Member]:
        return [self._member(member_id) for member_id in self._roles.get(role, [])]


# a member's fields as `cachefiles.dumps` writes the common member (no limits or
# status of its own): how each is read back without the general reader's tags
_MEMBER_FIELDS: dict[str, str] = {
    **dict.fromkeys(("id", "name", "kind"), "str"),
    **dict.fromkeys(("emails", "roles", "signing_keys"), "strings"),
    **dict.fromkeys(("floor", "ceiling", "status"), "none"),
    "joined": "date",
    "line": "int",
}


def _member_of(blob: bytes) -> Any:
    """`cachefiles.loads(blob)` for a member's JSON, the common member read in one
    pass (a `balances` reads them all: hundreds); any other the general way."""
    try:
        raw = json.loads(blob)
    except ValueError:
        raw = None
    found = _plain_member(raw)
    return found if found is not None else cachefiles.loads(blob)


def _plain_member(raw: Any) -> Member | None:
    """The Member `raw` (JSON as parsed) stands for if each field is of the kind
    `_MEMBER_FIELDS` names, as the general reader would check it; else None."""
    if type(raw) is not dict or len(raw) != 2 or raw.get("$o") != "Member":
        return None
    fields = raw.get("f")
    if type(fields) is not list:
        return None
    values: dict[str, Any] = {}
    for pair in fields:
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
            return None
        key, value = pair
        kind = _MEMBER_FIELDS.get(key)
        if (kind == "str" and type(value) is str) or (kind == "int" and type(value) is int):
            values[key] = value
        elif kind == "none" and value is None:
            values[key] = None
        elif kind == "date" and type(value) is dict and type(value.get("$date")) is str:
            if len(value) != 1:
                return None
            try:
                values[key] = datetime.date.fromisoformat(value["$date"])
            except ValueError:
                return None
        elif kind == "strings" and type(value) is dict and type(value.get("$t")) is list:
            items = value["$t"]
            if len(value) != 1 or not all(type(item) is str for item in items):
                return None
            values[key] = tuple(items)
        else:
            return None
    try:
        return Member(**values)
    except TypeError:  # a field missing
        return None


def _write_part(cache: Path, name: str, generation: str, value: object) -> None:
    """A part of the snapshot that is not rewritten on every trade (plain JSON),
    tagged with the generation of the meta file that goes with it."""
    payload = json.dumps({"generation": generation, "value": value}, separators=(",", ":"))
    _write(cache / f"{name}.json", payload.encode("utf-8"))


def _read_part(cache: Path | None, name: str, generation: str | None) -> Any:
    """The value `_write_part` wrote for `generation`, or None."""
    if cache is None or generation is None:
        return None
    payload = cachefiles.read_file(cache / f"{name}.json")
    try:
        saved = json.loads(payload) if payload is not None else None
    except ValueError:
        return None
    if not isinstance(saved, dict) or saved.get("generation") != generation:
        return None
    return saved.get("value")


def _decimals(value: Any) -> dict[str, Decimal] | None:
    """latest.json's balances, or None unless each is a finite number."""
    if not cachefiles.conforms(value, dict[str, str]):
        return None
    try:
        numbers = {member: Decimal(text) for member, text in value.items()}
    except ArithmeticError:
        return None
    return numbers if all(n.is_finite() for n in numbers.values()) else None


def _stamps(value: Any) -> dict[str, Stamp] | None:
    """stamps.json's stamps, or None unless each is four whole numbers."""
    if not cachefiles.conforms(value, dict[str, list[int]]):
        return None
    if not all(len(stamp) == 4 for stamp in value.values()):
        return None
    return {name: (s[0], s[1], s[2], s[3]) for name, s in value.items()}


def _bucket_json(members: dict[str, MemberDays]) -> bytes:
    """A bucket as JSON: for each member, one row per day: the day's ordinal, net,
    charged, the places blamed for a fall and for a rise (file and line, or
    nulls), and 1 for a balance carried from closed months."""
    rows = {
        member: [
            [
                day.toordinal(),
                str(moves.net),
                str(moves.charged),
                *(moves.last_negative or (None, None)),
                *(moves.last_positive or (None, None)),
                int(isinstance(moves, CarriedMoves)),
            ]
            for day, moves in days.items()
        ]
        for member, days in members.items()
    }
    return json.dumps(rows, separators=(",", ":")).encode("utf-8")


def _bucket_of_json(payload: bytes) -> dict[str, MemberDays]:
    """The bucket `_bucket_json` wrote, every value checked; else CacheInvalid."""
    try:
        rows = json.loads(payload)
    except ValueError:
        raise CacheInvalid("a bucket that is not JSON") from None
    if not isinstance(rows, dict):
        raise CacheInvalid("a bucket that is not a mapping")
    members: dict[str, MemberDays] = {}
    try:
        for member, member_rows in rows.items():
            days: MemberDays = {}
            for row in member_rows:
                ordinal, net, charged, neg_file, neg_line, pos_file, pos_line, carried = row
                if not (
                    type(ordinal) is int
                    and type(net) is str
                    and type(charged) is str
                    and _place_ok(neg_file, neg_line)
                    and _place_ok(pos_file, pos_line)
                    and carried in (0, 1)
                ):
                    raise CacheInvalid("a row of a bucket")
                kind = CarriedMoves if carried else DayMoves
                moves = kind(
                    Decimal(net),
                    Decimal(charged),
                    None if neg_file is None else (neg_file, neg_line),
                    None if pos_file is None else (pos_file, pos_line),
                )
                if not (moves.net.is_finite() and moves.charged.is_finite()):
                    raise CacheInvalid("a number of a bucket")
                days[datetime.date.fromordinal(ordinal)] = moves
            members[member] = days
    except (TypeError, ValueError, ArithmeticError, OverflowError):
        raise CacheInvalid("a row of a bucket") from None
    return members


def _place_ok(file: object, line: object) -> bool:
    return (file is None and line is None) or (type(file) is str and type(line) is int)


# ---------------------------------------------------------------- one more entry


def new_problems(snapshot: Snapshot, entry: data.Transaction) -> tuple[list[Problem], set[str]]:
    """The problems the ledger would have that it does not have now, if `entry`
    were added; or NeedsFullCheck. Also returns the members whose balances move."""
    if snapshot.has_closings:
        raise NeedsFullCheck("account closings")
    if snapshot.full_check_until is not None and entry.date <= snapshot.full_check_until:
        raise NeedsFullCheck("dated in a period with balance assertions")
    total = sum((p.units.number for p in entry.postings if p.units and p.units.number), Decimal(0))
    if total != 0:
        raise NeedsFullCheck("unbalanced entry")
    trade_id = (entry.meta or {}).get(TRADE_ID_KEY)
    if trade_id is not None and snapshot.has_id(str(trade_id)):
        raise NeedsFullCheck("trade id hash already seen")
    root = str(snapshot.root)
    rules, roster = snapshot.rules, snapshot.roster
    before_keys = {p.key() for p in snapshot.problems}
    found = check_postings([entry], roster, rules, root)
    probe: dict[str, MemberDays] = {}
    touched = add_entry_moves(probe, entry, root)
    for member in sorted(touched):
        before_days = snapshot.days_of(member)
        after_days = {day: _copy(moves) for day, moves in before_days.items()}
        for day, moves in probe[member].items():
            target = after_days.setdefault(day, type(moves)())
            target.net += moves.net
            target.charged += moves.charged
            for attribute in ("last_negative", "last_positive"):
                mine, theirs = getattr(target, attribute), getattr(moves, attribute)
                if theirs is not None:
                    setattr(target, attribute, max(mine or theirs, theirs))
        found += check_limits({member: series_of(after_days)}, roster, rules)
    unique = {p.key(): p for p in found}
    new = [p for key, p in unique.items() if key not in before_keys]
    return sorted(new, key=Problem.sort_key), touched


def _copy(moves: Any) -> Any:
    return type(moves)(moves.net, moves.charged, moves.last_negative, moves.last_positive)


def add_entry(snapshot: Snapshot, entry: data.Transaction) -> set[int]:
    """Record an accepted `entry` in the snapshot (in memory); return the buckets changed."""
    root = str(snapshot.root)
    days_view = {member: snapshot.days_of(member) for member in _members_of(entry)}
    touched = add_entry_moves(days_view, entry, root)
    rules, roster = snapshot.rules, snapshot.roster
    kept = [
        p
        for p in snapshot.problems
        if not (p.code in LIMIT_CODES and p.params.get("member") in touched)
    ]
    fresh = check_postings([entry], roster, rules, root)
    for member in touched:
        series = series_of(days_view[member])
        snapshot.latest_changed[member] = balance_at(series, None)
        fresh += check_limits({member: series}, roster, rules)
    unique = {p.key(): p for p in [*kept, *fresh]}
    snapshot.problems = sorted(unique.values(), key=Problem.sort_key)
    trade_id = (entry.meta or {}).get(TRADE_ID_KEY)
    if trade_id is not None:
        snapshot.ids_extra.append(id_hash(str(trade_id)))
    snapshot.trade_count += as_trade(entry) is not None
    if snapshot.monthly is not None:
        snapshot.monthly.add(entry)
    _add_coop_moves(snapshot.coop_days, entry, rules)
    snapshot.last_date = (
        entry.date if snapshot.last_date is None else max(snapshot.last_date, entry.date)
    )
    return {bucket_of(member) for member in touched}


def _add_coop_moves(
    coop_days: dict[str, dict[datetime.date, Decimal]], entry: data.Directive, rules: Rules
) -> None:
    if not isinstance(entry, data.Transaction):
        return
    for posting in entry.postings:
        if posting.account in rules.coop_accounts and posting.units and posting.units.number:
            days = coop_days.setdefault(posting.account, {})
            days[entry.date] = days.get(entry.date, Decimal(0)) + posting.units.number


def coop_balances(snapshot: Snapshot, at: datetime.date) -> dict[str, Decimal]:
    """The cooperative's own accounts at the end of `at`."""
    return {
        account: sum((v for d, v in days.items() if d <= at), Decimal(0))
        for account, days in snapshot.coop_days.items()
    }


def _members_of(entry: data.Transaction) -> list[str]:
    from coopledger.model.accounts import member_of_account

    return [m for p in entry.postings if (m := member_of_account(p.account)) is not None]
