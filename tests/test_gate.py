"""The pull-request gate, end to end with real git.

The treasurer (tresa) keeps main; volunteers commit on a branch with their own
identity, set per commit (`git -c user.email=...`, no global git config), and
`coopledger check --since <base>` judges the branch as the CI would.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import Coop

# where the generated CI installs coopledger from: the tests run an editable install,
# which names no commit (tests/test_ci_safety.py installs from a real one)
SOURCE = "git+https://example.org/coop/coopledger@" + "c0ffee" * 6 + "c0ff"
TRESA = ("Trésorière", "tresa@example.org")
ALICE = ("Alice Martin", "alice@example.org")
BOB = ("Bob Durand", "bob@example.org")


def commit_as(coop: Coop, who: tuple[str, str], message: str = "change") -> str:
    coop.git("add", "-A")
    coop.git("-c", f"user.name={who[0]}", "-c", f"user.email={who[1]}", "commit", "-qm", message)
    return coop.git("rev-parse", "HEAD").strip()


def branch(coop: Coop, name: str = "pr") -> str:
    """Start a volunteer branch; return the base commit."""
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("switch", "-qc", name)
    return base


def trade_text(day: str, payer: str, payee: str, amount: str, memo: str = "by hand") -> str:
    return (
        f'{day} * "{memo}"\n'
        f"  Assets:Members:{payer.capitalize()}  -{amount} SEL\n"
        f"  Assets:Members:{payee.capitalize()}   {amount} SEL\n"
    )


def test_a_members_own_payment_is_accepted(coop: Coop) -> None:
    base = branch(coop)
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    commit_as(coop, ALICE)

    result = coop.run("check", "--since", base)

    assert result.code == 0, result.text
    assert result.out.startswith("ok:")


def test_a_payment_from_someone_elses_account_is_rejected_naming_commit_author_file_line(
    coop: Coop,
) -> None:
    base = branch(coop)
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    commit_as(coop, ALICE)
    coop.append(
        "journal/2026/11/alice.beancount", "\n" + trade_text("2026-11-11", "bob", "alice", "7.00")
    )
    sha = commit_as(coop, ALICE)

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"journal/2026/11/alice.beancount:5: error: commit {sha[:8]} by Alice Martin "
        "<alice@example.org> adds an entry that takes units from bob's account; only bob or "
        "a treasurer may add it: ask them to, or pay from your own account"
    )
    assert "1 error" in result.out


def test_a_self_granted_treasurer_role_is_rejected_and_grants_nothing(coop: Coop) -> None:
    base = branch(coop)
    text = coop.read("members.yaml").replace(
        "  - id: alice\n", "  - id: alice\n    roles: [treasurer]\n"
    )
    coop.write("members.yaml", text)
    grant = commit_as(coop, ALICE, "make me treasurer")
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-10", "bob", "alice", "9.00"))
    spend = commit_as(coop, ALICE, "spend bob's units")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(
        f"members.yaml:11: error: commit {grant[:8]} by Alice Martin <alice@example.org> "
        "changes a file only a treasurer may change"
    )
    assert lines[1].startswith(
        f"journal/2026/11/bob.beancount:1: error: commit {spend[:8]} by Alice Martin"
    )
    assert "takes units from bob's account" in lines[1]


def test_the_same_content_authored_by_the_treasurer_is_accepted(coop: Coop) -> None:
    base = branch(coop)
    text = coop.read("members.yaml").replace(
        "  - id: alice\n", "  - id: alice\n    roles: [treasurer]\n"
    )
    coop.write("members.yaml", text)
    commit_as(coop, TRESA, "alice becomes treasurer")
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-10", "bob", "alice", "9.00"))
    commit_as(coop, TRESA, "bob's payment, entered from his paper slip")

    result = coop.run("check", "--since", base)

    assert result.code == 0, result.text


def test_an_edit_of_an_old_entry_is_rejected_even_from_the_treasurer(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-02").code == 0
    base = branch(coop)
    path = coop.last_written()
    coop.write(path, coop.read(path).replace("40.00 SEL", "4.00 SEL"))
    alice_sha = commit_as(coop, ALICE, "fix amount")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert result.out.startswith(
        f"{path}:1: error: commit {alice_sha[:8]} by Alice Martin <alice@example.org> edits an "
        "existing entry of 2026-11-02 (line 1 before the change); the journal is append-only"
    )
    tresa = "Trésorière <tresa@example.org>"
    coop.git("-c", "user.name=x", "-c", "user.email=tresa@example.org",
             "commit", "-q", "--amend", "--no-edit", "--author", tresa)  # fmt: skip
    assert "edits an existing entry" in coop.run("check", "--since", base).out


def test_a_removed_entry_is_rejected_with_its_line_before_the_change(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-02").code == 0
    first = coop.last_written()
    assert coop.run("trade", "alice", "bob", "2", "--date", "2026-11-03").code == 0
    base = branch(coop)
    path = "journal/2026/11/alice.beancount"  # both entries in one file (the first layout)
    text = coop.read(first) + "\n" + coop.read(coop.last_written())
    coop.git("rm", "-q", first, coop.last_written())
    coop.write(path, text)
    commit_as(coop, TRESA, "the first layout: one file for both")
    base = coop.git("rev-parse", "HEAD").strip()
    coop.write(path, text[: text.index("\n\n") + 1])
    sha = commit_as(coop, ALICE, "drop the second")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert f"{path}:6: error: commit {sha[:8]} by Alice Martin <alice@example.org> removes " in (
        result.out
    )


def test_reformatting_an_entry_is_no_edit(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-02").code == 0
    base = branch(coop)
    path = coop.last_written()
    coop.write(path, "; alice's trades\n\n" + coop.read(path).replace("    ", "  "))
    commit_as(coop, ALICE, "comment")

    assert coop.run("check", "--since", base).code == 0


def test_a_change_in_a_closed_month_is_rejected(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-09-02").code == 0
    assert coop.run("close", "2026-09").code == 0
    base = branch(coop)
    coop.append(
        "journal/2026/09/alice.beancount", "\n" + trade_text("2026-09-20", "alice", "bob", "1.00")
    )
    sha = commit_as(coop, ALICE, "late slip")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert (
        f"journal/2026/09/alice.beancount:2: error: commit {sha[:8]} by Alice Martin "
        "<alice@example.org> changes the closed month 2026-09 (entry of 2026-09-20)"
    ) in result.out
    assert "the month 2026-09 is closed (journal/2026/09/close.beancount:" in result.out


def test_an_author_who_is_no_member_is_rejected(coop: Coop) -> None:
    base = branch(coop)
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    sha = commit_as(coop, ("Eve", "eve@example.org"))

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert result.out.startswith(
        f"journal/2026/11/alice.beancount:1: error: commit {sha[:8]} by Eve <eve@example.org> "
        "changes this file, but that e-mail belongs to no member"
    )


def test_other_files_are_free_and_treasurer_only_entries_are_named(coop: Coop) -> None:
    base = branch(coop)
    coop.write("docs/notes.md", "minutes of the meeting\n")
    commit_as(coop, ("Eve", "eve@example.org"))
    coop.append(
        "journal/2026/11/alice.beancount", '2026-11-30 custom "coopledger-close" "2026-11"\n'
    )
    sha = commit_as(coop, ALICE)

    result = coop.run("check", "--since", base)

    assert f"commit {sha[:8]} by Alice Martin <alice@example.org> adds a custom " in result.out
    assert "which only a treasurer may add" in result.out
    assert "eve" not in result.out


def test_uncommitted_changes_are_judged_as_the_configured_identity(coop: Coop) -> None:
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("config", "user.email", "alice@example.org")
    coop.git("config", "user.name", "Alice Martin")
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    assert coop.run("check", "--since", base).code == 0

    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-10", "bob", "alice", "5.00"))
    result = coop.run("check", "--since", "HEAD")

    assert result.code == 1
    assert "commit working tree by Alice Martin <alice@example.org> adds an entry" in result.out


def test_rev_judges_a_range_of_commits(coop: Coop) -> None:
    base = branch(coop)
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    good = commit_as(coop, ALICE)
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-10", "bob", "alice", "5.00"))
    bad = commit_as(coop, ALICE)

    assert coop.run("check", "--rev", f"{base}..{good}").code == 0
    assert coop.run("check", "--rev", good).code == 0
    result = coop.run("check", "--rev", bad)
    assert result.code == 1
    assert f"commit {bad[:8]}" in result.out


def test_a_merge_is_judged_by_what_it_changes_itself(coop: Coop) -> None:
    base = branch(coop)
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    commit_as(coop, ALICE)
    coop.git("switch", "-q", "main")
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-12", "bob", "alice", "2.00"))
    commit_as(coop, BOB)
    coop.git("switch", "-q", "pr")
    coop.git("-c", "user.name=Alice Martin", "-c", "user.email=alice@example.org",
             "merge", "-q", "--no-edit", "main")  # fmt: skip

    result = coop.run("check", "--since", base)

    assert result.code == 0, result.text  # bob's own payment came from main, through the merge


def test_require_signed_rejects_unsigned_commits(coop: Coop) -> None:
    base = branch(coop)
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    sha = commit_as(coop, ALICE)

    result = coop.run("check", "--since", base, "--require-signed")

    assert result.code == 1
    assert f"commit {sha[:8]} by Alice Martin <alice@example.org> has no signature" in result.out


def test_role_names_come_from_rules_yaml(coop: Coop) -> None:
    coop.write("rules.yaml", coop.read("rules.yaml") + "roles: {treasurer: tresorier}\n")
    coop.write("members.yaml", coop.read("members.yaml").replace("[treasurer]", "[tresorier]"))
    commit_as(coop, TRESA, "our words")
    base = branch(coop)
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-10", "bob", "alice", "9.00"))
    commit_as(coop, TRESA)
    assert coop.run("check", "--since", base).code == 0

    coop.append("members.yaml", "    roles: [treasurer]\n")  # the last member, fournil
    commit_as(coop, ALICE)
    result = coop.run("check", "--since", base)
    assert "changes a file only a tresorier may change" in result.out


def test_unknown_key_under_roles_is_reported(coop: Coop) -> None:
    coop.write("rules.yaml", coop.read("rules.yaml") + "roles: {tresurer: x}\n")

    result = coop.run("check")

    assert result.code == 1
    assert "unknown key 'tresurer' in roles; did you mean 'treasurer'?" in result.out


def test_gate_usage_errors(coop: Coop) -> None:
    for args, words in (
        (("--since", "nope"), "error: git knows no revision 'nope'"),
        (("--rev", "a...b"), "error: 'a...b' is not a range of commits"),
        (("--rev", "..b"), "error: '..b' is not a range of commits"),
        (("--since", "HEAD", "--rev", "HEAD"), "error: --since and --rev cannot be used together"),
    ):
        result = coop.run("check", *args)
        assert result.code == 1
        assert result.err.startswith(words), result.text


def test_a_base_without_members_is_refused(coop: Coop) -> None:
    first = coop.git("rev-list", "--max-parents=0", "HEAD").strip()
    coop.git("switch", "-qc", "old", first)
    coop.write("members.yaml", "members: [\n")
    commit_as(coop, TRESA, "break")

    result = coop.run("check", "--since", "HEAD")

    assert result.code == 1
    assert "members.yaml or rules.yaml cannot be read at HEAD" in result.err


# ---------------------------------------------------------------- CI files


def ci_command(coop: Coop) -> str:
    workflow = yaml.safe_load(coop.read(".github/workflows/coopledger.yml"))
    steps = workflow["jobs"]["check"]["steps"]
    return next(s["run"] for s in steps if s.get("name") == "coopledger check")


def run_ci(coop: Coop, command: str, base: str) -> int:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "BASE": base, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    done = subprocess.run(["bash", "-c", command], cwd=coop.root, env=env, capture_output=True)
    return done.returncode


def test_the_github_workflow_is_valid_yaml_and_its_command_passes_good_and_fails_bad(
    coop: Coop,
) -> None:
    result = coop.run("ci", "github", "--source", SOURCE)
    assert result.code == 0, result.text
    assert coop.log()[0] == "ci: check pull requests on github"
    workflow = yaml.safe_load(coop.read(".github/workflows/coopledger.yml"))
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    assert any("fetch-depth" in str(s) for s in workflow["jobs"]["check"]["steps"])
    hook = yaml.safe_load(coop.read(".pre-commit-config.yaml"))
    assert hook["repos"][0]["hooks"][0]["entry"] == "coopledger check --staged"
    command = ci_command(coop)
    assert "coopledger check --since" in command

    base = branch(coop, "good")
    coop.append("journal/2026/11/alice.beancount", trade_text("2026-11-10", "alice", "bob", "5.00"))
    commit_as(coop, ALICE)
    assert run_ci(coop, command, base) == 0
    coop.git("switch", "-q", "main")
    branch(coop, "bad")
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-10", "bob", "alice", "5.00"))
    commit_as(coop, ALICE)
    assert run_ci(coop, command, base) == 1
    assert run_ci(coop, command, "") == 0  # on main, outside a pull request: the full check


def test_the_gitlab_file_runs_the_same_command(coop: Coop) -> None:
    assert coop.run("ci", "gitlab", "--source", SOURCE).code == 0

    job = yaml.safe_load(coop.read(".gitlab-ci.yml"))["coopledger"]

    assert job["script"][1] == 'BASE="$CI_MERGE_REQUEST_DIFF_BASE_SHA"'
    assert job["script"][2] == ci_command_text()
    assert job["variables"]["COOPLEDGER"] == SOURCE
    assert job["variables"]["GIT_DEPTH"] == "0"


def ci_command_text() -> str:
    from coopledger.founding.ci_templates import CHECK_COMMAND

    return CHECK_COMMAND


def test_init_with_ci_writes_the_files_in_the_first_commits(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "coop"
    coop = Coop(root, capsys)
    result = coop.run("init", str(root), "--treasurer", "tresa", "--email", "t@example.org",
                      "--ci", "gitlab", "--ci-source", SOURCE)  # fmt: skip
    assert result.code == 0, result.text
    assert "wrote .gitlab-ci.yml" in result.out
    assert coop.status() == ""
    assert yaml.safe_load(coop.read(".gitlab-ci.yml"))["coopledger"]["image"] == "python:3.11"


def test_ci_errors(coop: Coop, tmp_path: Path) -> None:
    result = coop.run("ci", "jenkins")
    assert result.code == 1
    assert "'jenkins' is not a CI platform coopledger knows" in result.err

    assert coop.run("ci", "github", "--source", SOURCE).code == 0
    again = coop.run("ci", "github", "--source", SOURCE)
    assert again.code == 0 and "already up to date" in again.out

    coop.write(".pre-commit-config.yaml", "repos: []\n")
    commit_as(coop, TRESA)
    refused = coop.run("ci", "github", "--source", SOURCE)
    assert refused.code == 1
    assert ".pre-commit-config.yaml already exists, with other contents" in refused.err
    assert coop.run("ci", "github", "--force", "--source", SOURCE).code == 0
    assert "coopledger check" in coop.read(".pre-commit-config.yaml")

    other = Coop(tmp_path / "other", coop.capsys)
    bad_init = other.run("init", str(other.root), "--treasurer", "t", "--email", "t@example.org",
                         "--ci", "jenkins", "--ci-source", SOURCE)  # fmt: skip
    assert bad_init.code == 1
    assert not (tmp_path / "other").exists()


def test_the_commands_of_docs_pull_requests_md_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = (Path(__file__).parent.parent / "docs" / "pull-requests.md").read_text(encoding="utf-8")
    block = doc.split("```sh\n", 1)[1].split("```", 1)[0]
    here = tmp_path
    for line in block.splitlines():
        words = shlex.split(line)
        if words[0] == "cd":
            here = here / words[1]
            continue
        if words[0] == "git":
            subprocess.run(words, cwd=here, check=True)
            continue
        assert words[0] == "coopledger"
        args = ["init", str(here / words[2]), *words[3:]] if words[1] == "init" else words[1:]
        result = Coop(here, capsys).run(*args)
        assert result.code == 0, (line, result.text)
    assert (here / ".github/workflows/coopledger.yml").exists()
    assert (here / "journal/2026/09/close.beancount").exists()
