"""close, reverse, ci; and the gate that `check --since/--rev` runs."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from coopledger import clock
from coopledger.ci_templates import PLATFORMS, ci_files, pinned_source
from coopledger.cli.common import (
    app,
    author_for,
    cooperative_root,
    out,
    parse_day,
    print_json,
    writing,
)
from coopledger.cli.lazy import lazy_module
from coopledger.members import MEMBERS_FILE, Roster, parse_members
from coopledger.money import format_amount
from coopledger.problems import CoopError, Problem
from coopledger.rules import RULES_FILE, Rules, parse_rules
from coopledger.words import plural

if TYPE_CHECKING:
    from coopledger import gitrepo, store
else:
    gitrepo, store = lazy_module("coopledger.gitrepo"), lazy_module("coopledger.store")

# ---------------------------------------------------------------- the gate


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
    from coopledger.gate import is_gated

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
    from coopledger.members import allowed_signers

    return allowed_signers(roster.by_email(email), email)


def gate_refuses_loading(history: GateHistory | None) -> bool:
    """Whether the change holds a file beancount's loader must not read (an
    include, a link, code...): then the working tree is not loaded at all."""
    from coopledger.gate import loader_refusals

    return history is not None and bool(loader_refusals(history.commits, history.whole))


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
    from coopledger.gate import Policy, check_commits, closed_months_from_paths

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


# ---------------------------------------------------------------- close, reverse


@app.command()
def close(
    month: str = typer.Argument(..., help="The month to close, YYYY-MM."),
    as_member: str = typer.Option(None, "--as", help="Treasurer who signs the commit."),
    with_earlier: bool = typer.Option(
        False, "--with-earlier", help="Also close every earlier month not closed yet."
    ),
    keep_files: bool = typer.Option(
        False, "--keep-files", help="Keep each file of the month; do not gather them into one."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Close a month (treasurer): record every balance and a fingerprint of its entries,
    and gather the month's files into one."""
    from coopledger.carry import closed_folder_prints
    from coopledger.closing import CLOSE_FILE_NAME, GATHERED_FILE_NAME
    from coopledger.corrections import plan_close
    from coopledger.folders import can_exchange
    from coopledger.snapshot import keep_closed_figures

    root = cooperative_root()
    with writing(root, as_member) as session:
        coop, author = session.coop, session.author
        gather = not keep_files and can_exchange(root)
        change, count = plan_close(coop, month, author, clock.today(), with_earlier, gather)
        sha = session.record(change)
        with contextlib.suppress(OSError):  # for `report` after the close: a cache only
            keep_closed_figures(root, coop.entries, closed_folder_prints(root))
    closes = [*change.files, *(f"{new.path}/{CLOSE_FILE_NAME}" for new in change.folders)]
    closes.sort()
    months = ", ".join(f"{path.split('/')[1]}-{path.split('/')[2]}" for path in closes)
    if as_json:
        gathered_files = [f"{new.path}/{GATHERED_FILE_NAME}" for new in change.folders]
        print_json(
            {
                "months": months.split(", "),
                "closes": closes,
                "entries": count,
                "gathered": gathered_files,
                "commit": sha,
            }
        )
        return
    out.print(
        f"Closed {months}: {plural(count, 'entry', 'entries')} fingerprinted in "
        f"{', '.join(closes)} (commit {sha[:8]})",
        markup=False,
    )
    for new in change.folders:
        gathered = f"  {new.path}: the month's files gathered into {GATHERED_FILE_NAME}"
        out.print(gathered, markup=False)


@app.command()
def reverse(
    trade_id: str = typer.Argument(..., metavar="TRADE_ID", help="The trade's id."),
    memo: str = typer.Option(None, "--memo", "-m", help="Why (default: 'reversal of ...')."),
    date: str = typer.Option(None, "--date", help="Date of the reversal (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Record the exact counter-entry of a trade, linked to it by `reverses:`."""
    from coopledger.corrections import find_trade, plan_reverse

    root = cooperative_root()
    day = parse_day(date)
    with writing(root, as_member) as session:
        coop, author = session.coop, session.author
        change, recorded = plan_reverse(coop, trade_id, day=day, memo=memo, author=author)
        trade_id = find_trade(coop, trade_id).trade_id or trade_id  # a prefix, in full
        sha = session.record(change)
    assert coop.rules is not None
    amount = format_amount(recorded.amount, coop.rules.decimals)
    if as_json:
        from coopledger.cli.trades_commands import trade_record

        reversal = trade_record(recorded, coop.rules.decimals, coop.rules.currency)
        print_json({"reversed": trade_id, "reversal": reversal, "commit": sha})
        return
    out.print(
        f"Reversed {trade_id} with {recorded.trade_id}: {recorded.payer} → {recorded.payee} "
        f"{amount} {coop.rules.currency} (commit {sha[:8]})",
        markup=False,
    )


# ---------------------------------------------------------------- ci


def write_ci(
    root: Path, platform: str, author: gitrepo.Identity, force: bool, source: str
) -> list[str]:
    """Write and commit the CI files for `platform`, installing coopledger from
    `source` (see `ci_templates.pinned_source`); return their paths."""
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


@app.command()
def ci(
    platform: str = typer.Argument(..., help="github or gitlab."),
    force: bool = typer.Option(False, "--force", help="Replace existing CI files."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
    source: str = typer.Option(
        None,
        "--source",
        help="Where the CI installs coopledger from: a VCS URL pinned to a commit, "
        "e.g. git+https://example.org/coop/coopledger@COMMIT (default: where this "
        "coopledger was installed from, if that pins a commit).",
    ),
) -> None:
    """Write a CI configuration that runs `coopledger check --since <base>` on every
    pull request, and a pre-commit hook running `coopledger check --staged`."""
    if platform not in PLATFORMS:
        raise CoopError("bad-ci-platform", value=platform, choices=", ".join(PLATFORMS))
    pinned = pinned_source(source, "--source")
    root = cooperative_root()
    with store.locked(root):
        coop = store.load(root)
        author = author_for(root, coop, as_member)
        written = write_ci(root, platform, author, force, pinned)
    for name in written:
        out.print(f"Wrote {name}", markup=False)
    if not written:
        out.print(f"The {platform} CI files are already up to date", markup=False)
