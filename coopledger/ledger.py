"""A cooperative, opened: the one door to read, judge and write its books.

Like sqlite-utils' `Database`, usable from Python without the command line:

    from coopledger.ledger import Ledger, TradeRequest

    books = Ledger.open("/path/to/coop")
    view = books.view()                          # balances, problems, rules...
    view.balance("alice")
    done = books.record(TradeRequest("alice", "bob", "12.50", day, "pain"))
    done.sha, done.balances, done.warnings       # the commit and what it left
    books.gate(since="origin/main")              # the pull-request gate's problems
    books.export("trades", None, day).items      # a table for CSV or JSON
    books.write(lambda coop, author: (plan_member_status(coop, "bob", "left", day,
                author), None))              # any planner's write, checked and committed

Every command of `coopledger.cli` is one call here (`tests/test_architecture.py`
keeps the store, the caches and git out of the command line).

The ledger alone decides how the books are read, fastest first:

- the **snapshot** (`coopledger.cache.snapshot`), when it still matches the files;
- the **open period** (`store.load_open_period`): the months after the last
  close, their balances carried from the close;
- the **full** load (`store.load`), every file read and checked.

Each answer says which route served (`route`) and why a faster one was skipped
(`reason`); `coopledger --verbose` (or COOPLEDGER_VERBOSE=1) prints it.
Nothing here prints or exits: the commands render what it returns.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from beancount.core import data

from coopledger.cache import snapshot
from coopledger.git import gitrepo
from coopledger.git.gitrepo import Identity  # who signs a commit: (name, e-mail)
from coopledger.model.closing import Opening
from coopledger.model.days import DayBalance
from coopledger.model.journal import Trade, entry_path, trades_of
from coopledger.model.members import Roster
from coopledger.model.months import Month
from coopledger.model.problems import CoopError, Problem
from coopledger.model.rules import Rules
from coopledger.review import gatekeeper
from coopledger.storage import store
from coopledger.storage.store import Change, Cooperative
from coopledger.validation.checks import coop_account_balances

if TYPE_CHECKING:  # imported where used: a warm `check` or `trade` needs none of them
    from coopledger.cache import closed_index
    from coopledger.founding.demo import DemoSpec
    from coopledger.intergroup.federation import GroupBooks, PartnerBook
    from coopledger.model.invoices import Invoice
    from coopledger.model.members import Member
    from coopledger.plans.changes import PlannedTrade
    from coopledger.plans.csvio import Table
    from coopledger.reporting.balances import BalanceRow
    from coopledger.reporting.reports import MonthlyReport, Statement
    from coopledger.setoff.clearing import Clearing

SNAPSHOT, OPEN_PERIOD, FULL = "snapshot", "open period", "full"
ALONG_CLOSES = "along the closes"  # everything read, month by month (storage.along_closes)


@dataclass(frozen=True)
class Reason:
    """Why a faster route was skipped, as a value: one of the codes below and its
    values; the command line says it in the reader's language
    (`coopledger.language.routes`)."""

    code: str
    params: tuple[tuple[str, str], ...] = ()


Why = tuple[Reason, ...]  # the reasons, in the order the routes were skipped


def because(code: str, **params: object) -> Why:
    return (Reason(code, tuple((name, str(value)) for name, value in params.items())),)


# why a faster route was skipped (`Reason.code`), and the values each one has
NO_CACHE = "no-cache"  # --no-cache, or a Ledger opened without its caches
SNAPSHOT_LACKS_BALANCES = "snapshot-lacks-balances"  # since
TREE_DIFFERS = "tree-differs"  # the working tree differs from the last commit
NO_SNAPSHOT_OF_COMMIT = "no-snapshot-of-commit"
NO_SNAPSHOT_OF_FILES = "no-snapshot-of-files"
NO_SAVED_SNAPSHOT = "no-saved-snapshot"
SNAPSHOT_STALE = "snapshot-stale"  # the saved snapshot no longer matches the files
SNAPSHOT_LACKS_MONTH = "snapshot-lacks-month"  # month
SNAPSHOT_CANNOT_JUDGE = "snapshot-cannot-judge"  # detail (the cache's own words)
OPEN_PERIOD_NOT_ALONE = "open-period-not-alone"
OPEN_PERIOD_CANNOT_ANSWER = "open-period-cannot-answer"
OPEN_PERIOD_CANNOT_JUDGE = "open-period-cannot-judge"  # detail
IN_CLOSED_MONTH = "in-closed-month"  # day
CLOSED_MONTH_NOT_ALONE = "closed-month-not-alone"  # detail
REVISION = "revision"  # rev
OPEN_PERIOD_CANNOT_JUDGE_WRITE = "open-period-cannot-judge-write"  # day (before the period)
BEFORE_OPEN_PERIOD = "before-open-period"  # day
SNAPSHOT_NOT_KEPT = "snapshot-not-kept"  # detail: why a write left no snapshot
ALONG_CLOSES_DECLINED = "along-closes-declined"  # detail (the store's words)
# who signs a dry run: nothing is committed, so no identity is needed
DRY_RUN_AUTHOR: Identity = ("dry run", "dry-run@coopledger.invalid")


@dataclass(frozen=True)
class TradeRequest:
    """What a member asks to record: PAYER pays PAYEE AMOUNT (text, as typed)."""

    payer: str
    payee: str
    amount: str
    day: datetime.date
    memo: str = ""
    category: str | None = None


@dataclass
class View:
    """The books read at a moment: a valid snapshot, or a load of the files.

    `route` is the way they were read (SNAPSHOT, OPEN_PERIOD or FULL) and
    `reason` why a faster route was skipped (None when the fastest served)."""

    state: snapshot.Snapshot | None
    coop: store.Cooperative | None
    route: str = FULL
    reason: Why | None = None

    @property
    def rules(self) -> Rules | None:
        return self.state.rules if self.state else self.coop.rules if self.coop else None

    @property
    def roster(self) -> Roster | None:
        return self.state.roster if self.state else self.coop.roster if self.coop else None

    @property
    def problems(self) -> list[Problem]:
        return self.state.problems if self.state else self.coop.problems if self.coop else []

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def history(self, day: datetime.date) -> Mapping[str, Sequence[DayBalance]]:
        """Day balances good enough to read every member's balance at `day`."""
        if self.state is not None:
            return self.state.history_at(day)
        return self.coop.history if self.coop else {}

    def balance(self, member: str, day: datetime.date | None = None) -> Decimal:
        """`member`'s balance at the end of `day` (default: its last)."""
        from coopledger.validation.checks import balance_at

        history = self.history(day or datetime.date.max)
        return balance_at(history.get(member, ()), day)

    def coop_balances(self, day: datetime.date) -> dict[str, Decimal]:
        """The cooperative's own accounts (rules.yaml `accounts:`) at the end of `day`."""
        if self.state is not None:
            return snapshot.coop_balances(self.state, day)
        if self.coop is None or self.coop.rules is None:
            return {}
        found = coop_account_balances(self.coop.entries, self.coop.rules.coop_accounts, day)
        opening = self.coop.opening
        if opening is not None and day >= last_closed_day(opening):
            for account, balance in opening.coop_balances.items():
                found[account] = found.get(account, Decimal(0)) + balance
        return found

    @property
    def carried_through(self) -> str | None:
        """The last closed month carried instead of read, if any."""
        if self.state is not None:
            return self.state.carried_month
        if self.route == ALONG_CLOSES:
            return None  # every closed month was read and judged again
        opening = self.coop.opening if self.coop else None
        return opening.month if opening else None

    def trade_count(self) -> int:
        if self.state is not None:
            return self.state.trade_count
        if self.coop is None:
            return 0
        carried = self.coop.opening.trades if self.coop.opening else 0
        return carried + sum(1 for _ in trades_of(self.coop.entries))


