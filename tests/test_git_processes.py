"""How many git processes a warm `trade` starts, and that asking git less keeps
every answer: the committer, the settings a write heeds, the snapshot's key.

A write asks git once what it needs (`gitrepo.open_repo` gives one `Repo` while
the write lock is held): its author (`git var`), its settings and whether the
configuration names a committer of its own (one `git config`), HEAD as the
write's check found it, and the new content key from the tree it wrote.
"""

from __future__ import annotations

import subprocess
import zlib
from typing import Any

import pytest

from coopledger.git import gitrepo
from tests.conftest import Coop


def git_processes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every git command started from now on (their arguments after `git`)."""
    started: list[list[str]] = []
    real = subprocess.Popen

    class Counted(real):  # type: ignore[misc,valid-type]
        def __init__(self, args: Any, *rest: Any, **options: Any) -> None:
            if isinstance(args, list | tuple) and args and str(args[0]).endswith("git"):
                started.append([str(a) for a in args[1:]])
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", Counted)
    return started


def author_and_committer(coop: Coop) -> str:
    return coop.git("log", "-1", "--format=%an <%ae> / %cn <%ce>").strip()


def test_a_warm_trade_starts_ten_git_processes_at_most(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert coop.run("check").code == 0  # the snapshot
    started = git_processes(monkeypatch)

    result = coop.run("trade", "alice", "bob", "5", "--as", "alice")

    assert result.code == 0, result.text
    commands = [" ".join(a for a in args if not a.startswith("core.")) for args in started]
    assert len(started) <= 10, "\n".join(commands)
    assert not [c for c in commands if "GIT_COMMITTER_IDENT" in c]  # the author's, once
    assert author_and_committer(coop) == "Alice Martin <alice@example.org> / " + (
        "Trésorière <tresa@example.org>"
    )
    # the content key read from the tree the commit wrote is git's: the snapshot holds
    checked = coop.run("--verbose", "check")
    assert checked.code == 0
    assert "read: snapshot" in checked.err


@pytest.mark.parametrize("key", ["committer.email", "author.email"])
def test_a_committer_of_its_own_in_the_configuration_is_still_asked(coop: Coop, key: str) -> None:
    coop.git("config", key, "alice@example.org")
    coop.git("config", key.replace("email", "name"), "Alice Martin")
    assert coop.run("check").code == 0

    result = coop.run("trade", "alice", "bob", "5", "--as", "alice")

    assert result.code == 0, result.text
    if key.startswith("committer"):  # tresa authors for alice; git commits as set up
        expected = "Alice Martin <alice@example.org> / Alice Martin <alice@example.org>"
    else:  # git's author is alice (she signs), its committer tresa
        expected = "Alice Martin <alice@example.org> / Trésorière <tresa@example.org>"
    assert author_and_committer(coop) == expected


def test_a_committer_in_the_environment_is_still_asked(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Bob Durand")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "bob@example.org")

    result = coop.run("trade", "alice", "bob", "5", "--as", "alice")

    assert result.code == 0, result.text
    assert author_and_committer(coop) == (
        "Alice Martin <alice@example.org> / Bob Durand <bob@example.org>"
    )


@pytest.mark.parametrize(("value", "signs"), [("yes", True), ("1k", True), ("off", False)])
def test_signing_is_read_as_git_reads_a_boolean(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, value: str, signs: bool
) -> None:
    coop.git("config", "commit.gpgSign", value)
    started = git_processes(monkeypatch)

    coop.run("trade", "alice", "bob", "5", "--as", "alice")

    commit_tree = [args for args in started if "commit-tree" in args]
    assert commit_tree, started
    assert ("-S" in commit_tree[0]) is signs


def test_the_tree_written_is_read_only_when_its_object_hashes_to_its_id(coop: Coop) -> None:
    coop.write("journal/2026/11/extra.beancount", "; a file\n")
    coop.git("add", "-A")
    tree = coop.git("write-tree").strip()  # loose, as a write leaves it
    repo = gitrepo.open_repo(coop.root)
    listed = coop.git("ls-tree", tree).splitlines()
    expected = {line.split("\t")[1]: line.split()[2] for line in listed}

    assert gitrepo._top_entries(repo, tree) == expected
    loose = coop.root / ".git" / "objects" / tree[:2] / tree[2:]
    loose.chmod(0o644)
    raw = zlib.decompress(loose.read_bytes())
    loose.write_bytes(zlib.compress(raw.replace(b"journal", b"journax")))  # not that tree
    assert gitrepo._top_entries(repo, tree) is None
    loose.write_bytes(b"not zlib")
    assert gitrepo._top_entries(repo, tree) is None
    assert gitrepo._top_entries(repo, "0" * 40) is None  # no such object file
