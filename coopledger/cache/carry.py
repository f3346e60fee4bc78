"""Closed months, carried forward instead of read again.

Once months are closed (`coopledger close`), a check need not parse them: each
close records the sha256 of its month's folder (`folder`), the balances at the
month's end (its balance assertions, sealed by `balances`) and the trades so
far. `read_opening(root)` verifies, without parsing a single trade, that every
closed folder is byte for byte what was closed, and returns the `Opening` that
the last close carries: a check then reads only the open period
(`store.load_open_period`).

The carried months are the longest run of month folders, oldest first, each
holding a close whose `folder` fingerprint still matches. Anything else (a
close without `folder`, a folder changed since, a close file edited) ends the
run or, for the last close, gives up: the caller then reads everything, and
the full check names what changed. Invoices of closed months are carried by
parsing only the files the close lists under `invoices`.

    >>> month_folder_of("journal/2026/10/alice.beancount")
    '2026-10'
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import json
import os
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import beancount
from beancount.core import data
from beancount.parser import parser

import coopledger
from coopledger.cache import cachefiles, entry_rows
from coopledger.git import gitrepo
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.closing import (
    BALANCES_KEY,
    CLOSE_FILE_NAME,
    CLOSE_TYPE,
    DIGESTS_KEY,
    FOLDER_KEY,
    GATHERED_FILE_NAME,
    INVOICE_FILES_KEY,
    TRADES_KEY,
    CarryFacts,
    Gathering,
    Opening,
    blob_id,
    folder_fingerprint,
    is_close_directive,
    is_content,
    month_of,
    text_fingerprint,
)
from coopledger.model.invoices import CLEARS_KEY, INVOICE_KEY, SETTLES_KEY
from coopledger.model.journal import JOURNAL_DIR, trades_of
from coopledger.model.rules import Rules

_MONTH_FOLDER = re.compile(r"(?:^|/)journal/(\d{4})/(\d{2})(?:/|$)")
_CLOSE_LINE = re.compile(rf'^\d{{4}}-\d{{2}}-\d{{2}} custom "{CLOSE_TYPE}"', re.MULTILINE)
_DIGESTS_LINE = re.compile(rf'^  {DIGESTS_KEY}: "[0-9a-f ]*"\n', re.MULTILINE)
_INVOICE_KEYS = (INVOICE_KEY, SETTLES_KEY, CLEARS_KEY)


def month_folder_of(path: str) -> str | None:
    """The month `YYYY-MM` whose folder holds `path`, if it lies in one."""
    found = _MONTH_FOLDER.search(path.replace("\\", "/"))
    return f"{found.group(1)}-{found.group(2)}" if found else None


def folder_of(root: Path, month: str) -> Path:
    return root / JOURNAL_DIR / month[:4] / month[5:7]


def folder_files(folder: Path) -> list[Path]:
    """The files a close's `folder` fingerprint covers: the journal files that
    beancount reads there and in its subfolders, the days' folders of one file
    per entry (`*.beancount`, not hidden, nor in a hidden folder; a link to a
    folder is not followed), but the month's own close.beancount."""
    found: list[Path] = []
    _collect(folder, folder, found)
    return sorted(found, key=lambda p: name_in(folder, p))


def _collect(top: Path, folder: Path, found: list[Path]) -> None:
    try:
        with os.scandir(folder) as items:
            listing = list(items)
    except (FileNotFoundError, NotADirectoryError):
        return
    for item in listing:
        if item.name.startswith("."):
            continue
        if item.is_dir(follow_symlinks=False):
            _collect(top, folder / item.name, found)
        elif (
            item.name.endswith(".beancount")
            and not (folder == top and item.name == CLOSE_FILE_NAME)
            and item.is_file()
        ):
            found.append(folder / item.name)


def name_in(folder: Path, path: Path) -> str:
    """The name of `path` in a month's `folder`: `alice.beancount`, `22/alice.x.beancount`."""
    return path.relative_to(folder).as_posix()


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def fingerprint_of_folder(folder: Path, known: dict[str, str] | None = None) -> str:
    """The `folder` fingerprint of the files now in `folder`. `known` maps file
    names to git's blob ids, when git saw them unchanged: only the others are read."""
    known = known or {}
    return folder_fingerprint(
        (name, known.get(name) or blob_id(_read_bytes(p)))
        for p in folder_files(folder)
        for name in [name_in(folder, p)]
    )


