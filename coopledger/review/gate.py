"""The pull-request gate: who may write what, commit by commit.

`coopledger check --since REV` hands this module the commits from REV on (with
the text of each changed file before and after the commit) and the members and
rules as they were at REV, so a change cannot grant itself rights. It returns
a `Problem` for each thing a commit may not do, naming the commit, its author,
the file and the line. The policy (docs/pull-requests.md):

- an entry that takes units out of member X's account (a trade paid by X, a
  reversal X pays back) is added by one of X's e-mail addresses;
- an invoice (`invoice:` metadata) is added by its creditor; an entry that
  reduces what member C is owed, without paying C as much, by C;
- a clearing (`clearing:`), a periodic rule's entry (`rule:`), a close, an
  entry that pays out of the cooperative's own accounts, and any other
  directive (balance, open, custom...) only by a treasurer;
- members.yaml, rules.yaml, journal/main.beancount, journal/coop/, the CI and
  review files of every platform, the pre-commit hook and `.gitattributes` in any
  folder only by a treasurer (`is_protected`);
- an existing entry is never edited nor removed, by anyone: the journal is
  append-only, a correction is a new entry (`coopledger reverse`);
- nothing is added to or removed from a closed month;
- nothing at all by a member suspended or gone, whatever their roles, judged on
  the latest of the days the commit claims (its author and committer dates, the
  dates of the entries it adds) and on the day the base speaks for
  (`Policy.as_of`), since a commit's dates can be forged (`_status_problems`);
- with `--require-signed`, a commit signed with a key its author's member lists
  in `signing_keys` (`members.allowed_signers`).
- what beancount's loader reads is what the gate judged (`coopledger.validation.loader_inputs`):
  by anyone, no `include`, `option` or `plugin` line outside
  journal/main.beancount, no change of its `include` and `plugin` lines, no
  `insert_pythonpath`; no symbolic link, submodule or file other than a
  `.beancount` file under journal/; no Python module, compiled code or cache
  file anywhere; no byte that is not UTF-8 in a journal file.

The modes and texts come from git's objects (`gitrepo.commits_between`). A
commit is judged by its own changes; a merge by what it changes against git's
own merge of its parents. The change as a whole (base tree against head tree)
is judged too: an entry or file it changes that no commit changed in its own
right is refused (`unexplained`).

A treasurer is a member with the role that rules.yaml `roles:` names
treasurer (by default `treasurer`). The module is pure: it never calls git.
"""

from __future__ import annotations

import datetime
import functools
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import parser

from coopledger.git.gitrepo import CommitRecord, FileVersion
from coopledger.model.accounts import member_of_account, obligation_of_account
from coopledger.model.closing import CLOSE_FILE_NAME, canonical_text, month_key
from coopledger.model.journal import JOURNAL_DIR, MAIN_FILE, entry_path, owner_of
from coopledger.model.members import MEMBERS_FILE, Member, Roster, allowed_signers
from coopledger.model.problems import Param, Problem
from coopledger.model.rules import RULES_FILE, Rules
from coopledger.validation.loader_inputs import (
    FORBIDDEN_OPTIONS,
    MODE_KINDS,
    REGULAR_MODES,
    directive_lines,
    forbidden_options,
    is_code_or_cache,
    is_loadable_journal_path,
    main_directive_problems,
    parsable,
    undecodable_line,
)

