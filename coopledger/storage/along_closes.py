"""The full check along the closes: each closed month judged on its own, in parallel.

`check --no-cache` reads and judges everything again, trusting no cache and no
fingerprint. Once months are closed, that work splits: each close asserts every
balance at its month's end, so a closed month can be judged from the opening
its previous close carries, in a process of its own, while the open period is
judged from the last close, as everyday commands read it. The months are
judged side by side, one process per CPU.

Judged so, the books are found clean only when the full check would find them
clean. Every month's process checks what ties it to the others:

- its folder holds only its own month's entries: a transaction, a balance
  assertion or a close dated elsewhere, an account opened, closed or padded in
  it, or a commodity declared in it, sends the check back to the full read;
  a file outside the month folders (main.beancount...) may hold no transaction;
- its close carries what the month really ends with: the balances its
  assertions give (those the next month starts from) are the balances the
  month's entries lead to, for every member and account of the cooperative;
- the trade ids of all months, and of the open period, are told apart;
- invoices are judged once, over every period's invoice entries (sent back by
  each process, a few hundred a month), as the full read judges them.

Any problem, in any month, and the full read runs instead: its words, files
and lines are the ones the user gets, and a problem is never said twice. So
this route only ever answers "no problem", faster; a cooperative whose books
have problems pays for both. It needs two CPUs or more, and closed months.
"""

from __future__ import annotations

import dataclasses
import datetime
import multiprocessing
import os
from array import array
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from beancount.core import data

from coopledger.cache import carry
from coopledger.model.closing import (
    CLOSE_FILE_NAME,
    ENTRIES_KEY,
    Opening,
    is_close_directive,
    is_content,
    month_of,
)
from coopledger.model.invoices import check_invoices
from coopledger.model.journal import trades_of
from coopledger.model.members import Roster
from coopledger.model.problems import CoopError, Problem
from coopledger.model.rules import Rules
from coopledger.storage import journal_load, store
from coopledger.validation.checks import coop_account_balances

# why the check went back to the full read (`Declined.reason`): the ledger names them
NO_CLOSED_MONTH = "no closed month"
ONE_CPU = "one CPU"
NO_FORK = "no process can be forked here"
SETUP_UNREADABLE = "rules.yaml or members.yaml has problems"
NOT_ALONE = "a month cannot be read alone"
ENTRY_OUTSIDE_MONTH = "an entry outside its month"
CLOSE_MISMATCH = "a close does not carry its month's end"
PROBLEMS_FOUND = "problems found"
TRADE_ID_TWICE = "a trade id in two periods"
PROCESS_FAILED = "a process failed"
REASONS = (
    NO_CLOSED_MONTH, ONE_CPU, NO_FORK, SETUP_UNREADABLE, NOT_ALONE, ENTRY_OUTSIDE_MONTH,
    CLOSE_MISMATCH, PROBLEMS_FOUND, TRADE_ID_TWICE, PROCESS_FAILED,
)  # fmt: skip


@dataclass(frozen=True)
class Declined:
    """The books could not be judged along the closes: read them whole."""

    reason: str


@dataclass(frozen=True)
class _Judged:
    """What a closed month's process sends back: small, whatever the month's size."""

    month: str
    declined: str | None
    trades: int = 0
    trade_ids: bytes = b""  # the hashes of its trade ids (`_id_hashes`)
    invoice_entries: tuple[data.Directive, ...] = ()  # its invoices, settlements, clearings


@dataclass(frozen=True)
class _Along:
    """What every month's process starts from (inherited when forked, never pickled)."""

    root: Path
    rules: Rules
    roster: Roster
    chain: tuple[carry.ClosedFolder, ...]
    month_folders: frozenset[str]  # every month folder, closed or open


_along: _Along | None = None  # set in the parent just before forking


def load(root: Path) -> store.Cooperative | Declined:
    """The open period's `Cooperative` when every closed month and the open
    period are found without a problem, judged along the closes; else why not
    (the caller then reads everything: `store.load`)."""
    global _along
    processes = cpus()
    if processes < 2:
        return Declined(ONE_CPU)
    if "fork" not in multiprocessing.get_all_start_methods():
        return Declined(NO_FORK)  # each run starts from what the parent read, inherited
    if not store.standard_includes(root):
        return Declined(NOT_ALONE)
    chain = tuple(carry.close_chain(root))
    if not chain:
        return Declined(NO_CLOSED_MONTH)
    with journal_load.collector_paused():
        problems: list[Problem] = []
        rules, roster = store.read_setup(root, problems)
        if rules is None or roster is None or problems:
            return Declined(SETUP_UNREADABLE)
        folders = frozenset(f"journal/{m[:4]}/{m[5:7]}" for m, _ in carry.month_folders(root))
        _along = _Along(root, rules, roster, chain, folders)
        try:
            return _judged_in_parallel(min(processes, len(chain)))
        finally:
            _along = None