def is_invoice_entry(entry: data.Directive) -> bool:
    """An invoice, settlement or clearing: what carried invoices are made of."""
    if not isinstance(entry, data.Transaction):
        return False
    meta = entry.meta or {}
    if any(meta.get(key) is not None for key in _INVOICE_KEYS):
        return True
    return any(obligation_of_account(p.account) is not None for p in entry.postings)


# ---------------------------------------------------------------- at close time


@dataclasses.dataclass(frozen=True)
class MonthIndex:
    """The entries of a ledger grouped once for closing its months, so that
    closing N months costs N times one, not N times the whole ledger."""

    dated: dict[str, list[data.Directive]]  # month YYYY-MM -> entries dated in it
    filed: dict[str, list[data.Directive]]  # folder (as the entries name it) -> its entries
    coop_moves: dict[str, dict[str, Decimal]]  # month -> what moved the coop's own accounts


def index_months(entries: Sequence[data.Directive], coop_accounts: Sequence[str]) -> MonthIndex:
    dated: dict[str, list[data.Directive]] = {}
    filed: dict[str, list[data.Directive]] = {}
    moves: dict[str, dict[str, Decimal]] = {}
    accounts = set(coop_accounts)
    folders: dict[str, str] = {}  # file name -> its folder, worked out once per file
    for entry in entries:
        month = f"{entry.date.year:04d}-{entry.date.month:02d}"
        dated.setdefault(month, []).append(entry)
        filename = str((entry.meta or {}).get("filename", ""))
        folder = folders.get(filename)
        if folder is None:
            folder = folders[filename] = os.path.dirname(filename)
        filed.setdefault(folder, []).append(entry)
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                units = posting.units
                if posting.account in accounts and units and units.number is not None:
                    moved = moves.setdefault(month, {})
                    moved[posting.account] = moved.get(posting.account, Decimal(0)) + units.number
    return MonthIndex(dated, filed, moves)


def coop_balances_at(
    index: MonthIndex, accounts: Sequence[str], month: str, opening: Opening | None = None
) -> dict[str, Decimal]:
    """The cooperative's own accounts at the end of `month`: what the opening
    carries (if any) and what moved in the months up to `month`."""
    balances = {account: Decimal(0) for account in accounts}
    if opening is not None:
        for account, balance in opening.coop_balances.items():
            if account in balances:
                balances[account] += balance
    for moved_month, moved in index.coop_moves.items():
        if moved_month <= month:
            for account, amount in moved.items():
                balances[account] += amount
    return balances


def carry_facts(
    root: Path,
    index: MonthIndex,
    month: str,
    trades: int,
    coop_balances: dict[str, Decimal],
    gather: bool = False,
) -> CarryFacts:
    """What the close of `month` records for later checks to skip it; `trades`
    is the number of trades up to its end (see `trades_before`), `coop_balances`
    the cooperative's own accounts then (`coop_balances_at`).

    The folder is fingerprinted only when it is self-contained: every entry in
    its files is dated in the month and every entry of the month lies in it.
    Otherwise a check must read the month (no `folder`). With `gather`, the
    fingerprint is that of the folder once its files are gathered
    (`plan_gathering`), when they can be."""
    first, after = month_of(month)
    folder = folder_of(root, month)
    inside = {str(p) for p in folder_files(folder)}
    for entry in index.dated.get(month, ()):
        if str((entry.meta or {}).get("filename", "")) not in inside and is_content(entry):
            return CarryFacts(trades, coop_balances)  # an entry of the month elsewhere
    invoice_files: set[str] = set()
    in_folder = (  # the month's folder and its day folders (one file per entry)
        entry
        for name, filed in index.filed.items()
        if name == str(folder) or name.startswith(str(folder) + os.sep)
        for entry in filed
    )
    for entry in in_folder:
        filename = str((entry.meta or {}).get("filename", ""))
        if filename not in inside or is_close_directive(entry):
            continue
        if not first <= entry.date < after:
            return CarryFacts(trades, coop_balances)  # the folder holds another month's entry
        if is_invoice_entry(entry):
            invoice_files.add(name_in(folder, Path(filename)))
    invoices = tuple(sorted(invoice_files))
    gathering = plan_gathering(root, month, invoices) if gather else None
    if gathering is None:
        return CarryFacts(trades, coop_balances, fingerprint_of_folder(folder), invoices)
    kept = {name_in(folder, p) for p in folder_files(folder)} & set(gathering.kept)
    files = [(name, blob_id(_read_bytes(folder / name))) for name in sorted(kept)]
    files.append((GATHERED_FILE_NAME, blob_id(gathering.text.encode("utf-8"))))
    return CarryFacts(trades, coop_balances, folder_fingerprint(files), invoices, gathering)