TREASURER = "treasurer"
# Files and folders only a treasurer may change: the cooperative's own files, and
# whatever decides what CI runs or how git turns its objects into files.
PROTECTED_FILES = (
    MEMBERS_FILE,
    RULES_FILE,
    MAIN_FILE,
    "partners.yaml",  # the trust lines with partner groups (coopledger.intergroup.partners)
    # the hook `coopledger ci` writes (a pre-commit config), and the CI files of every
    # platform that reads its configuration from the repository
    ".pre-commit-config.yaml",
    ".pre-commit-config.yml",
    ".gitlab-ci.yml",
    ".travis.yml",
    ".drone.yml",
    ".woodpecker.yml",
    ".woodpecker.yaml",
    ".build.yml",
    ".appveyor.yml",
    "appveyor.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "Jenkinsfile",
    # who must review what (GitHub and GitLab read it here, in docs/ and in .github/
    # or .gitlab/)
    "CODEOWNERS",
    "docs/CODEOWNERS",
)
PROTECTED_FOLDERS = (
    f"{JOURNAL_DIR}/coop/",
    ".github/",
    ".gitlab/",
    ".gitea/",
    ".forgejo/",
    ".circleci/",
    ".woodpecker/",
    ".buildkite/",
    ".builds/",
)
# in any folder: .gitattributes decides how git writes a file out (text, eol and
# encoding conversions, filters), so the gate's view of a file and a checkout's
# could differ
PROTECTED_NAMES = (".gitattributes",)
TREASURER_ONLY_KEYS = {"clearing": "clearing", "rule": "periodic-rule"}
INVOICE_KEY = "invoice"
WORKING_TREE = "working tree"


_PROTECTED_FILES = frozenset(name.lower() for name in PROTECTED_FILES)
_PROTECTED_FOLDERS = tuple(folder.lower() for folder in PROTECTED_FOLDERS)


def is_protected(path: str) -> bool:
    """Whether only a treasurer may change `path`. Compared without case: on a
    machine whose file system ignores it, `.GitAttributes` is `.gitattributes`."""
    lower = path.lower()
    return (
        lower in _PROTECTED_FILES
        or lower.startswith(_PROTECTED_FOLDERS)
        or posixpath.basename(lower) in PROTECTED_NAMES
    )


def is_journal_file(path: str) -> bool:
    return path.startswith(JOURNAL_DIR + "/") and path.endswith(".beancount")


def month_folder(path: str) -> str:
    """The folder of the month `path` lies in (journal/YYYY/MM, whatever the
    subfolder: a day's folder of one file per entry), else the folder of `path`:
    where a close moves entries from file to file.

    >>> month_folder("journal/2026/10/22/alice.x.beancount"), month_folder("journal/coop/a")
    ('journal/2026/10', 'journal/coop')
    """
    parts = path.split("/")
    if (
        len(parts) >= 4
        and parts[0] == JOURNAL_DIR
        and _digits(parts[1], 4)
        and _digits(parts[2], 2)
    ):
        return "/".join(parts[:3])
    return posixpath.dirname(path)


def _digits(text: str, width: int) -> bool:
    return len(text) == width and text.isascii() and text.isdigit()


def is_gated(path: str) -> bool:
    """Whether a change to `path` is judged by the gate (other files are free)."""
    return is_protected(path) or is_journal_file(path)


@dataclass(frozen=True)
class Policy:
    """What the gate knows from the base revision."""

    roster: Roster
    rules: Rules | None = None
    closed_months: frozenset[str] = frozenset()
    require_signed: bool = False
    as_of: datetime.date | None = None  # the day the base speaks for (`_status_problems`)

    @property
    def treasurer_role(self) -> str:
        return self.rules.role(TREASURER) if self.rules is not None else TREASURER

    def is_treasurer(self, member: Member | None) -> bool:
        return member is not None and member.has_role(self.treasurer_role)

    def signers(self, email: str) -> str:
        """The allowed signers for a commit by `email`: its member's keys only."""
        return allowed_signers(self.roster.by_email(email), email)


def closed_months_from_paths(paths: Iterable[str]) -> frozenset[str]:
    """Months closed at a revision, from its `journal/YYYY/MM/close.beancount` files."""
    months = set()
    for path in paths:
        parts = path.split("/")
        if len(parts) == 4 and parts[0] == JOURNAL_DIR and parts[3] == CLOSE_FILE_NAME:
            months.add(f"{parts[1]}-{parts[2]}")
    return frozenset(months)