def cpus() -> int:
    """How many CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _judged_in_parallel(processes: int) -> store.Cooperative | Declined:
    assert _along is not None
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(processes, mp_context=context)
    try:
        futures: list[Future[_Judged]] = [
            pool.submit(_judge_closed_months, first, last)
            for first, last in runs_of_months([_entries_of(c) for c in _along.chain], processes)
        ]
        try:  # here, while the processes judge the months
            open_period = _judge_open_period()
        except (CoopError, OSError):
            return Declined(PROCESS_FAILED)  # the full read says what is wrong, if anything
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        judged = []
        for future in futures:
            failed = future.exception() if future in done else None
            if isinstance(failed, BrokenProcessPool | CoopError | OSError):
                return Declined(PROCESS_FAILED)  # the full read says what is wrong, if anything
            judged.append(future.result())  # a bug is raised here, as it would be at home
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for run in judged:
        if run.declined is not None:
            return Declined(run.declined)
    if isinstance(open_period, Declined):
        return open_period
    coop, open_ids = open_period
    ids = array("q")
    for run in judged:
        ids.frombytes(run.trade_ids)
    ids.frombytes(open_ids)
    if len(set(ids)) != len(ids):
        return Declined(TRADE_ID_TWICE)
    carried = tuple(entry for run in judged for entry in run.invoice_entries)
    if check_invoices([*carried, *coop.entries], str(_along.root)):
        return Declined(PROBLEMS_FOUND)  # in date order: each run's months, then the open ones
    assert coop.opening is not None
    trades = sum(run.trades for run in judged)  # counted, not taken from the closes
    opening = dataclasses.replace(coop.opening, trades=trades, carried=carried)
    return dataclasses.replace(coop, opening=opening)


def runs_of_months(weights: Sequence[int], count: int) -> list[tuple[int, int]]:
    """The closed months (each weighing its entries, as its close counts them) cut
    into at most `count` runs of months in a row, as (first index, last index), of
    about the same weight each: one process per run, so that what every process
    pays once (beancount's set-up of each asserted account, the members'
    accounts) is paid `count` times, not once a month.

    >>> runs_of_months([10] * 6, 2), runs_of_months([50, 1, 1, 1], 3)
    ([(0, 2), (3, 5)], [(0, 0), (1, 1), (2, 3)])
    """
    weights = [max(weight, 1) for weight in weights]
    total = sum(weights)
    runs: list[tuple[int, int]] = []
    first, done = 0, 0
    for index, weight in enumerate(weights):
        done += weight
        left = len(weights) - index - 1
        runs_left = count - len(runs) - 1
        if runs_left and left and (done >= total * (len(runs) + 1) / count or left < runs_left):
            runs.append((first, index))
            first = index + 1
    runs.append((first, len(weights) - 1))
    return runs


def _entries_of(closed: carry.ClosedFolder) -> int:
    """The entries the month's close counts (1 when it cannot be read)."""
    try:
        return int(str(closed.directive.meta.get(ENTRIES_KEY)))
    except ValueError:
        return 1


def _judge_closed_months(first: int, last: int) -> _Judged:
    """Judge the closed months `first` to `last` of the chain from the opening
    the close before them carries (in a forked process)."""
    assert _along is not None
    with journal_load.collector_paused():
        return _judge_run(_along, first, last)


def _judge_run(along: _Along, first: int, last: int) -> _Judged:
    run = along.chain[first : last + 1]
    name = run[-1].month
    opening = _opening_before(along, first)
    if first and opening is None:
        return _Judged(name, CLOSE_MISMATCH)
    months = {str(closed.folder) + os.sep: closed.month for closed in run}
    declined: list[str] = []

    def alone(entries: Sequence[data.Directive]) -> bool:
        reason = _outside_months(entries, months)
        if reason is not None:
            declined.append(reason)
        return reason is None

    skipped = along.month_folders - {closed.path for closed in run}
    coop = store.load_period(
        along.root, along.rules, lambda: (along.roster, []), opening, skipped, alone, False
    )
    if coop is None:
        return _Judged(name, declined[0] if declined else NOT_ALONE)
    if coop.problems:
        return _Judged(name, PROBLEMS_FOUND)
    if not _close_carries_the_end(along, last, coop):
        return _Judged(name, CLOSE_MISMATCH)
    trades = sum(1 for _ in trades_of(coop.entries))
    invoices = tuple(entry for entry in coop.entries if carry.is_invoice_entry(entry))
    return _Judged(name, None, trades, _id_hashes(coop.entries), invoices)


def _opening_before(along: _Along, index: int) -> Opening | None:
    """What the close before month `index` carries (its balances; the invoices
    are judged apart): None for the first month, or when it carries nothing."""
    if index == 0:
        return None
    folders = tuple(closed.path for closed in along.chain[:index])
    return carry.opening_after(along.root, along.rules, along.chain[index - 1], folders)