_FILE_SCOPED = re.compile(rb"^(?:pushtag|poptag|pushmeta|popmeta|option|include|plugin)\b", re.M)


def plan_gathering(root: Path, month: str, invoice_files: Sequence[str]) -> Gathering | None:
    """The month's files gathered into one, `GATHERED_FILE_NAME`, for its close:
    a git index and a `git status` then grow with the open months, not with the
    years of history (docs/scaling.md). The files that hold invoices stay as
    they are, so that carrying them reads only them.

    The files of the days' folders (one file per entry, `journal.entry_file`)
    are gathered too, and the folders go with them. None when there is nothing
    to gather, when a subfolder holds anything but visible journal files and
    folders of them (the folder is replaced whole: nothing else may be lost),
    or when a file holds a directive whose effect stops at the end of its file
    (pushtag, option...): gathered, it would reach the files after it."""
    folder = folder_of(root, month)
    names = [n for p in folder_files(folder) if (n := name_in(folder, p)) not in invoice_files]
    if not names or GATHERED_FILE_NAME in invoice_files:
        return None
    with os.scandir(folder) as found:
        listing = [(item.name, item.is_dir(follow_symlinks=False)) for item in found]
    if any(is_folder and not _only_journal_files(folder / name) for name, is_folder in listing):
        return None
    parts = [
        f"; The entries of {month}, gathered from the month's files by `coopledger close`.\n"
        "; Each part begins with the name of the file it comes from. The month is closed:\n"
        "; do not edit this file (see close.beancount).\n"
    ]
    for name in names:
        content = _read_bytes(folder / name)
        if _FILE_SCOPED.search(content):
            return None
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        ending = "" if not text or text.endswith("\n") else "\n"
        parts.append(f"\n; ---- {name}\n{text}{ending}")
    relative_folder = f"{JOURNAL_DIR}/{month[:4]}/{month[5:7]}"
    gathered = set(names)
    kept = {n for n, is_folder in listing if not is_folder and n not in gathered}
    kept |= {n for n in invoice_files if "/" in n}  # invoices of a day's folder stay there
    kept.discard(CLOSE_FILE_NAME)
    return Gathering(relative_folder, "".join(parts), tuple(names), tuple(sorted(kept)))


def _only_journal_files(folder: Path) -> bool:
    """Whether `folder` holds nothing but visible `.beancount` regular files and
    folders that hold only such files: what `folder_files` covers, and so
    what a gathering can account for."""
    if folder.name.startswith("."):
        return False
    with os.scandir(folder) as found:
        for item in found:
            if item.is_dir(follow_symlinks=False):
                if not _only_journal_files(folder / item.name):
                    return False
            elif (
                item.name.startswith(".")
                or not item.name.endswith(".beancount")
                or not item.is_file(follow_symlinks=False)
            ):
                return False
    return True


def trades_before(entries: Sequence[data.Directive]) -> Callable[[datetime.date], int]:
    """A function that counts the trades dated before a day, read once."""
    dates = sorted(trade.date for trade in trades_of(entries))
    return lambda day: bisect.bisect_left(dates, day)


# ---------------------------------------------------------------- at check time


def month_folders(root: Path) -> list[tuple[str, Path]]:
    """Every month folder of the journal (journal/YYYY/MM), oldest first, as (YYYY-MM, path)."""
    journal = root / JOURNAL_DIR
    found = []
    for year in journal.glob("[0-9][0-9][0-9][0-9]"):
        for month in year.glob("[0-1][0-9]"):
            if month.is_dir():
                found.append((f"{year.name}-{month.name}", month))
    return sorted(found)