# ---------------------------------------------------------------- who must sign an entry


@dataclass(frozen=True)
class Claim:
    """Who may add an entry: `members` (any one of them may not: all must be the
    author) or, when `treasurer_only`, only a treasurer. `kind` names the rule."""

    kind: str
    members: tuple[str, ...] = ()
    treasurer_only: bool = False


def claim_of(entry: data.Directive) -> Claim:
    """Whose consent an added entry needs."""
    if not isinstance(entry, data.Transaction):
        kind = type(entry).__name__.lower()
        if isinstance(entry, data.Custom):
            kind = f"custom {entry.type}"
        return Claim(kind, treasurer_only=True)
    meta = entry.meta or {}
    for key, kind in TREASURER_ONLY_KEYS.items():
        if key in meta:
            return Claim(kind, treasurer_only=True)
    members: dict[str, Decimal] = defaultdict(Decimal)
    receivables: dict[str, Decimal] = defaultdict(Decimal)
    others: dict[str, Decimal] = defaultdict(Decimal)
    for posting in entry.postings:
        units = posting.units  # beancount's MISSING where the amount is left out
        if not isinstance(units, Amount) or not isinstance(units.number, Decimal):
            continue  # an elided amount: the other postings say who pays
        number = units.number
        member = member_of_account(posting.account)
        obligation = obligation_of_account(posting.account)
        if member is not None:
            members[member] += number
        elif obligation is not None:
            if obligation[0] == "receivable":
                receivables[obligation[1]] += number
        else:
            others[posting.account] += number
    if any(amount < 0 for amount in others.values()):
        return Claim("cooperative-payment", treasurer_only=True)
    if INVOICE_KEY in meta:
        creditors = tuple(sorted(c for c, amount in receivables.items() if amount > 0))
        return Claim("invoice", creditors) if creditors else Claim("invoice", treasurer_only=True)
    signers = {m for m, amount in members.items() if amount < 0}
    for creditor, amount in receivables.items():
        paid = members.get(creditor, Decimal(0))
        if amount > 0 or (amount < 0 and paid < -amount):
            signers.add(creditor)  # a new claim, or a claim given up unpaid
    if not signers:
        return Claim("debits-no-member", treasurer_only=True)
    return Claim("trade", tuple(sorted(signers)))


# ---------------------------------------------------------------- comparing files


@dataclass(frozen=True)
class FileEntry:
    text: str
    entry: data.Directive
    line: int


@functools.lru_cache(maxsize=256)  # each text is asked for its entries and its options
def _parsed(text: str, path: str) -> tuple[list[data.Directive], dict[str, Any]]:
    entries, _, options = parser.parse_string(parsable(text), report_filename=path)
    return entries, options


def file_entries(text: str | None, path: str) -> list[FileEntry]:
    if not text:
        return []
    entries, _ = _parsed(text, path)
    return [FileEntry(canonical_text(e), e, int(e.meta.get("lineno", 0))) for e in entries]


def _loads_more(text: str, path: str) -> bool:
    """Whether beancount's parser finds an include, a plugin or insert_pythonpath in
    `text` (the lines `directive_lines` finds, as the parser sees them)."""
    _, options = _parsed(text, path)
    return bool(
        options.get("include") or options.get("plugin") or options.get(FORBIDDEN_OPTIONS[0])
    )


def entry_changes(
    before: str | None, after: str | None, path: str
) -> tuple[list[FileEntry], list[FileEntry]]:
    """(added, removed) entries of one file, compared by canonical text."""
    old, new = file_entries(before, path), file_entries(after, path)
    remaining = Counter(e.text for e in old)
    added = []
    for entry in new:
        if remaining[entry.text] > 0:
            remaining[entry.text] -= 1
        else:
            added.append(entry)
    kept = Counter(e.text for e in new)
    removed = []
    for entry in old:
        if kept[entry.text] > 0:
            kept[entry.text] -= 1
        else:
            removed.append(entry)
    return added, removed


