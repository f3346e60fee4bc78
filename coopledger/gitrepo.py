"""The only module that talks to git.

coopledger commits every write itself, with an author taken from members.yaml,
so it works on a machine where git has no identity configured. Before writing
it refuses a repository on a detached HEAD or with uncommitted changes in the
files it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import git

from coopledger.problems import CoopError

Identity = tuple[str, str]  # (name, email)


def open_repo(root: Path) -> git.Repo:
    try:
        repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise CoopError("not-a-git-repository", path=str(root)) from None
    if repo.working_tree_dir is None or Path(repo.working_tree_dir).resolve() != root.resolve():
        raise CoopError("not-a-git-repository", path=str(root))
    return repo


def init_repo(root: Path) -> git.Repo:
    """Create a repository at `root`, or adopt the one there if it has no commits."""
    try:
        repo = git.Repo(root)
        if repo.head.is_valid():
            return repo
        return repo
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        root.mkdir(parents=True, exist_ok=True)
        return git.Repo.init(root, initial_branch="main")


def has_commits(repo: git.Repo) -> bool:
    return repo.head.is_valid()


def configured_email(repo: git.Repo) -> str | None:
    try:
        return str(repo.config_reader().get_value("user", "email", "")) or None
    except Exception:  # no config file at all
        return None


def ensure_writable(repo: git.Repo, paths: Sequence[str]) -> None:
    """Refuse a detached HEAD, or uncommitted changes in `paths`."""
    if has_commits(repo) and repo.head.is_detached:
        raise CoopError("detached-head")
    status = repo.git.status("--porcelain", "--untracked-files=all", "--", *paths)
    if status.strip():
        changed = [line[3:] for line in status.splitlines()]
        raise CoopError("dirty-tree", files=", ".join(changed[:5]), count=str(len(changed)))


def commit(repo: git.Repo, paths: Sequence[str], message: str, author: Identity) -> str:
    """Stage `paths` and commit them as `author`; return the new commit's sha."""
    actor = git.Actor(*author)
    existing = [p for p in paths if (Path(repo.working_tree_dir or ".") / p).exists()]
    removed = [p for p in paths if p not in existing]
    if existing:
        repo.index.add(existing)
    if removed:
        repo.index.remove(removed)
    new_commit = repo.index.commit(message, author=actor, committer=actor)
    return str(new_commit.hexsha)


def current_branch(repo: git.Repo) -> str | None:
    if not has_commits(repo) or repo.head.is_detached:
        return None
    return str(repo.active_branch.name)


def unstage(repo: git.Repo, paths: Sequence[str]) -> None:
    """Put the index back as HEAD has it for `paths` (after a failed commit)."""
    if has_commits(repo):
        repo.index.reset(paths=list(paths))


def commit_new_tree(root: Path, message: str, author: Identity) -> str:
    """Create a repository at `root` and commit every file in it as `author`.

    For `coopledger demo`: staging is left to git itself, which takes seconds
    for a hundred thousand files where gitpython's index takes minutes.
    """
    repo = init_repo(root)
    name, email = author
    identity = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    with repo.git.custom_environment(**identity):
        repo.git.add("--all")
        repo.git.commit("--quiet", "--no-verify", "--no-gpg-sign", "-m", message)
    return str(repo.head.commit.hexsha)


def create_branch(repo: git.Repo, name: str) -> None:
    """Create branch `name` at HEAD and check it out (for a change to review)."""
    try:
        repo.git.check_ref_format("--branch", name)
    except git.GitCommandError:
        raise CoopError("bad-branch-name", branch=name) from None
    if name in [head.name for head in repo.heads]:
        raise CoopError("branch-exists", branch=name)
    try:
        repo.git.switch("-c", name)
    except git.GitCommandError as error:
        raise CoopError("git-failed", detail=str(error).strip().splitlines()[-1]) from None


# ---------------------------------------------------------------- past revisions (for reports)


def export_tree(root: Path, rev: str, destination: Path) -> str:
    """Write the files of revision `rev` into `destination` (like `git archive`).

    Returns the revision's full sha. The repository itself is not touched.
    """
    import io
    import tarfile

    repo = open_repo(root)
    try:
        sha = str(repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")).strip()
    except git.GitCommandError:
        raise CoopError("unknown-revision", rev=rev) from None
    archive = io.BytesIO()
    repo.archive(archive, treeish=sha, format="tar")
    archive.seek(0)
    with tarfile.open(fileobj=archive) as tar:
        tar.extractall(destination, filter="data")
    return sha
