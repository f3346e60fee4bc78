"""The pull-request gate's reading of git: who changed what, judged by the base.

`gate_history(root, since, rev, require_signed, staged)` reads the change to
judge (the commits of a range, those since a revision up to the working tree,
or what git's index holds); `gate_problems(...)` judges it with the members and
rules of its base revision (`coopledger.review.gate.check_commits`) and returns every
problem as a value. `gate_refuses_loading` says when the change holds a file
beancount's loader must not read: the working tree is then not loaded at all.
`coopledger.ledger.Ledger.check` and `.gate` use them; so does `check --since`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from coopledger.git import gitrepo
from coopledger.model import clock
from coopledger.model.members import MEMBERS_FILE, Roster, parse_members
from coopledger.model.problems import CoopError, Problem
from coopledger.model.rules import RULES_FILE, Rules, parse_rules


def parse_range(text: str) -> tuple[str, str]:
    """`BASE..HEAD` -> (BASE, HEAD); a single commit C -> (C^, C)."""
    if "..." in text:
        raise CoopError("bad-range", value=text)
    if ".." in text:
        base, head = text.split("..", 1)
        if not base or not head:
            raise CoopError("bad-range", value=text)
        return base, head
    return f"{text}^", text


@dataclass(frozen=True)
class GateHistory:
    """What the gate reads from git: the base, the commits with their own
    changes (and the working tree's or the index's, as a pseudo-commit), the
    change as a whole."""

    base_rev: str
    base: str
    commits: list[gitrepo.CommitRecord]
    whole: tuple[gitrepo.FileVersion, ...]


def gate_history(
    root: Path,
    since: str | None,
    rev: str | None,
    require_signed: bool,
    staged: bool = False,
) -> GateHistory | None:
    """The change to judge: since `since` (up to the working tree), in the range
    `rev`, or (`staged`) what git's index holds against HEAD, after the commits
    from `since` if given — the working tree is then not looked at. None when
    there is nothing to judge (the first commit of a repository)."""
    from coopledger.review.gate import is_gated

    if since and rev:
        raise CoopError("gate-options")
    if staged and rev:
        raise CoopError("staged-options")
    repo = gitrepo.open_repo(root)
    if staged and not since:
        if not gitrepo.has_commits(repo):
            return None  # the first commit: no base, no roles to judge it by
        since = "HEAD"
    base_rev, head_rev = (since, "HEAD") if since else parse_range(rev or "")
    base = gitrepo.resolve(repo, base_rev)
    head = gitrepo.resolve(repo, head_rev)
    signers = None
    if require_signed:  # each author's keys, as the base's members.yaml lists them
        roster = _base_files(root, repo, base, base_rev, (None, None), staged)[1]
        signers = functools.partial(_signers_of, roster)
    commits = gitrepo.commits_between(
        repo, base, head, is_gated, verify=require_signed, signers=signers
    )
    whole = gitrepo.whole_change(repo, base, head, is_gated)
    if staged:
        pending = gitrepo.staged_record(repo, is_gated, verify=require_signed)
    elif since:
        pending = gitrepo.working_tree_record(repo, is_gated, verify=require_signed)
    else:
        pending = None
    if pending is not None:
        commits.append(pending)
    return GateHistory(base_rev, base, commits, whole)


def _signers_of(roster: Roster, email: str) -> str:
    from coopledger.model.members import allowed_signers

    return allowed_signers(roster.by_email(email), email)


def gate_refuses_loading(history: GateHistory | None) -> bool:
    """Whether the change holds a file beancount's loader must not read (an
    include, a link, code...): then the working tree is not loaded at all."""
    if history is None:
        return False  # no change judged: the gate's rules are not even imported
    from coopledger.review.gate import loader_refusals

    return bool(loader_refusals(history.commits, history.whole))


def _base_files(
    root: Path,
    repo: gitrepo.Repo,
    base: str,
    base_rev: str,
    read: tuple[Rules | None, Roster | None],
    staged: bool,
) -> tuple[Rules, Roster]:
    """The rules and members of the base revision (`read` when the working
    tree's are the same), or CoopError."""
    rules_text = gitrepo.file_at(repo, base, RULES_FILE) or ""
    members_text = gitrepo.file_at(repo, base, MEMBERS_FILE) or ""
    rule_problems: list[Problem] = []
    member_problems: list[Problem] = []
    if (
        not staged  # `read` came from the index, _unchanged looks at the working tree
        and read[0] is not None
        and read[1] is not None
        and _unchanged(root, rules_text, members_text)
    ):
        rules, roster = read
    else:
        rules, rule_problems = parse_rules(rules_text)
        roster, member_problems = parse_members(members_text, rules)
    if rules is None or roster is None:
        raise CoopError(
            "gate-base-unreadable", rev=base_rev, problems=(*rule_problems, *member_problems)
        )
    return rules, roster


def gate_problems(
    root: Path,
    since: str | None,
    rev: str | None,
    require_signed: bool,
    read: tuple[Rules | None, Roster | None] = (None, None),
    history: GateHistory | None = None,
    staged: bool = False,
) -> list[Problem]:
    """The gate's problems for the change (`gate_history`), judged with the
    members and rules of its base. `read` are the rules and members already
    read from the working tree: when the base's files are the same, they are
    not parsed again. `history` is `gate_history(...)` when it was read already."""
    from coopledger.review.gate import Policy, check_commits, closed_months_from_paths

    if history is None:
        history = gate_history(root, since, rev, require_signed, staged)
    if history is None:
        return []
    repo = gitrepo.open_repo(root)
    base, base_rev = history.base, history.base_rev
    rules, roster = _base_files(root, repo, base, base_rev, read, staged)
    as_of = gitrepo.commit_date(repo, base)  # a pull request is judged today, too
    policy = Policy(
        roster,
        rules,
        closed_months_from_paths(gitrepo.files_at(repo, base, "journal")),
        require_signed,
        max(as_of, clock.today()) if since or staged else as_of,
    )
    return check_commits(policy, history.commits, history.whole)


def _unchanged(root: Path, rules_text: str, members_text: str) -> bool:
    """rules.yaml and members.yaml in the working tree are the base's."""
    try:
        return (root / RULES_FILE).read_text(encoding="utf-8") == rules_text and (
            root / MEMBERS_FILE
        ).read_text(encoding="utf-8") == members_text
    except (OSError, UnicodeDecodeError):
        return False