def first_changed_line(before: str | None, after: str | None) -> int:
    old, new = (before or "").splitlines(), (after or "").splitlines()
    for number, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            return number
    return min(len(old), len(new)) + 1


def _pairs(
    added: list[FileEntry], removed: list[FileEntry]
) -> tuple[list[tuple[FileEntry, FileEntry]], list[FileEntry], list[FileEntry]]:
    """Match each removed entry with the added one that replaced it (an edit):
    same trade id, else same date and line. Returns (edits, added, removed)."""
    edits, free = [], list(added)
    gone = []
    for old in removed:
        old_id = old.entry.meta.get("trade")
        match = next(
            (
                new
                for new in free
                if (old_id is not None and new.entry.meta.get("trade") == old_id)
                or (new.entry.date == old.entry.date and new.line == old.line)
            ),
            None,
        )
        if match is None:
            gone.append(old)
        else:
            free.remove(match)
            edits.append((old, match))
    return edits, free, gone


# ---------------------------------------------------------------- the gate


class _Commit:
    def __init__(self, record: CommitRecord, policy: Policy) -> None:
        self.record = record
        self.policy = policy
        self.member = policy.roster.by_email(record.author_email) if record.author_email else None
        self.is_treasurer = policy.is_treasurer(self.member)
        self.params = {
            "commit": record.sha[:8] if record.sha else WORKING_TREE,
            "author": f"{record.author_name} <{record.author_email}>",
            "author_member": self.member.id if self.member else "",
        }

    def problem(self, code: str, file: str, line: int | None, **params: Param) -> Problem:
        return Problem(code, parsable(file), line, {**self.params, **params})


def check_commits(
    policy: Policy,
    commits: Sequence[CommitRecord],
    whole: Sequence[FileVersion] | None = None,
) -> list[Problem]:
    """Every problem of the change, commit by commit, oldest first; then, with
    `whole` (every file that differs from the base to the last commit, tree
    against tree), what the change as a whole does that no commit did."""
    problems: list[Problem] = []
    closed = set(policy.closed_months)
    for record in commits:
        commit = _Commit(record, policy)
        for change in record.files:
            problems.extend(loader_problems(commit, change))
        gated = [f for f in record.files if is_gated(f.path)]
        if not gated:
            continue
        if policy.require_signed and not record.signed:
            code = "gate-unsigned" if record.sha else "gate-uncommitted"
            if record.has_signature and record.sha and commit.member is not None:
                code = "gate-signature-not-authors"
            role = policy.treasurer_role
            problems.append(commit.problem(code, gated[0].path, None, role=role))
        if commit.member is None:
            for change in gated:
                line = first_changed_line(change.before, change.after)
                problems.append(commit.problem("gate-unknown-author", change.path, line))
            continue
        compared = {c.path: _compared(c) for c in gated}
        refused = _status_problems(commit, gated, compared)
        if refused:
            problems.extend(refused)
            continue
        moved = _gathered(commit, gated, compared)
        for change in gated:
            added, removed = compared[change.path]
            if moved:
                folder = month_folder(change.path)
                added = _without(added, folder, moved["in"])
                removed = _without(removed, folder, moved["out"])
            problems.extend(_file_problems(commit, change, closed, added, removed))
        for change in gated:  # a close in this commit closes its month for the next ones
            if change.after is not None and posixpath.basename(change.path) == CLOSE_FILE_NAME:
                closed |= closed_months_from_paths([change.path])
    committed = [c for c in commits if c.sha]
    if whole is not None and committed:
        problems.extend(unexplained(policy, committed, whole, problems))
    return problems


