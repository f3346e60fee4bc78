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

A treasurer is a member with the role that rules.yaml `roles:` names
treasurer (by default `treasurer`). The module is pure: it never calls git.
"""

from __future__ import annotations

import datetime
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data
from beancount.parser import parser

from coopledger.accounts import member_of_account, obligation_of_account
from coopledger.closing import CLOSE_FILE_NAME, canonical_text, month_key
from coopledger.gitrepo import CommitRecord, FileVersion
from coopledger.journal import JOURNAL_DIR, MAIN_FILE
from coopledger.members import MEMBERS_FILE, Member, Roster, allowed_signers
from coopledger.problems import Problem
from coopledger.rules import RULES_FILE, Rules

TREASURER = "treasurer"
# Files and folders only a treasurer may change: the cooperative's own files, and
# whatever decides what CI runs or how git turns its objects into files.
PROTECTED_FILES = (
    MEMBERS_FILE,
    RULES_FILE,
    MAIN_FILE,
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
TREASURER_ONLY_KEYS = {"clearing": "clearing", "rule": "periodic rule"}
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
        if posting.units is None or posting.units.number is None:
            continue  # an elided amount: the other postings say who pays
        number = posting.units.number
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
        return Claim("payment from the cooperative's account", treasurer_only=True)
    if INVOICE_KEY in meta:
        creditors = tuple(sorted(c for c, amount in receivables.items() if amount > 0))
        return Claim("invoice", creditors) if creditors else Claim("invoice", treasurer_only=True)
    signers = {m for m, amount in members.items() if amount < 0}
    for creditor, amount in receivables.items():
        paid = members.get(creditor, Decimal(0))
        if amount > 0 or (amount < 0 and paid < -amount):
            signers.add(creditor)  # a new claim, or a claim given up unpaid
    if not signers:
        return Claim("entry that debits no member", treasurer_only=True)
    return Claim("trade", tuple(sorted(signers)))


# ---------------------------------------------------------------- comparing files


@dataclass(frozen=True)
class FileEntry:
    text: str
    entry: data.Directive
    line: int


def file_entries(text: str | None, path: str) -> list[FileEntry]:
    if not text:
        return []
    entries, _, _ = parser.parse_string(text, report_filename=path)
    return [FileEntry(canonical_text(e), e, int(e.meta.get("lineno", 0))) for e in entries]


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

    def problem(self, code: str, file: str, line: int | None, **params: str) -> Problem:
        return Problem(code, file, line, {**self.params, **params})


def check_commits(policy: Policy, commits: Sequence[CommitRecord]) -> list[Problem]:
    """Every problem of the change, commit by commit, oldest first."""
    problems: list[Problem] = []
    closed = set(policy.closed_months)
    for record in commits:
        commit = _Commit(record, policy)
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
        compared = {
            c.path: entry_changes(c.before, c.after, c.path)
            if is_journal_file(c.path)
            else ([], [])
            for c in gated
        }
        refused = _status_problems(commit, gated, compared)
        if refused:
            problems.extend(refused)
            continue
        moved = _gathered(commit, gated, compared)
        for change in gated:
            added, removed = compared[change.path]
            if moved:
                folder = posixpath.dirname(change.path)
                added = _without(added, folder, moved["in"])
                removed = _without(removed, folder, moved["out"])
            problems.extend(_file_problems(commit, change, closed, added, removed))
        for change in gated:  # a close in this commit closes its month for the next ones
            if change.after is not None and posixpath.basename(change.path) == CLOSE_FILE_NAME:
                closed |= closed_months_from_paths([change.path])
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
            since=since.isoformat(),
            date=day.isoformat(),
            role=commit.policy.treasurer_role,
        )
        for change in gated
    ]


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
        folder = posixpath.dirname(change.path)
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
                date=new.entry.date.isoformat(),
                old_line=str(old.line),
            )
        )
    for old in removed:
        problems.append(
            commit.problem("gate-entry-removed", path, old.line, date=old.entry.date.isoformat())
        )
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
                        date=item.entry.date.isoformat(),
                    )
                )
    if not is_protected(path):
        for item in added:
            problems.extend(_authorship(commit, path, item))
    return problems


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
    return [commit.problem(code, path, item.line, member=", ".join(others), role=role)]
