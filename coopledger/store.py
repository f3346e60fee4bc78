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
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import data

from coopledger import carry, folders, gitrepo
from coopledger.checks import DayBalance, check_ledger, conflict_markers, daily_balances, relative
from coopledger.closing import CLOSE_FILE_NAME, Opening, is_close_directive, is_content
from coopledger.journal import INCLUDE_GLOB, MAIN_FILE
from coopledger.loader_inputs import loaded_file_problems
from coopledger.members import MEMBERS_FILE, Roster, parse_members
from coopledger.plugin import is_carried, preloaded
from coopledger.problems import CoopError, Problem
from coopledger.rules import RULES_FILE, Rules, parse_rules

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

    @property
    def is_usable(self) -> bool:
        return self.rules is not None and self.roster is not None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding a cooperative."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / RULES_FILE).is_file() and (folder / MAIN_FILE).is_file():
            return folder
    raise CoopError("not-a-cooperative", path=str(start))


def journal_file_names(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every .beancount file under journal/ (full paths, folder by folder), but
    those of the folders in `skip` (relative to the root, e.g. journal/2026/10).
    Hidden files and folders are left out, as beancount's include glob does."""
    for folder, subfolders, names in os.walk(root / "journal"):
        subfolders[:] = [s for s in subfolders if not s.startswith(".")]
        if os.path.relpath(folder, root) in skip:
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


def _read_setup(root: Path, problems: list[Problem]) -> tuple[Rules | None, Roster | None]:
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


def load(root: Path) -> Cooperative:
    """Read everything and find every problem."""
    problems: list[Problem] = []
    rules, roster = _read_setup(root, problems)
    with preloaded(rules, roster):
        loaded = loader.load_file(str(root / MAIN_FILE))
    return _checked(root, rules, roster, frozenset(), problems, loaded, None)


def load_open_period(root: Path, tree_is_clean: bool = False) -> Cooperative | None:
    """Read only the period after the last closed month, starting from what the
    closes carry (coopledger.carry), and find every problem of it. None when
    the closed months cannot be carried; then `load` reads everything."""
    problems: list[Problem] = []
    rules_text = _read_text(root, RULES_FILE, problems)
    rules, found = parse_rules(rules_text) if rules_text is not None else (None, [])
    members_text = _read_text(root, MEMBERS_FILE, problems)
    if rules is None or members_text is None or problems or found:
        return None
    with members_read_aside(members_text, rules) as roster_when_read:
        return _load_open_period(root, rules, roster_when_read, tree_is_clean)


def _load_open_period(
    root: Path, rules: Rules, roster_when_read: RosterWhenRead, tree_is_clean: bool
) -> Cooperative | None:
    problems: list[Problem] = []
    try:
        main_text = (root / MAIN_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    includes = [line.strip() for line in main_text.splitlines() if line.startswith("include")]
    if includes != [f'include "{INCLUDE_GLOB}"']:
        return None  # files found another way than the standard include: read everything
    opening = carry.read_opening(root, rules, tree_is_clean)
    if opening is None:
        return None
    files = journal_files(root, frozenset(opening.folders))
    read = [p for p in files if p != root / MAIN_FILE]
    top_text = main_text.replace(
        f'include "{INCLUDE_GLOB}"', "\n".join(f'include "{_escaped(str(p))}"' for p in read)
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
            loaded = loader.load_file(top)
    finally:
        os.unlink(top)
    roster, member_problems = roster_when_read()
    if roster is None or member_problems:
        return None  # members.yaml has problems: the full load lists them
    if any(balance and roster.get(m) is None for m, balance in opening.balances.items()):
        return None  # a member with a balance left members.yaml: the full load says where
    entries = [e for e in loaded[0] if not is_carried(e)]
    if any((is_content(e) and e.date < opening.day) or _stray_close(e, opening) for e in entries):
        return None  # an entry dated in a closed month: the full check says where
    # every file the loader read, coopledger's top file standing for main.beancount
    names = [str(root / MAIN_FILE), *(f for f in loaded[2]["include"] if f != top)]
    options = {**loaded[2], "include": names}
    loaded = (entries, loaded[1], options)
    return _checked(root, rules, roster, frozenset(opening.folders), problems, loaded, opening)


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
        history = daily_balances(entries, str(root), opening)
        ledger_problems = check_ledger(
            entries, roster, rules, str(root), history=history, opening=opening
        )
    ours = {(p.file, p.line) for p in ledger_problems}
    for error in bean_errors:
        source = error.source or {}
        filename = source.get("filename")
        if filename in marked_files:
            continue  # the conflict marker says it better than a syntax error
        file = relative(filename, str(root)) if filename else None
        line = source.get("lineno") or None
        if (file, line) in ours:
            continue  # our own problem on the same entry says it better
        if roster is None and "unknown account" in error.message:
            continue  # members.yaml could not be read; its problems are listed
        problems.append(Problem("beancount", file, line, {"message": error.message}))
    problems.extend(ledger_problems)
    read = {os.path.normpath(name) for name in options.get("include", [])}
    for name in journal_file_names(root, skipped):  # no list of 145k paths kept
        if os.path.normpath(name) not in read:
            problems.append(Problem("file-not-included", os.path.relpath(name, root), None, {}))
    problems.sort(key=Problem.sort_key)
    return Cooperative(root, rules, roster, entries, problems, history, options, opening)


def _from(item: Any, files: set[str]) -> bool:
    """Whether an entry or a beancount error comes from one of `files`."""
    where = getattr(item, "source", None) or getattr(item, "meta", None) or {}
    name = where.get("filename") if isinstance(where, dict) else None
    return isinstance(name, str) and os.path.normpath(name) in files


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class NewFolder:
    """A folder replaced as a whole, in one step (`coopledger.folders`): it will
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
    """Hold the cooperative's write lock (in .git, so it is never committed)."""
    git_dir = root / ".git"
    if not git_dir.is_dir():  # a worktree's .git file, or no git yet: a folder git ignores
        git_dir = folders.private_folder(root)  # CoopError if a link
    lock_path = git_dir / LOCK_FILE
    try:  # a link committed in its place is not followed
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o666)
    except OSError as error:
        if not os.path.islink(lock_path):
            raise
        shown = lock_path.relative_to(root).as_posix()
        raise CoopError("private-folder-link", path=shown, target=os.readlink(lock_path)) from error
    with os.fdopen(fd, "a+") as handle:
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
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    """Write and commit `change`; on any failure restore the files. Returns the sha."""
    repo = gitrepo.open_repo(root)
    previous: dict[str, str | None] = {}
    for name in change.files:
        path = root / name
        previous[name] = path.read_text(encoding="utf-8") if path.exists() else None
    swapped: list[tuple[Path, Path]] = []  # (folder, where its old content now lies)
    try:
        for new in change.folders:
            swapped.append(_swap_in(root, new))
        for name, text in change.files.items():
            write_atomically(root / name, text)
        paths = [*change.files, *(new.path for new in change.folders)]
        sha = gitrepo.commit(repo, paths, change.message, change.author)
    except BaseException as error:
        for name, old_text in previous.items():
            if old_text is None:
                with contextlib.suppress(FileNotFoundError):
                    (root / name).unlink()
            else:
                write_atomically(root / name, old_text)
        for folder, aside in reversed(swapped):
            with contextlib.suppress(OSError):
                folders.exchange(aside, folder)
                shutil.rmtree(aside, ignore_errors=True)
        with contextlib.suppress(Exception):
            gitrepo.unstage(repo, [*change.files, *(new.path for new in change.folders)])
        if isinstance(error, OSError):
            where = os.path.relpath(error.filename, root) if error.filename else str(root)
            raise CoopError("write-failed", path=where, detail=error.strerror or "") from error
        if isinstance(error, Exception) and not isinstance(error, CoopError):
            raise CoopError("git-failed", detail=str(error).strip().splitlines()[-1]) from error
        raise
    for _, aside in swapped:  # the old folders, now committed away
        shutil.rmtree(aside, ignore_errors=True)
    return sha


def _swap_in(root: Path, new: NewFolder) -> tuple[Path, Path]:
    """Build `new` aside and swap it with the folder it replaces, in one step."""
    folder = root / new.path
    aside = folders.build_aside(root, new.files, folder, new.kept)
    folders.exchange(aside, folder)
    return folder, aside