def _status_problems(
    commit: _Commit,
    gated: Sequence[FileVersion],
    compared: dict[str, tuple[list[FileEntry], list[FileEntry]]],
) -> list[Problem]:
    """One problem per file when the author is suspended or has left, by the
    base's members.yaml, on either of two days: the latest the commit itself
    claims (author date, committer date, the dates of the entries it adds), and
    the day the base speaks for (`Policy.as_of`). A commit's dates are the
    author's word: back-dating them gains nothing, since the base's day still
    counts; a later date only judges them by a later status."""
    member = commit.member
    assert member is not None
    record = commit.record
    claimed = [d for d in (record.author_date, record.commit_date) if d is not None]
    claimed += [item.entry.date for added, _ in compared.values() for item in added]
    days = [d for d in (max(claimed, default=None), commit.policy.as_of) if d is not None]
    refused = member.writes_refused(*days)
    if refused is None:
        return []
    status, since = refused
    day = next(d for d in days if member.status_at(d) == status)
    return [
        commit.problem(
            "gate-author-not-active",
            change.path,
            first_changed_line(change.before, change.after),
            status=status,
            since=since,
            date=day,
            role=commit.policy.treasurer_role,
        )
        for change in gated
    ]


@functools.lru_cache(maxsize=1024)  # asked again for the change as a whole
def _compared(change: FileVersion) -> tuple[list[FileEntry], list[FileEntry]]:
    if not is_journal_file(change.path) or not _readable(change):
        return [], []
    return entry_changes(change.before, change.after, change.path)


def _readable(change: FileVersion) -> bool:
    """A change whose sides are regular files (a link or a submodule is refused
    by `loader_problems`, and its text is no journal)."""
    return all(m is None or m in REGULAR_MODES for m in (change.mode_before, change.mode_after))


# ---------------------------------------------------------------- what the loader reads


def loader_problems(commit: _Commit, change: FileVersion) -> list[Problem]:
    """The rules on what beancount's loader may read (`coopledger.validation.loader_inputs`),
    for one file a commit changes, whoever the author: a regular file (git's
    mode), no code or cache, only journal files under journal/, UTF-8, and no
    new `include`, `option` or `plugin` line outside main.beancount."""
    path, mode = change.path, change.mode_after
    if mode is None:
        if change.after is None:
            return []  # removed: the entry rules judge it
        mode = REGULAR_MODES[0]  # a record made without modes: a regular file's text
    if parsable(path) != path:
        return [commit.problem("gate-bad-file-name", path, None)]
    if mode not in REGULAR_MODES:
        kind = MODE_KINDS.get(mode, "a file that is neither a regular file nor a folder")
        return [commit.problem("gate-not-regular", path, None, kind=kind)]
    if is_code_or_cache(path):
        return [commit.problem("gate-code-file", path, None)]
    if path.startswith(JOURNAL_DIR + "/") and not is_loadable_journal_path(path):
        return [commit.problem("gate-not-a-journal-file", path, None)]
    if not is_journal_file(path) or change.after is None:
        return []
    after, before = change.after, change.before if _readable(change) else None
    problems = []
    old_lines = set((before or "").split("\n"))
    bad = undecodable_line(after)
    if bad is not None and after.split("\n")[bad - 1] not in old_lines:
        problems.append(commit.problem("gate-not-utf8", path, bad))
    stripped = {line.strip() for line in old_lines}
    lines = after.split("\n")
    if path != MAIN_FILE:
        directives = directive_lines(after)
        for number, keyword in directives:
            if lines[number - 1].strip() not in stripped:
                problems.append(
                    commit.problem("gate-loader-directive", path, number, keyword=keyword)
                )
        if not directives and _loads_more(after, path):  # a line the pattern did not see
            line = first_changed_line(before, after)
            problems.append(commit.problem("gate-loader-directive", path, line, keyword="include"))
        return problems
    for number, option in forbidden_options(after):
        problems.append(commit.problem("gate-loader-option", path, number, option=option))
    for found in main_directive_problems(before, after):
        problems.append(commit.problem("gate-loader-lines-changed", path, found.line))
    return problems