def _close_directive(path: Path) -> tuple[str, data.Custom] | None:
    """(text above the directive, the directive) of a close file, or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = _CLOSE_LINE.search(text)
    if found is None:
        return None
    above, below = text[: found.start()], text[found.start() :]
    # the digests (one per entry of the month) are for the full check: not parsed here
    below = _DIGESTS_LINE.sub("", below)
    entries, errors, _ = parser.parse_string(below, report_filename=str(path))
    directives = [e for e in entries if isinstance(e, data.Custom) and is_close_directive(e)]
    if errors or len(directives) != 1:
        return None
    directive = directives[0]
    line = directive.meta["lineno"] + above.count("\n")
    return above, directive._replace(meta={**directive.meta, "lineno": line})


CARRIED_DIR = "carried-invoices"  # in the user's cache: a closed month's invoices, kept
CARRIED_FORMAT = "carried-invoices 1"
CARRIED_KEY = f"coopledger {coopledger.__version__} beancount {beancount.__version__}"


def _carried_invoices(
    root: Path, month: str, folder: Path, names: Sequence[str], folder_print: str
) -> list[data.Transaction] | None:
    """The invoices, settlements and clearings of the closed month in `folder`
    (in its files `names`), kept in the user's cache by the folder's fingerprint,
    which the caller has verified: a month's invoice files are parsed once, not
    at every read of the open period. None when they cannot be carried."""
    if not names:
        return []
    cache = cachefiles.cache_dir(root)
    if cache is None:
        return _parsed_invoices(folder, names)
    where = cache / CARRIED_DIR / f"{month}.json"
    stamp: dict[str, object] = {"format": CARRIED_FORMAT, "key": CARRIED_KEY}
    stamp.update(print=folder_print, names=list(names))
    if cachefiles.usable(cache):  # this user's own folder, nobody else may write in it
        kept = _kept_invoices(cachefiles.read_file(where), stamp)
        if kept is not None:
            return kept
    carried = _parsed_invoices(folder, names)
    if carried is None:
        return None
    try:
        rows = [entry_rows.row_of(entry) for entry in carried]
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        if cachefiles.usable(cache):
            cachefiles.write_file(where, json.dumps({**stamp, "rows": rows}).encode("utf-8"))
    except (entry_rows.NotKept, OSError):
        pass  # read from the files the next time too: a cache only saves time
    return carried


def _kept_invoices(
    payload: bytes | None, stamp: dict[str, object]
) -> list[data.Transaction] | None:
    """The entries kept in `payload` for exactly `stamp`, else None (parsed again)."""
    if payload is None:
        return None
    try:
        kept = json.loads(payload)
        if not isinstance(kept, dict) or any(kept.get(k) != v for k, v in stamp.items()):
            return None
        entries = [entry_rows.entry_of(row) for row in kept["rows"]]
    except (ValueError, TypeError, KeyError, ArithmeticError):  # CacheInvalid is a ValueError
        return None
    if not all(is_invoice_entry(entry) for entry in entries):
        return None
    return entries


def _parsed_invoices(folder: Path, names: Sequence[str]) -> list[data.Transaction] | None:
    carried: list[data.Transaction] = []
    for name in names:
        entries, errors, _ = parser.parse_file(str(folder / name))
        if errors:
            return None
        for entry in entries:
            if not isinstance(entry, data.Transaction) or not is_invoice_entry(entry):
                continue
            if any(
                p.units is None or not isinstance(p.units.number, Decimal) for p in entry.postings
            ):
                return None  # an amount left for beancount to fill in: read it all
            carried.append(entry)
    return carried


def read_opening(
    root: Path, rules: Rules, tree_is_clean: bool = False, with_invoices: bool = True
) -> Opening | None:
    """The opening of the open period, or None when the closed months cannot be
    carried (none closed, a close without fingerprints, a closed folder or a
    close file changed since): then read everything.

    `tree_is_clean`: git found nothing modified or untracked, so its index's blob
    ids stand for the files' bytes, which then need not be read. Without
    `with_invoices`, the closed months' invoices are not parsed (`carried` is empty):
    for a caller that reads no open entry."""
    last: tuple[str, str, data.Custom] | None = None  # (month, text above, directive)
    folders: list[str] = []
    prints: list[str] = []
    carried: list[data.Directive] = []
    known: dict[str, str] = {}
    if tree_is_clean:
        ids = gitrepo.index_blob_ids(root, JOURNAL_DIR)
        known = {path: blob for path, blob in ids.items() if len(blob) == 40}  # sha1 repos
    for month, folder in month_folders(root):
        read = _close_directive(folder / CLOSE_FILE_NAME)
        if read is None:
            break
        above, directive = read
        meta = directive.meta
        values = [str(v.value) for v in directive.values]
        if values != [month] or meta.get(FOLDER_KEY) is None:
            break
        prefix = f"{JOURNAL_DIR}/{month[:4]}/{month[5:7]}/"
        in_git = {p[len(prefix) :]: b for p, b in known.items() if p.startswith(prefix)}
        recorded = str(meta[FOLDER_KEY])
        if recorded != fingerprint_of_folder(folder, in_git) and (
            not in_git or recorded != fingerprint_of_folder(folder)  # git's ids may not be
        ):  # the bytes' (an eol conversion): then the bytes decide
            return None
        names = str(meta.get(INVOICE_FILES_KEY, "")).split() if with_invoices else []
        invoices = _carried_invoices(root, month, folder, names, recorded)
        if invoices is None:
            return None
        carried.extend(invoices)
        folders.append(f"{JOURNAL_DIR}/{month[:4]}/{month[5:7]}")
        prints.append(recorded)
        last = (month, above, directive)
    if last is None:
        return None
    opening = _opening(root, rules, *last, tuple(folders), tuple(carried))
    return dataclasses.replace(opening, prints=tuple(prints)) if opening else None


@dataclasses.dataclass(frozen=True)
class ClosedFolder:
    """A month folder holding a close of its own month (`close_chain`): not
    verified; a full check along the closes judges each."""

    month: str  # YYYY-MM
    folder: Path
    above: str  # the close file's text above its directive: the balance assertions
    directive: data.Custom

    @property
    def path(self) -> str:
        """The folder, relative to the root (journal/YYYY/MM)."""
        return f"{JOURNAL_DIR}/{self.month[:4]}/{self.month[5:7]}"


def close_chain(root: Path) -> list[ClosedFolder]:
    """The longest run of month folders, oldest first, each holding a readable
    close of its own month (`read_opening` carries the same run, once verified)."""
    chain: list[ClosedFolder] = []
    for month, folder in month_folders(root):
        read = _close_directive(folder / CLOSE_FILE_NAME)
        if read is None or [str(v.value) for v in read[1].values] != [month]:
            break
        chain.append(ClosedFolder(month, folder, read[0], read[1]))
    return chain


def opening_after(
    root: Path, rules: Rules, closed: ClosedFolder, folders: tuple[str, ...]
) -> Opening | None:
    """The balances `closed`'s close carries (its balance assertions), with the
    closed `folders` up to it and no invoice carried; None when it carries none
    (see `_opening`)."""
    return _opening(root, rules, closed.month, closed.above, closed.directive, folders, ())


def closed_folder_prints(root: Path) -> dict[str, str]:
    """Each closed month whose close records a `folder` fingerprint, with it (not
    verified here: `read_opening` verifies before anything is carried)."""
    found: dict[str, str] = {}
    for month, folder in month_folders(root):
        read = _close_directive(folder / CLOSE_FILE_NAME)
        if read is not None and read[1].meta.get(FOLDER_KEY) is not None:
            found[month] = str(read[1].meta[FOLDER_KEY])
    return found


def _opening(
    root: Path,
    rules: Rules,
    month: str,
    above: str,
    directive: data.Custom,
    folders: tuple[str, ...],
    carried: tuple[data.Directive, ...],
) -> Opening | None:
    meta = directive.meta
    if str(meta.get(BALANCES_KEY)) != text_fingerprint(above):
        return None  # the balance assertions were edited: read everything
    try:
        trades = int(str(meta.get(TRADES_KEY)))
    except ValueError:
        return None
    entries, errors, _ = parser.parse_string(above)
    if errors:
        return None
    _, after = month_of(month)
    balances: dict[str, Decimal] = {}
    coop_balances = dict.fromkeys(rules.coop_accounts, Decimal(0))
    for entry in entries:
        if not isinstance(entry, data.Balance) or entry.date != after:
            return None
        if entry.amount.currency != rules.currency:
            return None  # the currency changed since: read everything
        number = entry.amount.number
        if number is None:
            return None
        member = member_of_account(entry.account)
        if entry.account in coop_balances:
            coop_balances[entry.account] = number
        elif member is not None:
            balances[member] = number
        else:
            return None
    if sum(balances.values(), Decimal(0)) + sum(coop_balances.values(), Decimal(0)) != 0:
        return None
    file = str(Path(str(meta["filename"])).relative_to(root))
    return Opening(
        month, after, balances, coop_balances, trades, folders, carried, file, meta["lineno"]
    )
