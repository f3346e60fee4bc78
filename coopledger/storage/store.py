"""Reading a cooperative from disk, and writing to it safely.

`load(root)` reads rules.yaml, members.yaml and the journal (through beancount's
own loader, so the result is what bean-check sees) and returns a `Cooperative`
with every problem found. `apply(root, change)` writes a planned `Change`
atomically under a lock and commits it; if anything fails, the files are put
back as they were and nothing is committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from beancount import loader
from beancount.core import data

from coopledger.cache import carry, snapshot
from coopledger.git import gitrepo
from coopledger.model.closing import (
    CLOSE_FILE_NAME,
    Opening,
    is_close_directive,
    is_content,
    next_month,
)
from coopledger.model.days import DayBalance
from coopledger.model.journal import INCLUDE_GLOB, MAIN_FILE
from coopledger.model.members import MEMBERS_FILE, Roster, parse_members
from coopledger.model.months import Month
from coopledger.model.paths import relative
from coopledger.model.problems import CoopError, Problem, Severity
from coopledger.model.rules import RULES_FILE, Rules, parse_rules
from coopledger.plugin import is_carried, preloaded
from coopledger.storage import folders, journal_load, journal_text
from coopledger.validation.checks import check_ledger_with_history, conflict_markers
from coopledger.validation.journal_mistakes import explained
from coopledger.validation.loader_inputs import loaded_file_problems

COOPERATIVE_FILES = (RULES_FILE, MEMBERS_FILE, MAIN_FILE)
WRITTEN_PATHS = ("journal", MEMBERS_FILE, RULES_FILE)
LOCK_FILE = "coopledger.lock"
LOCK_TIMEOUT_SECONDS = 30.0

loader.initialize(use_cache=False)  # beancount's pickle cache misses new include files


@dataclass
class Cooperative:
    """A cooperative as read from disk."""

    root: Path
    rules: Rules | None
    roster: Roster | None
    entries: list[data.Directive]
    problems: list[Problem]
    history: dict[str, list[DayBalance]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    opening: Opening | None = None  # set when only the open period was read
    checked: list[Problem] | None = None  # of `problems`, those `check_ledger` found

    @property
    def is_usable(self) -> bool:
        return self.rules is not None and self.roster is not None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def invoice_entries(self) -> list[data.Directive]:
        """The entries invoices are read from: with only the open period read,
        the closed months' invoices, settlements and clearings (carried by the
        close) come first, so an invoice of any month is found with what was
        paid of it."""
        if self.opening is None:
            return self.entries
        return [*self.opening.carried, *self.entries]


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding a cooperative."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / RULES_FILE).is_file() and (folder / MAIN_FILE).is_file():
            return folder
    raise CoopError("not-a-cooperative", path=str(start))


def journal_file_names(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every .beancount file under journal/ (full paths, folder by folder), but
    those of the folders in `skip` (relative to the root, e.g. journal/2026/10)
    and of their subfolders (a day's folder: the close's fingerprint covers it,
    `carry.folder_files`). Hidden files and folders are left out, as beancount's
    include glob does."""
    for folder, subfolders, names in os.walk(root / "journal"):
        subfolders[:] = [s for s in subfolders if not s.startswith(".")]
        if os.path.relpath(folder, root) in skip:
            subfolders[:] = []
            continue
        for name in names:
            if name.endswith(".beancount") and not name.startswith("."):
                yield os.path.join(folder, name)


def journal_files(root: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    """`journal_file_names`, as sorted paths."""
    return [Path(p) for p in sorted(journal_file_names(root, skip))]


def _read_text(root: Path, name: str, problems: list[Problem]) -> str | None:
    path = root / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem("missing-file", name, None, {}))
        return None
    except UnicodeDecodeError as error:
        problems.append(Problem("yaml-syntax", name, None, {"detail": f"not UTF-8 ({error})"}))
        return None
    marks = conflict_markers(text, name)
    problems.extend(marks)
    return None if marks else text