@dataclass(frozen=True)
class Recorded:
    """A trade written and committed: the trade (with its file and line), the
    entry, the commit, each member's balance after it, the warnings, the rules
    it was written under, and how the ledger was read to judge it."""

    trade: Trade
    entry: object
    sha: str
    balances: dict[str, Decimal]
    warnings: tuple[Problem, ...]
    rules: Rules
    route: str = FULL
    reason: Why | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Written(Generic[T]):
    """A write done (or, `dry_run`, planned only: `sha` None): the change, what
    the plan returned with it, the commit, and the warnings: the change's own,
    then what the pull-request gate will refuse in it."""

    change: Change | None  # None: nothing to write (the plan found it done)
    value: T
    sha: str | None
    warnings: tuple[Problem, ...]
    rules: Rules
    route: str = FULL  # how the books were read to plan it (`--verbose` says it)
    reason: Why | None = None  # why a faster route was skipped


@dataclass(frozen=True)
class Reversal:
    """A reversal recorded: the whole id of the trade reversed, and the counter-entry."""

    reversed_id: str
    trade: Trade


@dataclass(frozen=True)
class Reported:
    """A monthly report, whether the files have errors, and how it was computed."""

    report: MonthlyReport
    has_errors: bool
    route: str = FULL
    reason: Why | None = None


@dataclass(frozen=True)
class Stated:
    """A member's statement over a period, with the rules and members read."""

    statement: Statement
    rules: Rules
    roster: Roster
    error_count: int  # errors in the files (run `check`)
    route: str = FULL
    reason: Why | None = None


@dataclass(frozen=True)
class Period:
    """What a statement or an export of a period reads when months are closed: the
    closed months from the period's first to the last closed one, the open
    period's transactions when the period reaches it (else none), and a member's
    balance before the first of those months."""

    rules: Rules
    roster: Roster
    errors: int
    route: str
    asked: list[tuple[str, str]]  # the closed months' folders and fingerprints, from the first
    months: list[closed_index.MonthEntries]  # ... read (for a member's statement)
    entries: list[data.Transaction]
    before: Decimal


@dataclass(frozen=True)
class Traded:
    """The trades of a period (every one whose day may fall in it: the caller
    filters and orders), with the rules and members read."""

    trades: list[Trade]
    rules: Rules
    roster: Roster
    error_count: int  # errors in the files (run `check`)
    route: str = FULL
    reason: Why | None = None


@dataclass
class Checked:
    """What `check` found: every problem (the gate's after the working tree's),
    the view it read (None when the change was refused unread: it holds files
    beancount must not read)."""

    problems: list[Problem]
    view: View | None
    gated: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def federation_checks(root: Path, view: View) -> list[Problem]:
    """partners.yaml and the trust lines (docs/federation.md), when there are partners."""
    if view.rules is None or not os.path.lexists(root / "partners.yaml"):
        return []
    from coopledger.intergroup.federation import partner_problems, partners_text

    try:
        text = partners_text(root)
    except CoopError as error:
        return [Problem(error.code, "partners.yaml", None, error.params)]
    return partner_problems(text, view.rules, view.coop_balances(datetime.date.max))


def usable_parts(coop: store.Cooperative) -> tuple[Rules, Roster]:
    """Rules and members good enough to read from, or CoopError."""
    if coop.rules is None or coop.roster is None:
        raise CoopError("ledger-has-problems", problems=tuple(coop.errors))
    return coop.rules, coop.roster


@contextlib.contextmanager
def loaded(root: Path, rev: str | None) -> Iterator[store.Cooperative]:
    """The cooperative as it is on disk, or as it was at git revision `rev`."""
    if rev is None:
        yield store.load(root)
        return
    with tempfile.TemporaryDirectory(prefix="coopledger-rev-") as folder:
        gitrepo.export_tree(root, rev, Path(folder))
        yield store.load(Path(folder))


def last_closed_day(opening: Opening | None) -> datetime.date:
    return opening.day - datetime.timedelta(days=1) if opening else datetime.date.min


def _save_quietly(root: Path, fresh: snapshot.Snapshot | None) -> None:
    """Save a snapshot just built; a cache that cannot be written only costs time."""
    if fresh is not None:
        with contextlib.suppress(OSError):
            snapshot.save(root, fresh)


def write_ci(
    root: Path, platform: str, author: gitrepo.Identity, force: bool, source: str
) -> list[str]:
    """Write and commit the CI files for `platform`, installing coopledger from
    `source` (see `ci_templates.pinned_source`); return their paths."""
    from coopledger.founding.ci_templates import PLATFORMS, ci_files

    if platform not in PLATFORMS:
        raise CoopError("bad-ci-platform", value=platform, choices=", ".join(PLATFORMS))
    files = {
        name: text
        for name, text in ci_files(platform, source).items()
        if not (root / name).exists() or (root / name).read_text(encoding="utf-8") != text
    }
    for name in files:
        if (root / name).exists() and not force:
            raise CoopError("ci-file-exists", path=name)
    if not files:
        return []
    repo = gitrepo.open_repo(root)
    gitrepo.ensure_writable(repo, list(files))
    store.apply(root, store.Change(files, f"ci: check pull requests on {platform}", author))
    return list(files)


@dataclass(frozen=True)
class NewMember:
    """What `member add` asks: the member's fields as typed (limits as text)."""

    id: str
    name: str
    kind: str
    joined: datetime.date
    emails: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    floor: str | None = None
    ceiling: str | None = None


@dataclass(frozen=True)
class Listing(Generic[T]):
    """What a reading command shows: the items, the rules they are in, and how
    many errors the files have (run `check`)."""

    items: T
    rules: Rules
    error_count: int
    route: str = FULL  # how the books were read (`--verbose` says it)
    reason: Why | None = None  # why a faster route was skipped


@dataclass(frozen=True)
class CsvText:
    """An export written as CSV, and how many rows it holds (its header apart)."""

    text: str
    rows: int


@dataclass(frozen=True)
class UndoneImport:
    """`import --undo`: the import's commit and the counter-entries of its trades."""

    commit: str
    reversals: tuple[Trade, ...]


@dataclass(frozen=True)
class Committed:
    """Hand edits committed (`commit`): the commit, its files, the warnings."""

    sha: str
    paths: tuple[str, ...]
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class Founding:
    """What `Ledger.create` is asked: the cooperative, and its first treasurer if any."""

    name: str | None = None
    currency: str = "SEL"
    currency_name: str | None = None
    treasurer: str | None = None
    treasurer_name: str | None = None
    email: str | None = None
    kind: str = "person"
    joined: datetime.date | None = None
    ci: str | None = None
    ci_source: str = ""
    language: str | None = None  # rules.yaml `language:` (None: the reader's locale)


