"""A snapshot of the validated cooperative, so small changes cost small work.

After a full load (every file parsed and every check run), the commands that
care about speed — `trade`, `check`, `balances` — save what they need in
`.coopledger/cache/` (git-ignored):

- the stamp (size, mtime, ctime, inode) of every input file: rules.yaml,
  members.yaml and every journal file beancount read;
- the rules and members as parsed, and every problem found;
- for every member, its movements aggregated per day (`checks.DayMoves`),
  sharded into buckets so that a trade reads two small files;
- a sorted array of 64-bit hashes of every trade id;
- the monthly report's figures, one file per month (`coopledger.aggregates`).

A snapshot is used only if every input file's stamp is exactly what it was
when it was saved and no file was added or removed: any edit, new hand-written
file, rename, deletion or switch of git branch changes a stamp or the file set,
and the command falls back to the full load. The code versions are part of the
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
import hashlib
import os
import pickle
import secrets
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import beancount
from beancount.core import data

import coopledger
from coopledger.aggregates import MonthlyState
from coopledger.checks import (
    DayBalance,
    MemberDays,
    add_entry_moves,
    balance_at,
    check_limits,
    check_postings,
    series_of,
)
from coopledger.journal import TRADE_ID_KEY, as_trade
from coopledger.members import MEMBERS_FILE, Roster
from coopledger.problems import Problem
from coopledger.rules import RULES_FILE, Rules

CACHE_DIR = ".coopledger/cache"
BUCKETS = 64
LIMIT_CODES = frozenset({"below-floor", "above-ceiling"})
_KEY = (
    f"coopledger {coopledger.__version__} beancount {beancount.__version__} "
    f"python {sys.version_info[:2]} format 4"
)

Stamp = tuple[int, int, int, int]


class NeedsFullCheck(Exception):
    """The incremental path cannot vouch for this change; do the full check."""


@dataclass
class Snapshot:
    key: str
    stamps: dict[str, Stamp] | None  # None: unknown, only the content key can vouch
    rules: Rules
    roster: Roster
    problems: list[Problem]
    latest: dict[str, Decimal]
    last_date: datetime.date | None
    trade_count: int
    full_check_until: datetime.date | None  # entries dated up to here need the full check
    has_closings: bool
    coop_days: dict[str, dict[datetime.date, Decimal]]  # the cooperative's own accounts
    content_key: str | None  # gitrepo.committed_content_key of the files, when clean
    monthly: MonthlyState | None = None  # the monthly report's figures (coopledger.aggregates)
    root: Path = field(default=Path("."), repr=False)
    fresh: bool = field(default=False, repr=False)  # built in memory, never saved
    setup_generation: str | None = field(default=None, repr=False)  # of the saved rules, roster
    _buckets: dict[int, dict[str, MemberDays]] = field(default_factory=dict, repr=False)
    _ids: array.array[int] | None = field(default=None, repr=False)

    # ------------------------------------------------------------ reading parts

    def days_of(self, member: str) -> MemberDays:
        bucket = self._bucket(bucket_of(member))
        return bucket.setdefault(member, {})

    def _bucket(self, number: int) -> dict[str, MemberDays]:
        if number not in self._buckets:
            path = self.root / CACHE_DIR / "buckets" / f"{number:02d}.pickle"
            try:
                with open(path, "rb") as handle:
                    self._buckets[number] = pickle.load(handle)
            except FileNotFoundError:
                self._buckets[number] = {}
        return self._buckets[number]

    def all_days(self) -> dict[str, MemberDays]:
        result: dict[str, MemberDays] = {}
        for number in range(BUCKETS):
            result.update(self._bucket(number))
        return result

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
    def ids(self) -> array.array[int]:
        if self._ids is None:
            self._ids = array.array("q")
            with contextlib.suppress(FileNotFoundError):
                self._ids.frombytes((self.root / CACHE_DIR / "ids.bin").read_bytes())
        return self._ids

    def has_id(self, trade_id: str) -> bool:
        value = id_hash(trade_id)
        ids = self.ids
        index = bisect.bisect_left(ids, value)
        return index < len(ids) and ids[index] == value

    def balance(self, member: str) -> Decimal:
        return self.latest.get(member, Decimal(0))


def bucket_of(member: str) -> int:
    return zlib.crc32(member.encode("utf-8")) % BUCKETS


def id_hash(trade_id: str) -> int:
    digest = hashlib.blake2b(trade_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


# ---------------------------------------------------------------- stamps


def _stamp(path: str) -> Stamp:
    info = os.stat(path)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def input_stamps(root: Path) -> dict[str, Stamp] | None:
    """The stamp of rules.yaml, members.yaml and every visible *.beancount under journal/.

    Taken before a full load, so that a file changed during the load does not
    match the snapshot saved after it.
    """
    base = str(root)
    stamps: dict[str, Stamp] = {}
    try:
        for name in (RULES_FILE, MEMBERS_FILE):
            stamps[name] = _stamp(os.path.join(base, name))
        folders = ["journal"]
        while folders:
            folder = folders.pop()
            with os.scandir(os.path.join(base, folder)) as found:
                for item in found:
                    if item.name.startswith("."):
                        continue
                    name = f"{folder}/{item.name}"
                    if item.is_dir(follow_symlinks=False):
                        folders.append(name)
                    elif item.name.endswith(".beancount"):
                        info = item.stat()
                        stamps[name] = (
                            info.st_size,
                            info.st_mtime_ns,
                            info.st_ctime_ns,
                            info.st_ino,
                        )
    except OSError:
        return None
    return stamps


# ---------------------------------------------------------------- building


def build(
    root: Path,
    rules: Rules,
    roster: Roster,
    entries: list[data.Directive],
    problems: list[Problem],
    stamps: dict[str, Stamp],
    content_key: str | None = None,
) -> Snapshot:
    """The snapshot of a fully loaded cooperative (not yet saved)."""
    days_by_member: dict[str, MemberDays] = {}
    ids: list[int] = []
    trade_count = 0
    full_until: datetime.date | None = None
    has_closings = False
    last_date: datetime.date | None = None
    coop_days: dict[str, dict[datetime.date, Decimal]] = {}
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
            full_until = entry.date if full_until is None else max(full_until, entry.date)
        elif isinstance(entry, data.Close):
            has_closings = True
    buckets: dict[int, dict[str, MemberDays]] = {n: {} for n in range(BUCKETS)}
    latest = {}
    for member, days in days_by_member.items():
        buckets[bucket_of(member)][member] = days
        latest[member] = balance_at(series_of(days), None)
    snapshot = Snapshot(
        key=_KEY,
        stamps=dict(stamps),
        rules=rules,
        roster=roster,
        problems=list(problems),
        latest=latest,
        last_date=last_date,
        trade_count=trade_count,
        full_check_until=full_until,
        has_closings=has_closings,
        coop_days=coop_days,
        content_key=content_key,
        monthly=MonthlyState.of_entries(entries),
        root=root,
        fresh=True,
        _buckets=buckets,
        _ids=array.array("q", sorted(ids)),
    )
    return snapshot


def from_cooperative(
    coop: Any, stamps: dict[str, Stamp] | None, content_key: str | None = None
) -> Snapshot | None:
    """The snapshot of a `store.Cooperative` just loaded in full from files that had
    `stamps` (and `content_key`) before the load; None if it cannot vouch for them."""
    if coop.rules is None or coop.roster is None or stamps is None:
        return None
    loaded = {os.path.relpath(name, coop.root) for name in coop.options.get("include", [])}
    if {RULES_FILE, MEMBERS_FILE, *loaded} != set(stamps):
        return None  # beancount read other files than the journal folder holds
    return build(
        coop.root, coop.rules, coop.roster, coop.entries, coop.problems, stamps, content_key
    )


# ---------------------------------------------------------------- saving, loading


def _write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def save(
    root: Path,
    snapshot: Snapshot,
    buckets: set[int] | None = None,
    restamp: tuple[str, ...] = (),
    content_key: str | None = None,
) -> None:
    """Write the snapshot (all buckets, or only `buckets`).

    The stamps are the ones the snapshot was checked or built against, except
    for the files in `restamp`, which the caller has just written itself.

    The stamps of a journal with a hundred thousand files are large, so they
    live in their own file, written only when known; the meta file is written
    last, and names the stamps it goes with: a crash in between only costs a
    full load.
    """
    cache = root / CACHE_DIR
    with contextlib.suppress(FileNotFoundError):
        (cache / "meta.pickle").unlink()
    generation = secrets.token_hex(8)
    for number in sorted(buckets if buckets is not None else range(BUCKETS)):
        payload = pickle.dumps(snapshot._bucket(number), protocol=pickle.HIGHEST_PROTOCOL)
        _write(cache / "buckets" / f"{number:02d}.pickle", payload)
    _write(cache / "ids.bin", snapshot.ids.tobytes())
    if snapshot.stamps is not None:
        for name in restamp:
            snapshot.stamps[name] = _stamp(os.path.join(str(root), name))
        _write_part(cache, "stamps", generation, snapshot.stamps)
    if snapshot.fresh or snapshot.setup_generation is None:  # a trade changes neither
        snapshot.setup_generation = generation
        _write_part(cache, "setup", generation, (snapshot.rules, snapshot.roster))
    if snapshot.monthly is not None:
        snapshot.monthly.save(cache, _write)
    if restamp:
        snapshot.content_key = content_key  # the caller's key for the files as written
    snapshot.fresh = False
    meta = {
        name: getattr(snapshot, name)
        for name in (
            "key",
            "setup_generation",
            "problems",
            "latest",
            "last_date",
            "trade_count",
            "full_check_until",
            "has_closings",
            "coop_days",
            "content_key",
            "monthly",
        )
    }
    meta["stamps_generation"] = generation if snapshot.stamps is not None else None
    _write(cache / "meta.pickle", pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL))


def load_valid(root: Path, content_key: str | None = None) -> Snapshot | None:
    """The saved snapshot if it still describes every input file exactly, else None.

    With a `content_key` (the working tree is clean and git names its content),
    equal keys prove it without a look at each file; otherwise every file's
    stamp is compared."""
    try:
        with open(root / CACHE_DIR / "meta.pickle", "rb") as handle:
            meta = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if not isinstance(meta, dict) or meta.get("key") != _KEY:
        return None
    stamps_generation = meta.pop("stamps_generation", None)
    stamps = None
    if content_key is None or meta.get("content_key") != content_key:
        stamps = _read_part(root, "stamps", stamps_generation)
        if stamps is None or input_stamps(root) != stamps:
            return None
    setup = _read_part(root, "setup", meta.get("setup_generation"))
    if setup is None:
        return None
    rules, roster = setup
    try:
        return Snapshot(**meta, rules=rules, roster=roster, stamps=stamps, root=root)
    except TypeError:  # saved by another version of this module
        return None


def _write_part(cache: Path, name: str, generation: str, value: object) -> None:
    """A part of the snapshot that is not rewritten on every trade, tagged with the
    generation of the meta file that goes with it."""
    payload = pickle.dumps((generation, value), protocol=pickle.HIGHEST_PROTOCOL)
    _write(cache / f"{name}.pickle", payload)


def _read_part(root: Path, name: str, generation: str | None) -> Any:
    if generation is None:
        return None
    try:
        with open(root / CACHE_DIR / f"{name}.pickle", "rb") as handle:
            saved_generation, value = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None
    return value if saved_generation == generation else None


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
    for member in touched:
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
    return [p for key, p in unique.items() if key not in before_keys], touched


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
        snapshot.latest[member] = balance_at(series, None)
        fresh += check_limits({member: series}, roster, rules)
    unique = {p.key(): p for p in [*kept, *fresh]}
    snapshot.problems = sorted(unique.values(), key=Problem.sort_key)
    trade_id = (entry.meta or {}).get(TRADE_ID_KEY)
    if trade_id is not None:
        bisect.insort(snapshot.ids, id_hash(str(trade_id)))
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
    from coopledger.accounts import member_of_account

    return [m for p in entry.postings if (m := member_of_account(p.account)) is not None]