def loader_refusals(
    commits: Sequence[CommitRecord], whole: Sequence[FileVersion] = ()
) -> list[Problem]:
    """Only the rules on what the loader reads, which need no roles: asked
    before anything loads the working tree."""
    policy = Policy(Roster.of([]))
    problems = []
    for record in commits:
        commit = _Commit(record, policy)
        for change in record.files:
            problems.extend(loader_problems(commit, change))
    if commits:
        last = _Commit(commits[-1], policy)
        for change in whole:
            problems.extend(loader_problems(last, change))
    return problems


def unexplained(
    policy: Policy,
    commits: Sequence[CommitRecord],
    whole: Sequence[FileVersion],
    found: Sequence[Problem],
) -> list[Problem]:
    """What the change as a whole (base tree against head tree) does that no
    commit of it did in its own right: an entry added or removed in a month's
    folder, a file changed, a file the loader may not read. Named after the
    last commit. A merge's own changes are against git's own merge of its
    parents, so a correct history leaves nothing here: this catches what a
    history the gate did not foresee would slip through."""
    last = _Commit(commits[-1], policy)
    problems: list[Problem] = []
    seen = {(p.code, p.file) for p in found}
    for change in whole:
        for problem in loader_problems(last, change):
            if (problem.code, problem.file) not in seen:
                problems.append(problem)
    made: dict[str, set[str | None]] = defaultdict(set)
    for record in commits:
        for change in record.files:
            made[change.path].add(change.after)
    by_commits: dict[str, Counter[tuple[str, str]]] = {"added": Counter(), "removed": Counter()}
    for record in commits:
        _count_entries(by_commits, [f for f in record.files if is_gated(f.path)])
    in_whole: dict[str, Counter[tuple[str, str]]] = {"added": Counter(), "removed": Counter()}
    gated = [f for f in whole if is_gated(f.path)]
    _count_entries(in_whole, gated)
    places = _places(gated)
    for what in ("added", "removed"):
        for key, count in (in_whole[what] - by_commits[what]).items():
            path, line, day = places[(what, key)]
            for _ in range(count):
                problems.append(last.problem("gate-unexplained", path, line, what=what, date=day))
    for change in gated:
        if not is_journal_file(change.path) and change.after not in made.get(change.path, set()):
            line = first_changed_line(change.before, change.after)
            problems.append(last.problem("gate-unexplained-file", change.path, line))
    return problems


def _count_entries(
    counts: dict[str, Counter[tuple[str, str]]], changes: Sequence[FileVersion]
) -> None:
    """Add the entries `changes` add and remove, net within each month's folder
    (a close moves entries from file to file), to `counts`."""
    added: Counter[tuple[str, str]] = Counter()
    removed: Counter[tuple[str, str]] = Counter()
    for change in changes:
        new, old = _compared(change)
        folder = month_folder(change.path)
        added.update((folder, e.text) for e in new)
        removed.update((folder, e.text) for e in old)
    counts["added"].update(added - removed)
    counts["removed"].update(removed - added)


def _places(
    changes: Sequence[FileVersion],
) -> dict[tuple[str, tuple[str, str]], tuple[str, int, str]]:
    """Where each entry the changes add or remove stands: (path, line, date)."""
    places = {}
    for change in changes:
        new, old = _compared(change)
        folder = month_folder(change.path)
        for what, items in (("added", new), ("removed", old)):
            for item in items:
                places[(what, (folder, item.text))] = (
                    change.path,
                    item.line,
                    item.entry.date.isoformat(),
                )
    return places