@dataclass(frozen=True)
class Created:
    """A cooperative just created: its books, its title and the CI files written."""

    ledger: Ledger
    title: str
    ci_files: list[str]


class Ledger:
    """The cooperative at `root`; `cache=False` reads and checks every file."""

    def __init__(self, root: Path, cache: bool = True) -> None:
        self.root = root
        self.cache = cache
        self.recovered: list[Problem] = []  # what `open` said of a write a kill left

    @classmethod
    def open(cls, root: str | Path, cache: bool = True) -> Ledger:
        """The cooperative in `root` or a folder above it (CoopError if none).

        A write a killed process left half done is finished first (`recover`)."""
        books = cls(store.find_root(Path(root)), cache)
        books.recovered = store.recover(books.root)
        return books

    @classmethod
    def create(cls, root: str | Path, founding: Founding) -> Created:
        """A new cooperative in `root`: a git repository with members, rules and
        a journal, one commit (and, `founding.ci`, the CI files); CoopError if
        `root` holds one already or what is asked is wrong."""
        import re

        from coopledger.founding.ci_templates import PLATFORMS
        from coopledger.founding.scaffold import cooperative_files
        from coopledger.model import clock
        from coopledger.model.members import Member
        from coopledger.model.rules import CURRENCY_PATTERN
        from coopledger.plans.changes import validate_emails, validate_member_id

        path = Path(root).resolve()
        ci, currency = founding.ci, founding.currency
        if ci is not None and ci not in PLATFORMS:
            raise CoopError("bad-ci-platform", value=ci, choices=", ".join(PLATFORMS))
        for file in store.COOPERATIVE_FILES:
            if (path / file).exists():
                raise CoopError("already-a-cooperative", path=str(path), existing=file)
        if not re.fullmatch(CURRENCY_PATTERN, currency):
            raise CoopError("bad-currency", value=currency)
        today = clock.today()
        title = founding.name or path.name
        first: Member | None = None
        if founding.treasurer:
            validate_member_id(founding.treasurer)
            if not founding.email:
                raise CoopError("author-without-email", member=founding.treasurer)
            validate_emails([founding.email])
            first = Member(
                id=founding.treasurer,
                name=founding.treasurer_name or founding.treasurer,
                kind=founding.kind,
                joined=founding.joined or today,
                emails=(founding.email,),
                roles=("treasurer",),
            )
        if first is not None:
            author: gitrepo.Identity = (first.name, first.emails[0])
        else:
            repo_email = None
            if (path / ".git").exists():
                repo_email = gitrepo.configured_email(gitrepo.open_repo(path))
            if repo_email is None:
                raise CoopError("init-no-author")
            author = (title, repo_email)
        if founding.kind not in ("person", "business"):
            raise CoopError("bad-kind", kind=founding.kind, kinds="person, business")
        files = cooperative_files(
            title,
            currency,
            founding.currency_name or currency,
            today,
            first,
            language=founding.language,
        )
        repo = gitrepo.init_repo(path)
        if gitrepo.has_commits(repo):
            raise CoopError("repository-has-history", path=str(path))
        store.apply(path, store.Change(files, f"init: {title}", author))
        written = write_ci(path, ci, author, False, founding.ci_source) if ci else []
        return Created(cls(path), title, written)

    # ------------------------------------------------------------ reading

    def view(
        self,
        since: datetime.date | None = None,
        *,
        open_period: bool = True,
        save_open_period: bool = True,
    ) -> View:
        """The books, read the fastest way that answers for the end of `since`
        (default: today and after): the snapshot if it still holds, else
        (`open_period`) the months after the last close, else everything.
        Either load saves a new snapshot, the open period's only with
        `save_open_period` (`check` does not: in CI, on a fresh clone, the
        snapshot would be thrown away, and building it costs seconds at 1M trades)."""
        return self._view(self.root, since, open_period, save_open_period)

    def _view(
        self,
        root: Path,
        since: datetime.date | None,
        open_period: bool,
        save_open_period: bool,
    ) -> View:
        no_cache = not self.cache
        with store.locked(root):
            key = None if no_cache else gitrepo.committed_content_key(root, store.WRITTEN_PATHS)
            state = None if no_cache else snapshot.load_valid(root, key)
            if state is not None and state.answers_for(since):
                return View(state, None, SNAPSHOT)
            if no_cache:
                reason = because(NO_CACHE)
            elif state is not None:
                reason = because(SNAPSHOT_LACKS_BALANCES, since=since)
            elif key is None:
                reason = because(TREE_DIFFERS)
            else:
                reason = because(NO_SNAPSHOT_OF_COMMIT)
            clean = key is not None  # git saw the working tree as committed
            saving = not no_cache and (save_open_period or not open_period)
            stamps = snapshot.input_stamps(root) if saving else None  # before reading the files
            partial = store.load_open_period(root, clean) if open_period and not no_cache else None
            opening = partial.opening if partial is not None else None
            if partial is not None and (since is None or since >= last_closed_day(opening)):
                if saving:
                    _save_quietly(root, snapshot.from_cooperative(partial, stamps, key))
                return View(None, partial, OPEN_PERIOD, reason)
            if open_period and not no_cache:
                reason += (
                    because(OPEN_PERIOD_NOT_ALONE)
                    if partial is None
                    else because(IN_CLOSED_MONTH, day=since)
                )
            if no_cache and since is None:
                from coopledger.storage import along_closes

                along = along_closes.load(root)
                if not isinstance(along, along_closes.Declined):
                    return View(None, along, ALONG_CLOSES, reason)
                if along.reason != along_closes.NO_CLOSED_MONTH:  # else the route never applied
                    reason += because(ALONG_CLOSES_DECLINED, detail=along.reason)
            if stamps is None and not no_cache:
                stamps = snapshot.input_stamps(root)
            coop = store.load(root)
            _save_quietly(root, snapshot.from_cooperative(coop, stamps, key))
            return View(None, coop, FULL, reason)

    def report(self, month: Month, rev: str | None = None) -> Reported:
        """The monthly report of `month`, of the files or (`rev`) of a git revision.

        From the month figures kept with a valid snapshot; else from the open
        months with the closed months' figures their close kept; else from a full
        load. Either load saves a new snapshot (so the next report is quick)."""
        from coopledger.reporting.reports import monthly_report, report_of_figures

        if rev is not None or not self.cache:
            with loaded(self.root, rev) as coop:
                rules, roster = usable_parts(coop)
                result = monthly_report(coop.entries, roster, rules, month)
                why = because(REVISION, rev=rev) if rev is not None else because(NO_CACHE)
                return Reported(result, bool(coop.errors), FULL, why)
        root = self.root
        cache = snapshot.cache_of(root)
        with store.locked(root):
            key = gitrepo.committed_content_key(root, store.WRITTEN_PATHS)
            state = snapshot.load_valid(root, key)
            if state is not None and state.monthly is not None:
                figures = state.monthly.figures_until(cache, month)
                if figures is not None:
                    result = report_of_figures(figures, state.roster, state.rules, month)
                    return Reported(result, any(p.is_error for p in state.problems), SNAPSHOT)
            reason = (
                because(NO_SNAPSHOT_OF_FILES)
                if state is None
                else because(SNAPSHOT_LACKS_MONTH, month=month)
            )
            stamps = snapshot.input_stamps(root)
            partial = store.load_open_period(root, key is not None)
            opened = (  # with the closed months' figures, kept or computed from their files
                snapshot.from_cooperative(partial, stamps, key, closed_figures=True)
                if partial
                else None
            )
            if opened is not None and opened.monthly is not None:
                kept = opened.monthly.figures_until(cache, month)  # before save writes them out
                with contextlib.suppress(OSError):
                    snapshot.save(root, opened)
                if kept is not None:
                    result = report_of_figures(kept, opened.roster, opened.rules, month)
                    errors = any(p.is_error for p in opened.problems)
                    return Reported(result, errors, OPEN_PERIOD, reason)
            reason += because(OPEN_PERIOD_CANNOT_ANSWER)
            coop = store.load(root)
            rules, roster = usable_parts(coop)
            fresh = snapshot.from_cooperative(coop, stamps, key)
            if fresh is None or fresh.monthly is None:
                figures = None
            else:
                figures = fresh.monthly.figures_until(cache, month)
                with contextlib.suppress(OSError):
                    snapshot.save(root, fresh)
        if figures is None:
            from coopledger.cache.aggregates import month_figures

            figures = month_figures(coop.entries)
        result = report_of_figures(figures, roster, rules, month)
        return Reported(result, bool(coop.errors), FULL, reason)

    def statement(self, member: str, first: datetime.date | None, last: datetime.date) -> Stated:
        """Every movement of `member` from `first` (None: from the start) to
        `last`, with its running balance; CoopError for an unknown member or a
        period that ends before it starts.

        From the closed months the period needs (`coopledger.cache.closed_index`) and,
        when it reaches past them, the open period; else from everything."""
        from coopledger.cache import closed_index
        from coopledger.plans.changes import known_member
        from coopledger.reporting.reports import statement

        reason = because(NO_CACHE)
        if self.cache:
            quick = self._closed_and_open(first, last, member)
            if not isinstance(quick, Reason):
                entries = closed_index.member_entries(quick.months, member)
                entries.extend(quick.entries)
                found = statement(entries, member, first, last, str(self.root), quick.before)
                return Stated(found, quick.rules, quick.roster, quick.errors, quick.route)
            reason = (quick,)
        coop = store.load(self.root)
        rules, roster = usable_parts(coop)
        known_member(roster, member)
        if first is not None and first > last:
            raise CoopError("period-reversed", start=first.isoformat(), end=last.isoformat())
        found = statement(coop.entries, member, first, last, str(self.root))
        return Stated(found, rules, roster, len(coop.errors), FULL, reason)

    def trades_between(self, first: datetime.date | None, last: datetime.date | None) -> Traded:
        """The trades from `first` to `last` (None: no bound), and maybe others
        (the caller filters): from the closed months asked for
        (`coopledger.cache.closed_index`) and, when the period reaches past them, the
        open period; else from everything."""
        from coopledger.cache import closed_index

        reason = because(NO_CACHE)
        if self.cache:
            quick = self._closed_and_open(first, last or datetime.date.max, None)
            if not isinstance(quick, Reason):
                try:
                    found = closed_index.trades_until(
                        self.root, snapshot.cache_of(self.root), quick.asked, last
                    )
                except closed_index.NotIndexed as why:
                    quick = Reason(CLOSED_MONTH_NOT_ALONE, (("detail", str(why)),))
            if not isinstance(quick, Reason):
                found.extend(trades_of(quick.entries))
                return Traded(found, quick.rules, quick.roster, quick.errors, quick.route)
            reason = (quick,)
        coop = store.load(self.root)
        rules, roster = usable_parts(coop)
        return Traded(list(trades_of(coop.entries)), rules, roster, len(coop.errors), FULL, reason)

    def _closed_and_open(
        self, first: datetime.date | None, last: datetime.date, member: str | None
    ) -> Period | Reason:
        """The closed months from `first`'s to the last closed one and, when `last`
        is after them, the open period's transactions; or why they cannot answer.
        A period within the closed months takes the rules, members and problems
        from a valid snapshot and reads no open file. CoopError for an unknown
        `member` or a period that ends before it starts."""
        from coopledger.cache import closed_index
        from coopledger.cache.carry import read_opening
        from coopledger.plans.changes import known_member

        root = self.root
        entries: list[data.Transaction] = []
        with store.locked(root):
            key = gitrepo.committed_content_key(root, store.WRITTEN_PATHS)
            state = snapshot.load_valid(root, key)
            opening = None
            if state is not None and state.starts is not None and last < state.starts:
                # within the closed months: no open entry, so no closed invoice, is read
                opening = read_opening(root, state.rules, key is not None, with_invoices=False)
                if opening is not None and opening.month != state.carried_month:
                    opening = None
            if opening is not None and state is not None:
                errors = sum(1 for p in state.problems if p.is_error)
                rules, roster = state.rules, state.roster
                route = SNAPSHOT
            else:
                partial = store.load_open_period(root, key is not None)
                if partial is None or partial.opening is None:
                    return Reason(OPEN_PERIOD_NOT_ALONE)
                opening, route = partial.opening, OPEN_PERIOD
                rules, roster = usable_parts(partial)
                errors = len(partial.errors)
                if last >= opening.day:
                    entries = [e for e in partial.entries if isinstance(e, data.Transaction)]
        if member is not None:
            known_member(roster, member)
        if first is not None and first > last:
            raise CoopError("period-reversed", start=first.isoformat(), end=last.isoformat())
        cache = snapshot.cache_of(root)
        asked = closed_index.months_asked(opening, first, datetime.date.max)
        try:
            months = [  # a member's statement reads them; the trades have their own files
                closed_index.month_entries(root, cache, folder, folder_print)
                for folder, folder_print in (asked if member is not None else ())
            ]
            before = opening.balances.get(member or "", Decimal(0))
            if member is not None and months:
                before = closed_index.balance_before(opening, months, member)
        except closed_index.NotIndexed as why:
            return Reason(CLOSED_MONTH_NOT_ALONE, (("detail", str(why)),))
        return Period(rules, roster, errors, route, asked, months, entries, before)

    # ------------------------------------------------------------ judging

    def check(
        self,
        since: str | None = None,
        rev: str | None = None,
        *,
        staged: bool = False,
        require_signed: bool = False,
    ) -> Checked:
        """Every problem of the books (the working tree, or with `staged` git's
        index) and, with `since`, `rev` or `staged`, of the change: who made
        it, as the pull-request gate judges (docs/pull-requests.md)."""
        root = self.root
        judged = since or rev or staged
        history = (
            gatekeeper.gate_history(root, since, rev, require_signed, staged) if judged else None
        )
        if gatekeeper.gate_refuses_loading(history):
            # the change holds what beancount must not read (an include, a link,
            # code): judge it from git alone, and load nothing of the working tree
            problems = gatekeeper.gate_problems(root, since, rev, require_signed, history=history)
            return Checked(problems, None, True)
        if staged:
            with tempfile.TemporaryDirectory(prefix="coopledger-staged-") as folder:
                tree = Path(folder) / root.name
                tree.mkdir()
                gitrepo.export_index(root, tree)
                view = self._view(tree, None, True, False)
                partner_found = federation_checks(tree, view)
        else:
            view = self._view(root, None, True, False)
            partner_found = federation_checks(root, view)
        problems = [*view.problems, *partner_found]
        if history is not None:
            read = (view.rules, view.roster)
            problems = [
                *problems,
                *gatekeeper.gate_problems(root, since, rev, require_signed, read, history, staged),
            ]
            if view.rules is not None and not staged and os.path.lexists(root / "partners.yaml"):
                from coopledger.intergroup.federation import mirror_problems  # docs/federation.md

                problems += mirror_problems(root, history.base, view.rules)
        return Checked(problems, view, bool(judged))

    def gate(
        self,
        since: str | None = None,
        rev: str | None = None,
        *,
        staged: bool = False,
        require_signed: bool = False,
    ) -> list[Problem]:
        """The problems of a change (`check --since/--rev/--staged`): the books
        as the change leaves them, and who made it."""
        if not (since or rev or staged):
            raise CoopError("gate-options")
        return self.check(since, rev, staged=staged, require_signed=require_signed).problems

    # ------------------------------------------------------------ writing

    def write(
        self,
        plan: Callable[[Cooperative, Identity], tuple[Change | None, T]],
        as_member: str | None = None,
        *,
        dry_run: bool = False,
        author: Identity | Callable[[Cooperative], Identity] | None = None,
        after: Callable[[Cooperative], None] | None = None,
        branch: str | None = None,
        load: Callable[[Path], Cooperative] = store.load,
        open_period: bool = False,
    ) -> Written[T]:
        """Under the write lock, with git in a state safe to write (unless
        `dry_run`): load the books, plan the change with `plan(coop, author)`
        (a planner: it judges the change through `writes.check_write`; None
        when there is nothing to write), and commit it (not with `dry_run`),
        on a new git branch `branch` if given. `author` default: `as_member`,
        else the member of git's identity (a function of the books: who signs
        them). `after(coop)` runs once committed, still under the lock (a cache
        to refresh). `load` reads the books (default: everything).

        `open_period`: the planner judges its change on the months after the
        last close alone (`Cooperative.opening`: the balances and invoices the
        closes carry, `writes.problems_after`), as the monthly calendar needs;
        the ledger reads everything when the open period cannot be read alone
        or the planner finds a day before it (`writes.NeedsHistory`)."""
        from coopledger.plans.changes import gate_warnings_of
        from coopledger.plans.writes import NeedsHistory

        def signed(coop: Cooperative) -> Identity:
            if author is None:
                return self.author_of(coop, as_member)
            return author(coop) if callable(author) else author

        with store.locked(self.root):
            key = None if dry_run else self.ensure_writable()
            # before reading the files: the snapshot the write leaves vouches for these
            stamps = snapshot.input_stamps(self.root) if self.cache and not dry_run else None
            saved = snapshot.load_valid(self.root, key) if stamps is not None and key else None
            route: str = FULL
            reason: Why | None = None
            opened = store.load_open_period(self.root, key is not None) if open_period else None
            planned: tuple[Change | None, T] | None = None
            if opened is not None:
                try:
                    planned, route = plan(opened, signed(opened)), OPEN_PERIOD
                except NeedsHistory as why:
                    reason = because(OPEN_PERIOD_CANNOT_JUDGE_WRITE, day=why.day)
            elif open_period:
                reason = because(OPEN_PERIOD_NOT_ALONE)
            if planned is None or opened is None:
                coop = load(self.root)
                planned = plan(coop, signed(coop))
            else:
                coop = opened
            change, value = planned
            sha: str | None = None
            refusals: tuple[Problem, ...] = ()
            if change is not None and not dry_run:
                refusals = gate_warnings_of(coop, change)
                if branch is not None:
                    gitrepo.create_branch(gitrepo.open_repo(self.root), branch)
                created = frozenset(p for p in change.files if not (self.root / p).exists())
                sha = store.apply(self.root, change)
                if stamps is not None and branch is None:
                    self._keep_snapshot(coop, stamps, change, key, created, saved)
            if after is not None and sha is not None:
                after(coop)
            assert coop.rules is not None  # a plan refuses books it cannot read
            warnings = (*change.warnings, *refusals) if change is not None else ()
            return Written(change, value, sha, warnings, coop.rules, route, reason)

    def _keep_snapshot(
        self,
        coop: Cooperative,
        stamps: dict[str, snapshot.Stamp],
        change: Change,
        key: str | None,
        created: frozenset[str],
        saved: snapshot.Snapshot | None,
    ) -> None:
        """Save the snapshot of `coop` with the journal files `change` just wrote
        (`snapshot.after_change`; added to `saved`, the snapshot vouched for
        before the write, if any), so that the next `trade`, `balances`,
        `report` or `check` reads it, not the open period, as after a `trade`.
        A close leaves none: what the open period starts from has changed (the
        next command reads the months after it, on the 1st next to nothing)."""
        files = change.files
        try:
            if change.folders:
                raise snapshot.NeedsFullCheck("the change replaces a folder")
            fresh, buckets = snapshot.after_change(coop, stamps, files, key, saved)
        except snapshot.NeedsFullCheck as why:
            kept.append(Reason(SNAPSHOT_NOT_KEPT, (("detail", str(why)),)))
            return
        kept.append(None)
        root = self.root
        # the tree was clean and holds exactly what was committed: ask git for the ids
        key = (
            key
            and fresh.content_key
            and gitrepo.content_ids(gitrepo.open_repo(root), store.WRITTEN_PATHS)
        )
        with contextlib.suppress(OSError):  # the write is committed; the cache can wait
            snapshot.save(root, fresh, buckets, tuple(files), key, created)

    def close(
        self,
        month: str,
        as_member: str | None = None,
        *,
        with_earlier: bool = False,
        gather: bool = True,
    ) -> Written[int]:
        """Close `month` (a treasurer): balances and fingerprints recorded, the
        month's files gathered into one where the system can swap a folder whole
        (`gather`). The value is the number of entries fingerprinted."""
        from coopledger.cache.carry import closed_folder_prints
        from coopledger.model import clock
        from coopledger.plans.corrections import plan_close
        from coopledger.storage.folders import can_exchange

        root = self.root

        def planned(coop: store.Cooperative, author: gitrepo.Identity) -> tuple[store.Change, int]:
            gathering = gather and can_exchange(root)
            return plan_close(coop, month, author, clock.today(), with_earlier, gathering)

        def keep_figures(coop: store.Cooperative) -> None:
            prints = closed_folder_prints(root)
            if coop.opening is not None:  # the months carried were not read: kept already
                prints = {m: p for m, p in prints.items() if m > coop.opening.month}
            with contextlib.suppress(OSError):  # for `report` after the close: a cache only
                snapshot.keep_closed_figures(root, coop.entries, prints)

        def open_months(root: Path) -> store.Cooperative:
            """Only the months after the last close, when the closes carry them (a
            monthly close then reads one or two months, not the years before)."""
            coop = store.load_open_period(root)
            if coop is None or coop.opening is None or month <= coop.opening.month:
                return store.load(root)  # e.g. a month closed already: the full read says so
            return coop

        return self.write(planned, as_member, after=keep_figures, load=open_months)

    def reverse(
        self,
        trade_id: str,
        day: datetime.date,
        memo: str | None = None,
        as_member: str | None = None,
    ) -> Written[Reversal]:
        """Record the exact counter-entry of trade `trade_id` (or of the one trade
        whose id starts so), linked by `reverses:`."""
        from coopledger.plans.corrections import find_trade, plan_reverse

        def planned(
            coop: store.Cooperative, author: gitrepo.Identity
        ) -> tuple[store.Change, Reversal]:
            change, recorded = plan_reverse(coop, trade_id, day=day, memo=memo, author=author)
            whole = find_trade(coop, trade_id).trade_id or trade_id
            return change, Reversal(whole, recorded)

        return self.write(planned, as_member)

    def record(self, asked: TradeRequest, as_member: str | None = None) -> Recorded:
        """Check and commit the trade `asked`, signed by `as_member` (default:
        git's identity); CoopError when refused, nothing written then."""
        root = self.root
        with store.locked(root):
            # a date in or before a closed month is refused before planning, in one clear word
            store.refuse_closed(root, [entry_path(asked.day, asked.payer)])
            # git status takes a while on a large journal: the snapshot is read meanwhile
            writable = gitrepo.WriteCheck(gitrepo.open_repo(root), store.WRITTEN_PATHS)
            try:
                planned, state, rules, before, key, route, reason = self._plan_trade(
                    asked, as_member, writable
                )
            finally:
                writable.close()
            written = planned.trade.file or ""
            created = frozenset() if (root / written).exists() else frozenset({written})
            sha = store.apply(root, planned.change)
            if state is not None:
                changed = snapshot.add_entry(state, planned.entry)
                # the tree was clean and holds exactly what was committed: ask git for the ids
                key = key and gitrepo.content_ids(gitrepo.open_repo(root), store.WRITTEN_PATHS)
                buckets = None if state.fresh else changed
                with contextlib.suppress(OSError):  # the trade is committed; the cache can wait
                    snapshot.save(root, state, buckets, (written,), key, created)
        trade = planned.trade
        after: dict[str, Decimal] = {}
        for member, delta in ((asked.payer, -trade.amount), (asked.payee, trade.amount)):
            delta -= sum((lv.amount for lv in trade.levies if lv.member == member), Decimal(0))
            after[member] = before[member] + delta
        return Recorded(
            trade, planned.entry, sha, after, planned.change.warnings, rules, route, reason
        )

    def _plan_trade(
        self, asked: TradeRequest, as_member: str | None, writable: gitrepo.WriteCheck
    ) -> tuple[
        PlannedTrade,
        snapshot.Snapshot | None,
        Rules,
        dict[str, Decimal],
        str | None,
        str,
        Why | None,
    ]:
        """Plan against the snapshot when it is valid and enough, else against everything.

        The snapshot is read and the trade planned against it while git checks the
        working tree; the plan (or its refusal) counts only once the tree is found
        writable and the snapshot vouched for. Also returns the content key."""
        from coopledger.plans.changes import (
            choose_author,
            current_balance,
            plan_trade,
            plan_trade_fast,
        )

        root, no_cache = self.root, not self.cache
        fields = {
            "payer": asked.payer,
            "payee": asked.payee,
            "amount": asked.amount,
            "day": asked.day,
            "memo": asked.memo,
            "category": asked.category,
        }
        members = (asked.payer, asked.payee)
        state = None if no_cache else snapshot.load_saved(root)
        reason = because(NO_CACHE) if no_cache else None if state else because(NO_SAVED_SNAPSHOT)
        planned: PlannedTrade | CoopError | None = None
        if state is not None:
            try:
                email = gitrepo.configured_email(writable.repo)
                author = choose_author(
                    state.roster, as_member, email, state.rules.role("treasurer")
                )
                planned = plan_trade_fast(state, **fields, author=author)
                before = {m: state.balance(m) for m in members}
            except snapshot.NeedsFullCheck as why:
                state, reason = None, because(SNAPSHOT_CANNOT_JUDGE, detail=why)
            except CoopError as refusal:
                planned = refusal
        key = writable.result()  # a dirty tree or a detached HEAD first, as without a snapshot
        if state is not None and planned is not None:
            if snapshot.vouch(state, key):
                if isinstance(planned, CoopError):
                    raise planned
                return planned, state, state.rules, before, key, SNAPSHOT, None
            reason = because(SNAPSHOT_STALE)
        stamps = None if no_cache else snapshot.input_stamps(root)
        if stamps is not None:
            opened = self._plan_on_open_months(asked, as_member, writable, stamps, key)
            if isinstance(opened, Reason):
                reason = (*(reason or ()), opened)
            else:
                return (*opened, OPEN_PERIOD, reason)
        coop = store.load(root)
        author = self._author(coop, as_member)
        planned = plan_trade(coop, **fields, author=author)  # type: ignore[arg-type]
        assert coop.rules is not None
        fresh = snapshot.from_cooperative(coop, stamps, key)
        before = {m: current_balance(coop, m) for m in members}
        return planned, fresh, coop.rules, before, key, FULL, reason

    def _author(self, coop: Cooperative, as_member: str | None) -> Identity:
        return self.author_of(coop, as_member)

    def author_of(self, coop: Cooperative, as_member: str | None) -> Identity:
        """Who signs a write: `as_member`, else the member of git's identity."""
        from coopledger.plans.changes import usable

        rules, roster = usable(coop)
        return self.signer(roster, rules, as_member)

    def signer(self, roster: Roster, rules: Rules, as_member: str | None = None) -> Identity:
        """Who signs a write among `roster`: `as_member`, else git's identity's member."""
        from coopledger.plans.changes import choose_author

        email = gitrepo.configured_email(gitrepo.open_repo(self.root))
        return choose_author(roster, as_member, email, rules.role("treasurer"))

    def federation_group(self) -> GroupBooks:
        """This cooperative as a group of a clearing among groups: its rules, members,
        partners and position against each, from the snapshot while it holds, else
        from one read (nothing of the books is kept: a clearing among many groups
        holds one book in memory at a time). CoopError when the books cannot be
        trusted or partners.yaml has problems."""
        from coopledger.intergroup.federation import GroupBooks, group_from, partners_text
        from coopledger.intergroup.partners import parse_partners
        from coopledger.plans.writes import UNTRUSTED_CODES

        view = self.view()
        rules, roster = view.rules, view.roster
        blocking = [
            p for p in view.problems if p.code in UNTRUSTED_CODES or p.code.startswith("yaml")
        ]
        if rules is None or roster is None or blocking:
            raise CoopError("ledger-has-problems", problems=tuple(blocking or view.errors))
        partners, problems = parse_partners(partners_text(self.root), rules)
        if problems:
            raise CoopError("ledger-has-problems", problems=tuple(problems))
        balances = view.coop_balances(datetime.date.max)
        return GroupBooks(self.root, group_from(rules, partners, balances), roster)

    def ensure_writable(self) -> str | None:
        """Refuse early (CoopError) when git would make a write unsafe: a tree with
        changes, a detached HEAD...; the content key of the files coopledger writes."""
        return gitrepo.ensure_writable(gitrepo.open_repo(self.root), store.WRITTEN_PATHS)

    def _plan_on_open_months(
        self,
        asked: TradeRequest,
        as_member: str | None,
        writable: gitrepo.WriteCheck,
        stamps: dict[str, snapshot.Stamp],
        key: str | None,
    ) -> tuple[PlannedTrade, snapshot.Snapshot, Rules, dict[str, Decimal], str | None] | Reason:
        """With no snapshot (after a close, or any write but a trade), one built from
        the months after the last close (`store.load_open_period`), and the trade
        planned on it as on a saved one. Else why not: the open months cannot be
        read alone or the trade needs the full check (dated in a closed month...)."""
        from coopledger.plans.changes import choose_author, plan_trade_fast

        partial = store.load_open_period(self.root, key is not None)
        fresh = snapshot.from_cooperative(partial, stamps, key) if partial is not None else None
        if fresh is None:
            return Reason(OPEN_PERIOD_NOT_ALONE)
        email = gitrepo.configured_email(writable.repo)
        author = choose_author(fresh.roster, as_member, email, fresh.rules.role("treasurer"))
        try:
            planned = plan_trade_fast(
                fresh,
                payer=asked.payer,
                payee=asked.payee,
                amount=asked.amount,
                day=asked.day,
                memo=asked.memo,
                category=asked.category,
                author=author,
            )
        except snapshot.NeedsFullCheck as why:
            return Reason(OPEN_PERIOD_CANNOT_JUDGE, (("detail", str(why)),))
        before = {m: fresh.balance(m) for m in (asked.payer, asked.payee)}
        return planned, fresh, fresh.rules, before, key

    # ------------------------------------------------------------ for the commands

    def load(self) -> Cooperative:
        """Every file read and checked, with no cache: the books whole, for the
        commands that need every entry (partners, clearing)."""
        return store.load(self.root)

    def members(
        self, day: datetime.date, member: str | None = None
    ) -> Listing[tuple[Roster, list[BalanceRow]]]:
        """The members (CoopError if `member` is not one of them) and their balance
        rows at the end of `day`, from the books read whole and sound to write to."""
        from coopledger.plans.changes import known_member, usable
        from coopledger.reporting.balances import balance_rows

        coop = store.load(self.root)
        rules, roster = usable(coop)
        if member is not None:
            known_member(roster, member)
        rows = balance_rows(coop.history, roster, rules, day)
        return Listing((roster, rows), rules, len(coop.errors))

    def add_member(self, asked: NewMember, as_member: str | None = None) -> Written[Member]:
        """Add a member to members.yaml; the first treasurer may sign their own entry."""
        from coopledger.model.members import Member
        from coopledger.model.money import parse_limit
        from coopledger.model.timeline import Timeline
        from coopledger.plans.changes import first_treasurer_author, plan_member_add, usable

        def built(coop: Cooperative) -> Member:
            rules, _ = usable(coop)

            def limit(text: str | None) -> Timeline[Decimal] | None:
                return (
                    None if text is None else Timeline.constant(parse_limit(text, rules.decimals))
                )

            return Member(
                id=asked.id,
                name=asked.name,
                kind=asked.kind,
                joined=asked.joined,
                emails=asked.emails,
                roles=asked.roles,
                floor=limit(asked.floor),
                ceiling=limit(asked.ceiling),
            )

        def signer(coop: Cooperative) -> Identity:
            rules, roster = usable(coop)
            member = built(coop)
            try:
                return self.author_of(coop, as_member)
            except CoopError as error:  # the first treasurer signs their own entry
                first = first_treasurer_author(roster, member, rules.role("treasurer"))
                if error.code not in ("no-author", "git-identity-not-member") or first is None:
                    raise
                return first

        def planned(coop: Cooperative, author: Identity) -> tuple[Change, Member]:
            member = built(coop)
            return plan_member_add(coop, member, author), member

        return self.write(planned, as_member, author=signer)

    def undo_import(
        self, rev: str, day: datetime.date, as_member: str | None, *, dry_run: bool = False
    ) -> Written[UndoneImport]:
        """Record the counter-entry of every trade the import commit `rev` added."""
        from coopledger.plans.corrections import plan_undo_import, trade_ids_added

        def planned(coop: Cooperative, author: Identity) -> tuple[Change, UndoneImport]:
            repo = gitrepo.open_repo(self.root)
            sha, versions = gitrepo.commit_files(repo, rev, "journal")
            ids = trade_ids_added([(v.before, v.after) for v in versions])
            change, reversals = plan_undo_import(coop, sha, ids, day=day, author=author)
            return change, UndoneImport(sha, tuple(reversals))

        signer = DRY_RUN_AUTHOR if dry_run else None
        return self.write(planned, as_member, dry_run=dry_run, author=signer)

    def export(
        self, what: str, first: datetime.date | None, last: datetime.date | None
    ) -> Listing[Table]:
        """`what` (trades, members or balances) as a table for CSV or JSON: the
        trades from `first` to `last`, the members and balances at `last` (today)."""
        from coopledger.model import clock
        from coopledger.plans.csvio import balances_table, members_table, trades_table
        from coopledger.reporting.balances import balance_rows

        if first is not None and last is not None and first > last:
            raise CoopError("period-reversed", start=first, end=last)
        if what == "trades":
            traded = self.trades_between(first, last)
            table = trades_table(traded.trades, traded.rules.decimals, first, end=last)
            return Listing(table, traded.rules, traded.error_count, traded.route, traded.reason)
        at = last or clock.today()
        view = self.view(at)  # the snapshot, else the open period, else everything
        if view.rules is None or view.roster is None:
            raise CoopError("ledger-has-problems", problems=tuple(view.errors))
        if what == "members":
            table = members_table(view.roster, view.rules, at)
        else:
            rows = balance_rows(view.history(at), view.roster, view.rules, at)
            table = balances_table(rows, view.rules.decimals, at)
        return Listing(table, view.rules, len(view.errors), view.route, view.reason)

    def export_csv(
        self, what: str, first: datetime.date | None, last: datetime.date | None
    ) -> Listing[CsvText]:
        """`export` written as CSV (`csvio.to_csv`). Trades from closed months are
        written from the CSV records kept for each month
        (`closed_index.month_records`), the open period's from its entries: the
        same text, without rebuilding every trade of the history."""
        from coopledger.cache import closed_index
        from coopledger.plans.csvio import TRADE_COLUMNS, to_csv, trades_table, write_csv

        if what == "trades" and self.cache and not (first and last and first > last):
            quick = self._closed_and_open(first, last or datetime.date.max, None)
            if not isinstance(quick, Reason):
                decimals = quick.rules.decimals
                since = first.isoformat() if first else ""
                until = last.isoformat() if last else "9999-12-31"

                def records_of(trades: list[Trade]) -> closed_index.Records:
                    rows = trades_table(trades, decimals).rows
                    return [(row[0], write_csv([row])) for row in rows]

                parts = [write_csv([TRADE_COLUMNS])]
                count = 0
                try:
                    for folder, folder_print in quick.asked:
                        if folder[-7:].replace("/", "-") > until[:7]:
                            continue  # a month after the period: nothing of it is written
                        chosen = closed_index.month_records(
                            self.root,
                            snapshot.cache_of(self.root),
                            folder,
                            folder_print,
                            f"trades csv {decimals}",
                            records_of,
                            since,
                            until,
                        )
                        parts.extend(chosen)
                        count += len(chosen)
                except closed_index.NotIndexed as why:
                    quick = Reason(CLOSED_MONTH_NOT_ALONE, (("detail", str(why)),))
                if not isinstance(quick, Reason):
                    open_rows = trades_table(
                        list(trades_of(quick.entries)), decimals, first, end=last
                    )
                    parts.append(write_csv(open_rows.rows))
                    text = CsvText("".join(parts), count + len(open_rows.rows))
                    return Listing(text, quick.rules, quick.errors, quick.route)
        listed = self.export(what, first, last)
        text = CsvText(to_csv(listed.items), len(listed.items.rows))
        return Listing(text, listed.rules, listed.error_count, listed.route, listed.reason)

    def trades(
        self, member: str | None, month: str | None, text: str | None
    ) -> Listing[list[Trade]]:
        """The trades of the journal, of `member`, in `month`, with `text` in the memo."""
        from coopledger.plans.changes import known_member
        from coopledger.reporting.trade_list import select_trades

        period = Month.parse(month) if month is not None else None
        traded = self.trades_between(
            period.first if period else None, period.last if period else None
        )
        if member is not None:
            known_member(traded.roster, member)
        chosen = select_trades(traded.trades, member=member, month=month, text=text)
        return Listing(chosen, traded.rules, traded.error_count, traded.route, traded.reason)

    def invoices(self, member: str | None, only_open: bool) -> Listing[list[Invoice]]:
        """The invoices (of `member`; `only_open`: with something left), by date and ref."""
        from coopledger.model.invoices import read_invoices
        from coopledger.plans.changes import known_member, usable

        coop, route, reason = self._invoice_books(None)
        rules, roster = usable(coop)  # sound enough to write to, as `settle` needs
        if member is not None:
            known_member(roster, member)
        found = read_invoices(coop.invoice_entries, str(coop.root)).invoices.values()
        rows = sorted(
            (
                i
                for i in found
                if (not only_open or i.is_open)
                and (member is None or member in (i.debtor, i.creditor))
            ),
            key=lambda i: (i.date, i.ref),
        )
        return Listing(rows, rules, len(coop.errors), route, reason)

    def clearing(self, at: datetime.date, with_credit: bool) -> Listing[Clearing]:
        """The best set-off of the invoices open at `at` (`with_credit`: what is
        left paid too through the members' headroom), planned, not written."""
        from coopledger.plans.changes import usable
        from coopledger.plans.invoice_plans import journal_obligations, solve_clearing

        coop, route, reason = self._invoice_books(at)
        rules, _ = usable(coop)
        obligations, _, places = journal_obligations(coop, at)
        result = solve_clearing(coop, obligations, with_credit, at, places)
        return Listing(result, rules, len(coop.errors), route, reason)

    def _invoice_books(self, at: datetime.date | None) -> tuple[Cooperative, str, Why | None]:
        """The books for the invoices (and balances at `at`): the open period with
        the invoices the closes carry, when it can answer, else everything."""
        if not self.cache:
            return store.load(self.root), FULL, because(NO_CACHE)
        coop = store.load_open_period(self.root)
        if coop is None:
            return store.load(self.root), FULL, because(OPEN_PERIOD_NOT_ALONE)
        assert coop.opening is not None
        if at is not None and at < coop.opening.day:
            return store.load(self.root), FULL, because(BEFORE_OPEN_PERIOD, day=at)
        return coop, OPEN_PERIOD, None

    def partner_book(self, coop: Cooperative, partner_id: str) -> PartnerBook:
        """Fetch the partner's repository and read its book (docs/federation.md)."""
        from coopledger.intergroup import federation

        partner = federation.known_partner(federation.read_partners(coop), partner_id)
        repo = gitrepo.open_repo(self.root)
        sha = gitrepo.fetch_partner(repo, partner.repo, partner.id)
        texts = gitrepo.texts_at(repo, sha, federation.PARTNER_BOOK_PATHS)
        return federation.read_partner_book(sha, texts)

    def partner_check(self, partner_id: str) -> tuple[list[Problem], PartnerBook]:
        """Where our inter-group entries and the partner's disagree, and its book read."""
        from coopledger.intergroup import federation

        with store.locked(self.root):
            coop = store.load(self.root)
            book = self.partner_book(coop, partner_id)
        partner = federation.known_partner(federation.read_partners(coop), partner_id)
        return federation.check_pair(coop, partner, book), book

    def commit_edits(self, message: str) -> Committed:
        """Check what was edited by hand, as the pull-request gate would (as its
        author), and commit it; CoopError when nothing changed or it is refused."""
        from coopledger.review.gatekeeper import gate_history, gate_problems, gate_refuses_loading

        root = self.root
        if not message.strip():
            raise CoopError("commit-no-message")
        with store.locked(root):
            history = gate_history(root, "HEAD", None, False)
            if history is None or not history.commits:
                raise CoopError("nothing-to-commit")
            if gate_refuses_loading(history):
                problems = gate_problems(root, "HEAD", None, False, history=history)
            else:
                coop = store.load(root)
                read = (coop.rules, coop.roster)
                problems = [
                    *coop.problems,
                    *gate_problems(root, "HEAD", None, False, read, history),
                ]
            errors = [p for p in problems if p.is_error]
            if errors:
                raise CoopError("commit-refused", problems=tuple(errors))
            pending = history.commits[-1]
            repo = gitrepo.open_repo(root)
            author = (pending.author_name, pending.author_email)
            paths = sorted(version.path for version in pending.files)
            sha = gitrepo.commit(repo, paths, message.strip(), author)
        return Committed(sha, tuple(paths), tuple(p for p in problems if not p.is_error))

    def write_ci(
        self, platform: str, force: bool, source: str, as_member: str | None = None
    ) -> list[str]:
        """Write and commit the CI files for `platform` (see `write_ci`); their paths."""
        with store.locked(self.root):
            author = self.author_of(store.load(self.root), as_member)
            return write_ci(self.root, platform, author, force, source)

    @classmethod
    def create_demo(cls, root: Path, spec: DemoSpec) -> tuple[Ledger, str, int]:
        """A synthetic cooperative in the new or empty folder `root` (see
        `coopledger.founding.demo`), committed by its treasurer, whom git in it is set up
        as (a playground); the books, the commit and the number of files."""
        from coopledger.founding.demo import TREASURER, demo_files

        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise CoopError("demo-not-empty", path=str(root))
        root.mkdir(parents=True, exist_ok=True)
        files = 0
        for name, text in demo_files(spec):
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            files += 1
        _, treasurer_name, treasurer_email = TREASURER
        message = (
            f"demo: {spec.name}, {spec.members} members, {spec.trades} trades, "
            f"{spec.invoices} invoices from {spec.start.isoformat()} to "
            f"{spec.until.isoformat()} (seed {spec.seed})"
        )
        sha = gitrepo.commit_new_tree(root, message, (treasurer_name, treasurer_email))
        gitrepo.set_identity(root, (treasurer_name, treasurer_email))
        return cls(root), sha, files


kept: list[Reason | None] = []  # each write's snapshot: None kept, else why not (--verbose)


def take_kept() -> list[Reason | None]:
    """Whether each write since the last call left the snapshot current for the
    next command (None), or why not (what `coopledger --verbose` says)."""
    done = list(kept)
    kept.clear()
    return done


def take_reads() -> list[str]:
    """How the journal was read since the last call: the whole of it or the open
    period only, each time (what `coopledger --verbose` says)."""
    return store.take_reads()