def read_setup(root: Path, problems: list[Problem]) -> tuple[Rules | None, Roster | None]:
    rules = roster = None
    rules_text = _read_text(root, RULES_FILE, problems)
    if rules_text is not None:
        rules, found = parse_rules(rules_text)
        problems.extend(found)
    members_text = _read_text(root, MEMBERS_FILE, problems)
    if members_text is not None:
        roster, found = parse_members(members_text, rules)
        problems.extend(found)
    return rules, roster


def _marked_files(root: Path, files: Iterable[Path], problems: list[Problem]) -> set[str]:
    """The journal files holding merge-conflict markers (each one a problem).

    Only files beancount could not parse need looking at: a marker line is
    never valid beancount, so a file with one always has a parse error."""
    marked_files = set()
    for path in files:
        name = str(path.relative_to(root))
        marks = conflict_markers(path.read_text(encoding="utf-8", errors="replace"), name)
        if marks:
            marked_files.add(str(path))
        problems.extend(marks)
    return marked_files


FULL_READ, OPEN_PERIOD_READ = "full", "open period"
LOADER_READ = "by beancount's loader, file by file"  # a file needed it (journal_load)
reads: list[str] = []  # how this process read journals (FULL_READ...), for --verbose


def take_reads() -> list[str]:
    """How the journal was read since last asked: FULL_READ for each `load`,
    OPEN_PERIOD_READ for each `load_open_period` that served."""
    done = list(reads)
    reads.clear()
    return done


def load(root: Path) -> Cooperative:
    """Read everything and find every problem."""
    reads.append(FULL_READ)
    problems: list[Problem] = []
    with journal_load.collector_paused():
        rules, roster = read_setup(root, problems)
        with preloaded(rules, roster):
            loaded = _load_journal(str(root / MAIN_FILE))
        return _checked(root, rules, roster, frozenset(), problems, loaded, None)


def load_open_period(root: Path, tree_is_clean: bool = False) -> Cooperative | None:
    """Read only the period after the last closed month, starting from what the
    closes carry (coopledger.cache.carry), and find every problem of it. None when
    the closed months cannot be carried; then `load` reads everything."""
    problems: list[Problem] = []
    rules_text = _read_text(root, RULES_FILE, problems)
    rules, found = parse_rules(rules_text) if rules_text is not None else (None, [])
    members_text = _read_text(root, MEMBERS_FILE, problems)
    if rules is None or rules_text is None or members_text is None or problems or found:
        return None
    with journal_load.collector_paused():
        opened = _open_period(root, rules, rules_text, members_text, tree_is_clean)
    if opened is not None:
        reads.append(OPEN_PERIOD_READ)
    return opened


def _open_period(
    root: Path, rules: Rules, rules_text: str, members_text: str, tree_is_clean: bool
) -> Cooperative | None:
    kept = snapshot.kept_roster(root, rules_text, members_text)  # parsed before, no problem
    if kept is not None:
        opened = _load_open_period(root, rules, lambda: (kept, []), tree_is_clean)
    else:
        with members_read_aside(members_text, rules) as roster_when_read:
            opened = _load_open_period(root, rules, roster_when_read, tree_is_clean)
            roster, member_problems = roster_when_read()
        if roster is not None and not member_problems:
            snapshot.keep_roster(root, rules_text, members_text, rules, roster)
    return opened


def _load_open_period(
    root: Path, rules: Rules, roster_when_read: RosterWhenRead, tree_is_clean: bool
) -> Cooperative | None:
    if not standard_includes(root):
        return None  # files found another way than the standard include: read everything
    opening = carry.read_opening(root, rules, tree_is_clean)
    if opening is None:
        return None

    def alone(entries: Sequence[data.Directive]) -> bool:
        return not any(
            (e.date < opening.day and (is_content(e) or isinstance(e, _JUDGED_ON_THE_PAST)))
            or _stray_close(e, opening)
            for e in entries
        )  # else an entry dated in a closed month: the full check says where

    return load_period(root, rules, roster_when_read, opening, frozenset(opening.folders), alone)


# entries judged on what came before them: dated in a closed month, the open period
# alone would judge them on nothing (a balance of 0.00, an account with no posting)
_JUDGED_ON_THE_PAST = (data.Balance, data.Close, data.Pad)