def _gathered(
    commit: _Commit,
    gated: Sequence[FileVersion],
    compared: dict[str, tuple[list[FileEntry], list[FileEntry]]],
) -> dict[str, Counter[tuple[str, str]]]:
    """The entries a treasurer's close moves from file to file within the folder
    of the month it closes (`coopledger close` gathers the month's files into
    one), as (folder, canonical text) counted once "out" and once "in"; such a
    move is neither a removal nor an addition. Empty for any other commit."""
    if not commit.is_treasurer:
        return {}
    closing = {
        posixpath.dirname(c.path)
        for c in gated
        if c.before is None
        and c.after is not None
        and posixpath.basename(c.path) == CLOSE_FILE_NAME
    }
    if not closing:
        return {}
    into: Counter[tuple[str, str]] = Counter()
    out_of: Counter[tuple[str, str]] = Counter()
    for change in gated:
        folder = month_folder(change.path)
        if folder in closing and posixpath.basename(change.path) != CLOSE_FILE_NAME:
            added, removed = compared[change.path]
            into.update((folder, item.text) for item in added)
            out_of.update((folder, item.text) for item in removed)
    moved = into & out_of
    return {"in": moved, "out": moved.copy()} if moved else {}


def _without(
    items: list[FileEntry], folder: str, moved: Counter[tuple[str, str]]
) -> list[FileEntry]:
    """`items` but the moved ones (each counted move used once)."""
    kept = []
    for item in items:
        if moved[(folder, item.text)] > 0:
            moved[(folder, item.text)] -= 1
        else:
            kept.append(item)
    return kept


def _file_problems(
    commit: _Commit,
    change: FileVersion,
    closed: set[str],
    added: list[FileEntry],
    removed: list[FileEntry],
) -> list[Problem]:
    """The problems of one file's change: `added` and `removed` are its entries
    added and removed (`entry_changes`), moves within a gathered month left out."""
    problems: list[Problem] = []
    path = change.path
    if is_protected(path):
        if not commit.is_treasurer:
            problems.extend(_entries_in_main(commit, path, added))
            line = first_changed_line(change.before, change.after)
            problems.append(
                commit.problem("gate-protected-file", path, line, role=commit.policy.treasurer_role)
            )
        if not is_journal_file(path):
            return problems
    edits, added, removed = _pairs(added, removed)
    is_close_file = posixpath.basename(path) == CLOSE_FILE_NAME
    for old, new in edits:
        problems.append(
            commit.problem(
                "gate-entry-edited",
                path,
                new.line,
                date=new.entry.date,
                old_line=str(old.line),
            )
        )
    for old in removed:
        problems.append(commit.problem("gate-entry-removed", path, old.line, date=old.entry.date))
    touched = [*(new for _, new in edits), *added, *removed]
    if not is_close_file:
        for item in touched:
            month = month_key(item.entry.date)
            if month in closed:
                problems.append(
                    commit.problem(
                        "gate-closed-month",
                        path,
                        item.line,
                        month=month,
                        date=item.entry.date,
                    )
                )
    if not is_protected(path):
        for item in added:
            problems.extend(_authorship(commit, path, item))
    return problems


def _entries_in_main(commit: _Commit, path: str, added: list[FileEntry]) -> list[Problem]:
    """Where each member's entry added to main.beancount belongs (fava's form writes
    there when the coopledger extension does not move it)."""
    if path != MAIN_FILE:
        return []
    found = []
    for item in added:
        owner = owner_of(item.entry)
        if owner is not None:
            target = entry_path(item.entry.date, owner)
            role = commit.policy.treasurer_role
            found.append(
                commit.problem("gate-entry-in-main", path, item.line, target=target, role=role)
            )
    return found


def _authorship(commit: _Commit, path: str, item: FileEntry) -> list[Problem]:
    if commit.is_treasurer:
        return []
    claim = claim_of(item.entry)
    role = commit.policy.treasurer_role
    if claim.treasurer_only:
        return [commit.problem("gate-treasurer-only", path, item.line, kind=claim.kind, role=role)]
    assert commit.member is not None
    others = [m for m in claim.members if m != commit.member.id]
    if not others:
        return []
    code = "gate-not-creditor" if claim.kind == "invoice" else "gate-not-payer"
    return [commit.problem(code, path, item.line, member=tuple(others), role=role)]