def _outside_months(entries: Sequence[data.Directive], months: dict[str, str]) -> str | None:
    """Why a run of months cannot be judged alone, if it cannot (see the module's
    docstring). `months`: each month's folder (ending with a separator) -> YYYY-MM."""
    bounds = {folder: month_of(month) for folder, month in months.items()}
    folder_of: dict[str, str | None] = {}  # file -> its month's folder, None: outside them
    for entry in entries:
        filename = str((entry.meta or {}).get("filename", ""))
        own = folder_of.get(filename, "")
        if own == "":
            own = folder_of[filename] = next((f for f in months if filename.startswith(f)), None)
        if own is None:
            if isinstance(entry, data.Transaction | data.Close | data.Pad) or (
                is_close_directive(entry)
            ):
                return ENTRY_OUTSIDE_MONTH  # outside the month folders: read by every run
            continue
        if isinstance(entry, data.Open | data.Close | data.Pad | data.Commodity):
            return ENTRY_OUTSIDE_MONTH
        if is_close_directive(entry):
            assert isinstance(entry, data.Custom)
            if [str(v.value) for v in entry.values] != [months[own]]:
                return ENTRY_OUTSIDE_MONTH
        first, after = bounds[own]
        latest = after if not is_content(entry) else after - datetime.timedelta(days=1)
        if not first <= entry.date <= latest:
            return ENTRY_OUTSIDE_MONTH
    return None


def _close_carries_the_end(along: _Along, index: int, coop: store.Cooperative) -> bool:
    """Whether the opening the close of month `index` carries is the real end
    of the months read (`coop`), for every member and account of the cooperative."""
    folders = tuple(closed.path for closed in along.chain[: index + 1])
    carried = carry.opening_after(along.root, along.rules, along.chain[index], folders)
    if carried is None:
        return False
    last_day = carried.day - datetime.timedelta(days=1)
    ended = {
        member: series[-1].closing
        for member, series in coop.history.items()
        if series and series[-1].closing
    }
    stated = {member: balance for member, balance in carried.balances.items() if balance}
    if ended != stated:
        return False
    coop_ended = coop_account_balances(coop.entries, along.rules.coop_accounts, last_day)
    opening = coop.opening
    for account, balance in carried.coop_balances.items():
        before = opening.coop_balances.get(account, Decimal(0)) if opening else Decimal(0)
        if before + coop_ended.get(account, Decimal(0)) != balance:
            return False
    return True


def _id_hashes(entries: Sequence[data.Directive]) -> bytes:
    """The hashes of the transactions' trade ids, to tell them apart across
    processes (forked from one parent, they hash alike; two ids that hash alike
    send the check to the full read, which tells them apart for sure)."""
    found = array(
        "q",
        (
            hash(str(e.meta["trade"]))
            for e in entries
            if isinstance(e, data.Transaction) and e.meta and e.meta.get("trade") is not None
        ),
    )
    return found.tobytes()


def _judge_open_period() -> tuple[store.Cooperative, bytes] | Declined:
    """The open period from the last close, judged as the months are: its
    entries dated after the last closed month, no problem."""
    assert _along is not None
    along = _along
    opening = _opening_before(along, len(along.chain))
    if opening is None:
        return Declined(CLOSE_MISMATCH)
    declined: list[str] = []

    def alone(entries: Sequence[data.Directive]) -> bool:
        reason = _before_open_period(entries, along.root, opening)
        if reason is not None:
            declined.append(reason)
        return reason is None

    coop = store.load_period(
        along.root,
        along.rules,
        lambda: (along.roster, []),
        opening,
        frozenset(opening.folders),
        alone,
        False,
    )
    if coop is None:
        return Declined(declined[0] if declined else NOT_ALONE)
    if coop.problems:
        return Declined(PROBLEMS_FOUND)
    return coop, _id_hashes(coop.entries)


def _before_open_period(
    entries: Sequence[data.Directive], root: Path, opening: Opening
) -> str | None:
    """Why the open period cannot be judged alone, if it cannot: an entry of a
    month folder dated in a closed month, a transaction dated there anywhere, an
    account closed or padded, or a close of a closed month or outside a close file."""
    for entry in entries:
        if isinstance(entry, data.Close | data.Pad):
            return ENTRY_OUTSIDE_MONTH
        filename = str((entry.meta or {}).get("filename", ""))
        if is_close_directive(entry):
            assert isinstance(entry, data.Custom)
            month = str(entry.values[0].value) if entry.values else ""
            if month <= opening.month or os.path.basename(filename) != CLOSE_FILE_NAME:
                return ENTRY_OUTSIDE_MONTH
        if entry.date < opening.day:
            in_month_folder = carry.month_folder_of(os.path.relpath(filename, root)) is not None
            if in_month_folder or is_content(entry):
                return ENTRY_OUTSIDE_MONTH
    return None