def standard_includes(root: Path) -> bool:
    """Whether main.beancount finds the journal files by the standard include
    alone, so that a period's files can be read without the others."""
    try:
        main_text = (root / MAIN_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    includes = [line.strip() for line in main_text.splitlines() if line.startswith("include")]
    return includes == [f'include "{INCLUDE_GLOB}"']


def load_period(
    root: Path,
    rules: Rules,
    roster_when_read: RosterWhenRead,
    opening: Opening | None,
    skipped: frozenset[str],
    alone: Callable[[Sequence[data.Directive]], bool],
    invoices: bool = True,
) -> Cooperative | None:
    """Read the journal but the month folders `skipped`, from `opening` (None:
    from nothing), and find every problem of it. None when it cannot be judged
    alone: main.beancount or members.yaml cannot be read so, a member with a
    carried balance left members.yaml, or `alone(entries)` says no (the entries
    read, those `opening` carries left out)."""
    problems: list[Problem] = []
    try:
        main_text = (root / MAIN_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    files = journal_files(root, skipped)
    read = [p for p in files if p != root / MAIN_FILE]
    # the include line left blank and the files' own includes put at the end, so that
    # every line of main.beancount keeps its number in coopledger's top file
    top_text = main_text.replace(f'include "{INCLUDE_GLOB}"', "", 1) + "".join(
        f'\ninclude "{_escaped(str(p))}"' for p in read
    )
    cache = folders.private_folder(root)  # CoopError if a link: nothing written through it
    try:
        fd, top = tempfile.mkstemp(dir=cache, prefix="open-period.", suffix=".beancount")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(top_text)
    except OSError:
        return None
    try:
        with preloaded(rules, lambda: roster_when_read()[0], opening):
            loaded = _load_journal(top)
    finally:
        os.unlink(top)
    roster, member_problems = roster_when_read()
    if roster is None or member_problems:
        return None  # members.yaml has problems: the full load lists them
    carried = opening.balances.items() if opening is not None else ()
    if any(balance and roster.get(m) is None for m, balance in carried):
        return None  # a member with a balance left members.yaml: the full load says where
    _named_main(root / MAIN_FILE, top, loaded[0], loaded[1])
    entries = [e for e in loaded[0] if not is_carried(e)]
    if not alone(entries):
        return None
    # every file the loader read, coopledger's top file standing for main.beancount
    names = [str(root / MAIN_FILE), *(f for f in loaded[2]["include"] if f != top)]
    options = {**loaded[2], "include": names}
    loaded = (entries, loaded[1], options)
    return _checked(root, rules, roster, skipped, problems, loaded, opening, invoices)


def _load_journal(top: str) -> tuple[Any, Any, Any]:
    """What beancount's loader gives for `top`: with one parser for all the files
    it includes (`journal_load.load_file`), else, when a file needs it (a
    pushtag, a link...), from beancount's loader itself."""
    loaded = journal_load.load_file(top)
    if loaded is None:
        reads.append(LOADER_READ)
        loaded = loader.load_file(top)
    return loaded


def _named_main(main: Path, top: str, entries: Sequence[Any], errors: Sequence[Any]) -> None:
    """What coopledger's top file (gone once read) holds, named by main.beancount,
    whose lines it keeps: an entry or an error there points at the file a person edits."""
    for meta in [e.meta for e in entries] + [e.source for e in errors]:
        if meta and meta.get("filename") == top:
            meta["filename"] = str(main)


RosterWhenRead = Callable[[], tuple[Roster | None, list[Problem]]]
READ_ASIDE_FROM_BYTES = 500_000  # about 3,500 members: below, a process costs more than it saves


@contextlib.contextmanager
def members_read_aside(text: str, rules: Rules) -> Iterator[RosterWhenRead]:
    """`parse_members(text, rules)`, in a forked process when members.yaml is big
    and there is a second CPU, so that it is read (seconds at 20,000 members)
    while beancount parses the journal. Yields the function that waits for it."""
    if len(text) < READ_ASIDE_FROM_BYTES or (os.cpu_count() or 1) < 2:
        parsed = parse_members(text, rules)
        yield lambda: parsed
        return
    import multiprocessing  # here: 10 ms of imports that the everyday commands never use
    from concurrent.futures import ProcessPoolExecutor

    try:
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        future = pool.submit(parse_members, text, rules)
    except (OSError, ValueError):  # no process to be had: read it here
        parsed = parse_members(text, rules)
        yield lambda: parsed
        return

    @functools.cache
    def when_read() -> tuple[Roster | None, list[Problem]]:
        try:
            return future.result()
        except Exception:  # the process died: read it here
            return parse_members(text, rules)

    try:
        yield when_read
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _escaped(path: str) -> str:
    return path.replace("\\", "\\\\").replace('"', '\\"')


def _stray_close(entry: data.Directive, opening: Opening) -> bool:
    """A close directive the open period cannot judge alone: one of a carried
    month, or one outside a close.beancount file."""
    if not is_close_directive(entry):
        return False
    assert isinstance(entry, data.Custom)
    month = str(entry.values[0].value) if entry.values else ""
    filename = str(entry.meta.get("filename", ""))
    return month <= opening.month or os.path.basename(filename) != CLOSE_FILE_NAME


def _checked(
    root: Path,
    rules: Rules | None,
    roster: Roster | None,
    skipped: frozenset[str],
    problems: list[Problem],
    loaded: tuple[list[data.Directive], list[Any], dict[str, Any]],
    opening: Opening | None,
    invoices: bool = True,
) -> Cooperative:
    """The cooperative with every problem: beancount's, then the ledger's."""
    entries, bean_errors, options = loaded
    inputs = loaded_file_problems(
        str(root), str(root / MAIN_FILE), options.get("include", []), options.get("pythonpath", [])
    )
    problems.extend(inputs)
    unread = ("loader-outside-journal", "loader-not-regular")
    refused = {
        os.path.normpath(os.path.join(root, p.file or "")) for p in inputs if p.code in unread
    }
    if refused:  # never echo what beancount read there (it may be /proc/self/environ)
        bean_errors = [e for e in bean_errors if not _from(e, refused)]
        entries = [e for e in entries if not _from(e, refused)]
    journal = str(root / "journal") + os.sep
    unparsed = {str((e.source or {}).get("filename")) for e in bean_errors}
    unparsed_files = (
        Path(p) for p in sorted(unparsed) if p.startswith(journal) and os.path.isfile(p)
    )
    marked_files = _marked_files(root, unparsed_files, problems)
    ledger_problems: list[Problem] = []
    history: dict[str, list[DayBalance]] = {}
    if rules is not None and roster is not None:
        ledger_problems, history = check_ledger_with_history(
            entries, roster, rules, str(root), opening=opening, invoices=invoices
        )
    ours = {(p.file, p.line) for p in ledger_problems}
    setup_broken = roster is None or any(
        p.is_error and p.file in SETUP_FILES for p in problems
    )  # then the plugin opened no account: "unknown account" on every posting is noise
    for error in bean_errors:
        source = error.source or {}
        filename = source.get("filename")
        if filename in marked_files:
            continue  # the conflict marker says it better than a syntax error
        file = relative(filename, str(root)) if filename else None
        line = source.get("lineno") or None
        if (file, line) in ours:
            continue  # our own problem on the same entry says it better
        if setup_broken and "unknown account" in error.message:
            continue  # rules.yaml or members.yaml is wrong; its problems are listed
        problems.append(Problem("beancount", file, line, {"message": error.message}))
    problems.extend(ledger_problems)
    read = {os.path.normpath(name) for name in options.get("include", [])}
    for name in journal_file_names(root, skipped):  # no list of 145k paths kept
        if os.path.normpath(name) not in read:
            problems.append(Problem("file-not-included", os.path.relpath(name, root), None, {}))
    problems.sort(key=by_cause)
    problems = explained(problems, root)  # a hand-written mistake told in the writer's terms
    return Cooperative(
        root, rules, roster, entries, problems, history, options, opening, ledger_problems
    )


SETUP_FILES = (RULES_FILE, MEMBERS_FILE)


def by_cause(problem: Problem) -> tuple[bool, Any]:
    """Problems of rules.yaml and members.yaml first: the others often follow from them."""
    return (problem.file not in SETUP_FILES, problem.sort_key())


def _from(item: Any, files: set[str]) -> bool:
    """Whether an entry or a beancount error comes from one of `files`."""
    where = getattr(item, "source", None) or getattr(item, "meta", None) or {}
    name = where.get("filename") if isinstance(where, dict) else None
    return isinstance(name, str) and os.path.normpath(name) in files


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class NewFolder:
    """A folder replaced as a whole, in one step (`coopledger.storage.folders`): it will
    hold `files` (name -> text) and the files named in `kept`, as they are now;
    any other file of the folder is gone."""

    path: str  # relative to the cooperative's root, e.g. journal/2026/10
    files: dict[str, str]
    kept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """What one command writes: whole new contents of files (and of folders), and its commit."""

    files: dict[str, str]
    message: str
    author: gitrepo.Identity
    warnings: tuple[Problem, ...] = ()
    folders: tuple[NewFolder, ...] = ()


@contextlib.contextmanager
def locked(root: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the cooperative's write lock (in .git, so it is never committed).

    The lock file names its holder (`pid N`) and the git processes it starts
    (`git N`) while it is held, and is emptied on release: a lock found
    holding names was held by a process that was killed. Then the write it
    left is finished first (`recover`)."""
    lock_path = _state_dir(root) / LOCK_FILE
    try:  # a link committed in its place is not followed
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o666)
    except OSError as error:
        if not os.path.islink(lock_path):
            raise
        shown = lock_path.relative_to(root).as_posix()
        raise CoopError("private-folder-link", path=shown, target=os.readlink(lock_path)) from error
    with os.fdopen(fd, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise CoopError("journal-locked") from None
                time.sleep(0.05)
        try:
            _recover_holding(root, handle)
            _note(handle, f"pid {os.getpid()}\n")
            gitrepo.watch_processes(lambda pid: _note(handle, f"git {pid}\n"))
            yield
        finally:
            gitrepo.watch_processes(None)
            with contextlib.suppress(OSError):
                handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _state_dir(root: Path) -> Path:
    """Where the lock and the record of a write in progress live: the
    repository's own folder (never in the working tree), else .coopledger."""
    folder = gitrepo.git_dir(root)
    if folder is None:  # no git yet: a folder git ignores
        folder = folders.private_folder(root)  # CoopError if a link
    return folder


def _note(handle: IO[str], line: str) -> None:
    handle.write(line)
    handle.flush()


# ---------------------------------------------------------------- a killed write

WRITE_RECORD = "coopledger-write.json"
GIT_WAIT_SECONDS = 10.0  # how long the git processes of a killed write may still run
recovered: list[Problem] = []  # what recoveries did, for the command to say


def recover(root: Path) -> list[Problem]:
    """Finish what a killed coopledger left, if anything: roll its write back (or
    complete it, when its commit landed) and remove the lock files its git left.
    Cheap when there is nothing to do; skipped while a live command writes.
    Returns what was done, for the command to say."""
    folder = gitrepo.git_dir(root) or root / ".coopledger"
    lock_path = folder / LOCK_FILE
    try:
        if not (folder / WRITE_RECORD).exists() and lock_path.stat().st_size == 0:
            return []
    except OSError:
        return []
    with contextlib.suppress(CoopError, OSError), locked(root, timeout=0):
        pass  # taking the lock recovers (not where .git cannot be written: a write will say)
    return take_recovered()


def take_recovered() -> list[Problem]:
    """What recoveries did since last asked (`recover`, or taking the lock)."""
    done = list(recovered)
    recovered.clear()
    return done


def _recover_holding(root: Path, handle: IO[str]) -> None:
    handle.seek(0)
    names = handle.read().split()
    record_path = _state_dir(root) / WRITE_RECORD
    if not names and not record_path.exists():
        return
    holders = [
        int(n)
        for kind, n in zip(names[::2], names[1::2], strict=False)
        if kind == "pid" and n.isdigit()
    ]
    children = [
        int(n)
        for kind, n in zip(names[::2], names[1::2], strict=False)
        if kind == "git" and n.isdigit()
    ]
    gitrepo.wait_for(children, GIT_WAIT_SECONDS)
    # a write record found under our lock: its writer is gone (killed, or this
    # lock emptied by a recovery git did not let finish)
    if record_path.exists() or (holders and not any(_alive(pid) for pid in holders)):
        gitrepo.wait_for_lock_holders(root, GIT_WAIT_SECONDS)  # a git it had not noted yet
        for path in gitrepo.remove_stale_locks(root):
            recovered.append(Problem("git-lock-removed", path, None, {}, Severity.WARNING))
    handle.truncate(0)
    if record_path.exists():
        try:
            recovered.append(_replay(root, record_path))
        except OSError as error:  # the record stays: the next command tries again
            where = os.path.relpath(error.filename, root) if error.filename else str(root)
            raise CoopError("write-failed", path=where, detail=error.strerror or "") from error


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own id in an old lock: another process had it before
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class _Record:
    """A write in progress, kept in .git until it is committed (`WRITE_RECORD`):
    the commit it starts from, each file's old text (None: a new file) and each
    folder swapped in (where its old content lies, and the new one's inode)."""

    parent: str | None
    message: str
    files: dict[str, str | None]
    folders: list[tuple[str, str, int]]  # (folder, aside, inode of the new folder)

    def save(self, path: Path) -> None:
        text = json.dumps(
            {
                "pid": os.getpid(),
                "parent": self.parent,
                "message": self.message,
                "files": self.files,
                "folders": self.folders,
            },
            ensure_ascii=False,
        )
        write_atomically(path, text)

    @classmethod
    def read(cls, path: Path) -> _Record | None:
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                found["parent"],
                str(found.get("message", "")),
                {str(k): v for k, v in found["files"].items()},
                [(str(f), str(a), int(i)) for f, a, i in found["folders"]],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @property
    def paths(self) -> list[str]:
        return [*self.files, *(folder for folder, _, _ in self.folders)]


def _replay(root: Path, record_path: Path) -> Problem:
    """Roll back the write `record_path` describes, or complete it if its commit
    landed (HEAD moved off the commit it started from)."""
    record = _Record.read(record_path)
    if record is None:  # pragma: no cover - written atomically; unreadable only by hand
        record_path.unlink()
        return Problem("write-record-unreadable", None, None, {}, Severity.WARNING)
    repo = gitrepo.open_repo(root)
    subject = record.message.splitlines()[0] if record.message else ""
    if gitrepo.head_commit(repo) != record.parent:
        _drop_asides(record)
        record_path.unlink()
        return Problem("write-completed", None, None, {"message": subject}, Severity.WARNING)
    _roll_back(root, repo, record, index_must_follow=True)
    record_path.unlink()
    return Problem(
        "write-rolled-back",
        None,
        None,
        {"message": subject, "count": str(len(record.paths))},
        Severity.WARNING,
    )


def _roll_back(
    root: Path, repo: gitrepo.Repo, record: _Record, index_must_follow: bool = False
) -> None:
    """Put every file and folder of `record` back as it was, and unstage them.
    Safe to repeat: a folder is swapped back only while it holds the new content.
    `index_must_follow` (a killed write's record): when git cannot unstage them,
    CoopError, and the record stays for the next command to try again."""
    for name, old_text in record.files.items():
        path = root / name
        if old_text is None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        elif not path.is_file() or path.read_bytes() != old_text.encode("utf-8"):
            write_atomically(path, old_text)
        _drop_temporaries(path)
    for folder, aside, inode in reversed(record.folders):
        with contextlib.suppress(OSError):
            if os.stat(root / folder).st_ino == inode and os.path.isdir(aside):
                folders.exchange(Path(aside), root / folder)
    try:
        gitrepo.unstage(repo, record.paths)
    except CoopError:
        if index_must_follow:
            raise
    _drop_asides(record)


def _drop_asides(record: _Record) -> None:
    for _, aside, _ in record.folders:
        shutil.rmtree(aside, ignore_errors=True)


def _drop_temporaries(path: Path) -> None:
    """The temporary files `write_atomically` may leave next to `path` when killed."""
    with contextlib.suppress(OSError):
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            leftover.unlink()


def _file_mode(path: Path) -> int:
    """The mode of `path` if it exists, else what a plain new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a crash leaves the old or the new file, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600 files; keep the usual mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def apply(root: Path, change: Change) -> str:
    """Write and commit `change`, whole or not at all; returns the sha.

    Refused first: a file dated in or before the last closed month
    (`refuse_closed`), a file git would not see (`gitrepo.ensure_visible`).
    Before the working tree is touched, the old content of every file is
    recorded in .git (`WRITE_RECORD`); on any failure the files are put back
    and the record removed. If the process is killed, the next command rolls
    the write back from the record, or completes it if the commit landed."""
    repo = gitrepo.open_repo(root)
    paths = [*change.files, *(new.path for new in change.folders)]
    refuse_closed(root, paths)
    gitrepo.ensure_visible(repo, paths)
    previous: dict[str, str | None] = {}
    for name in change.files:
        path = root / name
        journal_text.ensure_unchanged(path)  # read by a planner, changed since: refused
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                previous[name] = handle.read()  # exactly as on disk, CRLF kept
        except FileNotFoundError:
            previous[name] = None
    journal_text.forget_reads()  # reads of a refused plan must not judge a later write
    record_path = _state_dir(root) / WRITE_RECORD
    swapped: list[tuple[Path, Path]] = []  # (folder, where its old content now lies)
    record = None
    try:
        built = [(new, _build_aside(root, new)) for new in change.folders]
        record = _Record(
            gitrepo.head_commit(repo),
            change.message,
            previous,
            [(new.path, str(aside), os.stat(aside).st_ino) for new, aside in built],
        )
        record.save(record_path)
        for new, aside in built:
            folders.exchange(aside, root / new.path)
            swapped.append((root / new.path, aside))
        for name, text in change.files.items():
            write_atomically(root / name, text)
        sha = gitrepo.commit(repo, paths, change.message, change.author, record.parent)
    except BaseException as error:
        if record is not None:
            _roll_back(root, repo, record)
            with contextlib.suppress(FileNotFoundError):
                record_path.unlink()
        if isinstance(error, OSError):
            where = os.path.relpath(error.filename, root) if error.filename else str(root)
            raise CoopError("write-failed", path=where, detail=error.strerror or "") from error
        if isinstance(error, Exception) and not isinstance(error, CoopError):
            raise CoopError("git-failed", detail=str(error).strip().splitlines()[-1]) from error
        raise
    record_path.unlink()
    for _, aside in swapped:  # the old folders, now committed away
        shutil.rmtree(aside, ignore_errors=True)
    return sha


def last_closed_month(root: Path) -> str | None:
    """The last month with a close file (journal/YYYY/MM/close.beancount), as YYYY-MM."""
    journal = root / "journal"
    try:
        years = sorted((y.name for y in os.scandir(journal) if _digits(y.name, 4)), reverse=True)
    except OSError:
        return None
    for year in years:
        with contextlib.suppress(OSError):
            months = sorted(
                (m.name for m in os.scandir(journal / year) if _digits(m.name, 2)), reverse=True
            )
            for month in months:
                if (journal / year / month / CLOSE_FILE_NAME).is_file():
                    return f"{year}-{month}"
    return None


def _digits(name: str, width: int) -> bool:
    return len(name) == width and name.isdigit()


def month_of_path(path: str) -> str | None:
    """YYYY-MM for a path under journal/YYYY/MM, else None.

    >>> month_of_path("journal/2026/10/alice.beancount"), month_of_path("members.yaml")
    ('2026-10', None)
    """
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "journal" and _digits(parts[1], 4) and _digits(parts[2], 2):
        return f"{parts[1]}-{parts[2]}"
    return None


def refuse_closed(root: Path, paths: Iterable[str]) -> None:
    """CoopError when a path is in the folder of a month on or before the last
    closed one: closed means closed, and an entry before a closed month would
    break the balances its close asserts. A close writes only months after it."""
    last = last_closed_month(root)
    if last is None:
        return
    for path in sorted(paths):
        month = month_of_path(path)
        if month is not None and month <= last:
            after = next_month(Month.parse(last).first).isoformat()
            raise CoopError(
                "write-in-closed-period", file=path, month=month, last=last, after=after
            )


def _build_aside(root: Path, new: NewFolder) -> Path:
    """`new` built aside (in the swap area), to be swapped with the folder it replaces."""
    return folders.build_aside(root, new.files, root / new.path, new.kept)
