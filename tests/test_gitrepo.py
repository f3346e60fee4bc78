"""gitrepo: the settings coopledger relies on, and what one `git status` decides.

- `init` writes the untracked cache and the split index into the repository's
  config, and a trade writes them into an older repository;
- one whole-tree `git status` refuses changes in the cooperative's files, lists
  the files of a new folder, and says whether anything else is staged (then the
  commit leaves it staged, and out of the trade's commit);
- an index written after that status is asked again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coopledger.git import gitrepo
from coopledger.model.problems import CoopError
from coopledger.storage import store
from tests.conftest import Coop


def config(coop: Coop, key: str) -> str:
    return coop.git("config", "--local", "--get", key).strip()


def test_init_sets_the_untracked_cache_and_the_split_index(empty_coop: Coop) -> None:
    assert config(empty_coop, "core.untrackedCache") == "true"
    assert config(empty_coop, "core.splitIndex") == "true"


def test_a_trade_sets_them_in_an_older_repository(coop: Coop) -> None:
    coop.git("config", "--local", "--unset", "core.untrackedCache")
    coop.git("config", "--local", "--unset", "core.splitIndex")

    assert coop.run("trade", "alice", "bob", "5", "--date", "2025-01-01").code == 0

    assert config(coop, "core.untrackedCache") == "true"
    assert config(coop, "core.splitIndex") == "true"


def test_a_new_folder_is_refused_with_its_files(coop: Coop) -> None:
    coop.write("journal/2031/02/bob.beancount", "; draft\n")
    coop.write("journal/2031/03/alice.beancount", "; draft\n")

    with pytest.raises(CoopError) as refused:
        gitrepo.ensure_writable(gitrepo.open_repo(coop.root), store.WRITTEN_PATHS)

    assert refused.value.code == "dirty-tree"
    assert refused.value.params["count"] == "2"
    assert "journal/2031/02/bob.beancount" in refused.value.params["files"]


def test_a_file_staged_elsewhere_stays_out_of_the_trade(coop: Coop) -> None:
    coop.write("notes.txt", "minutes\n")
    coop.git("add", "notes.txt")

    result = coop.run("trade", "alice", "bob", "5", "--date", "2025-01-01")

    assert result.code == 0, result.text
    (written,) = coop.git("show", "--name-only", "--format=", "HEAD").split()
    assert written.startswith("journal/2025/01/01/alice.2025-01-01-")
    assert coop.status() == "A  notes.txt\n"


def test_the_index_written_after_the_status_is_asked_again(coop: Coop) -> None:
    repo = gitrepo.open_repo(coop.root)
    gitrepo.ensure_writable(repo, store.WRITTEN_PATHS)
    assert gitrepo._staged(repo) is False
    coop.write("notes.txt", "minutes\n")
    coop.git("add", "notes.txt")  # the index changes after the status

    assert gitrepo._staged(repo) is True


def test_a_folder_that_is_no_repository(tmp_path: Path) -> None:
    with pytest.raises(CoopError) as refused:
        gitrepo.open_repo(tmp_path)

    assert refused.value.code == "not-a-git-repository"


def test_the_content_key_names_each_path_and_follows_every_commit(coop: Coop) -> None:
    repo = gitrepo.open_repo(coop.root)
    key = gitrepo.ensure_writable(repo, store.WRITTEN_PATHS)
    assert key is not None and len(key.split()) == len(store.WRITTEN_PATHS)
    assert key == gitrepo.content_ids(repo, store.WRITTEN_PATHS)

    coop.append("members.yaml", "# a note\n")
    coop.commit_all("a note")

    assert gitrepo.ensure_writable(repo, store.WRITTEN_PATHS) not in (None, key)


@pytest.mark.parametrize(
    ("lines", "sparse", "signs"),
    [
        ([], False, False),
        (["[core]", "\tsparseCheckout"], True, False),  # a key alone is true
        (["[commit]", "\tgpgSign = yes", "[core]", "\tsparseCheckout = on"], True, True),
        (["[commit]", "\tgpgsign = true", "\tgpgsign = false"], False, False),  # the last
        (["[commit]", "\tgpgSign = 1"], False, True),
        (["[commit]", "\tgpgSign = maybe", "[core]", "\tsparseCheckout = true"], True, False),
    ],
)
def test_the_settings_a_write_heeds_are_read_as_git_reads_them(
    coop: Coop, lines: list[str], sparse: bool, signs: bool
) -> None:
    # read together in one `git config`; a value that is no boolean is asked alone
    with (coop.root / ".git" / "config").open("a", encoding="utf-8") as config_file:
        config_file.write("".join(f"{line}\n" for line in lines))
    repo = gitrepo.open_repo(coop.root)

    assert repo.switch("core.sparseCheckout") is sparse
    assert repo.switch("commit.gpgSign") is signs


def test_a_commit_made_meanwhile_is_not_built_upon(coop: Coop) -> None:
    # the write record names the commit HEAD pointed to; git moves HEAD only from there
    repo = gitrepo.open_repo(coop.root)
    read = gitrepo.head_commit(repo)
    coop.git("commit", "--allow-empty", "-qm", "someone else's")
    coop.write("journal/extra.beancount", "")
    log = coop.log()

    with pytest.raises(CoopError) as refused:
        gitrepo.commit(
            repo, ["journal/extra.beancount"], "ours", ("Tresa", "tresa@example.org"), read
        )

    assert refused.value.code == "git-failed"
    assert coop.log() == log
