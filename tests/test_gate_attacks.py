"""What the gate stops: one test per attack on `coopledger check --since BASE`.

Each attack is a branch of hand-made commits by alice, a member who is no
treasurer, run through the gate as the CI runs it: on a fresh `git clone` of
the cooperative. Each test asserts that the gate refuses the change (exit 1)
with a problem naming the commit, its author, the file and what to do, and
that nothing of the attacker's ran. docs/pull-requests.md ("What the gate
stops") lists the same attacks.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Coop, Result, bean_check

ALICE = ("Alice Martin", "alice@example.org")
TRESA = ("Trésorière", "tresa@example.org")
AUTHOR = "by Alice Martin <alice@example.org>"


def commit_as(coop: Coop, who: tuple[str, str] = ALICE, message: str = "change") -> str:
    coop.git("add", "-A")
    coop.git("-c", f"user.name={who[0]}", "-c", f"user.email={who[1]}", "commit", "-qm", message)
    return coop.git("rev-parse", "HEAD").strip()


def start_branch(coop: Coop) -> str:
    """alice's branch from main; returns its base."""
    base = coop.git("rev-parse", "HEAD").strip()
    coop.git("switch", "-qc", "pr")
    return base


def gate_on_a_fresh_clone(coop: Coop, base: str, tmp_path: Path) -> Result:
    """`check --since BASE` on a clone of the cooperative, the branch checked out."""
    clone = tmp_path / "ci"
    subprocess.run(
        ["git", "clone", "-q", "--no-local", "--branch", "pr", str(coop.root), str(clone)],
        check=True,
        capture_output=True,
    )
    return Coop(clone, coop.capsys).run("check", "--since", base)


def payment(day: str, payer: str, payee: str, amount: str) -> str:
    return (
        f'{day} * "taken"\n'
        f"  Assets:Members:{payer.capitalize()}  -{amount} SEL\n"
        f"  Assets:Members:{payee.capitalize()}   {amount} SEL\n"
    )


def assert_refused(result: Result, sha: str, path: str, *what: str) -> None:
    assert result.code == 1, result.text
    lines = [line for line in result.out.splitlines() if line.startswith(f"{path}:")]
    assert lines, result.out
    named = [line for line in lines if f"commit {sha[:8]} {AUTHOR}" in line]
    assert named, result.out
    for words in what:
        assert any(words in line for line in named), (words, result.out)


# ---------------------------------------------------------------- 1. include lines


@pytest.mark.parametrize(
    ("target", "included", "before"),
    [
        ("../../../docs/notes.beancount", "docs/notes.beancount", ""),
        ("notes.txt", "journal/2026/11/notes.txt", ""),
        ("../../../docs/notes.beancount", "docs/notes.beancount", "\r"),
    ],
    ids=["outside-journal", "txt-in-journal", "after-a-lone-carriage-return"],
)
def test_1_an_include_in_a_members_file_is_refused(
    coop: Coop, tmp_path: Path, target: str, included: str, before: str
) -> None:
    base = start_branch(coop)
    coop.write(included, payment("2026-11-10", "bob", "alice", "300.00"))
    coop.append("journal/2026/11/alice.beancount", f'{before}include "{target}"\n')
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(
        result,
        sha,
        "journal/2026/11/alice.beancount",
        "include",
        "only journal/main.beancount",
    )
    assert "Bob" not in result.out.replace("Bob Durand", "")  # the payment was never read


def test_1_an_include_in_a_closed_months_file_is_refused(coop: Coop, tmp_path: Path) -> None:
    assert coop.run("trade", "alice", "bob", "4", "--date", "2026-10-02").code == 0
    assert coop.run("close", "2026-10").code == 0
    closed = next(
        name
        for name in ("journal/2026/10/_month.beancount", "journal/2026/10/alice.beancount")
        if (coop.root / name).exists()
    )
    base = start_branch(coop)
    coop.write("docs/notes.beancount", payment("2026-11-10", "bob", "alice", "300.00"))
    coop.append(closed, 'include "../../../docs/notes.beancount"\n')
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, closed, "include")


def test_1_an_include_of_the_process_environment_prints_nothing(coop: Coop, tmp_path: Path) -> None:
    base = start_branch(coop)
    coop.append("journal/2026/11/alice.beancount", 'include "/proc/self/environ"\n')
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, "journal/2026/11/alice.beancount", "include")
    assert "PATH=" not in result.text
    assert os.environ["PATH"] not in result.text


# ---------------------------------------------------------------- 2. symlinks


def test_2_a_symlinked_journal_file_is_refused(coop: Coop, tmp_path: Path) -> None:
    base = start_branch(coop)
    coop.write("docs/readme.txt", payment("2026-11-10", "bob", "alice", "300.00"))
    link = coop.root / "journal/2026/11/bob.beancount"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to("../../../docs/readme.txt")
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, "journal/2026/11/bob.beancount", "symbolic link", "regular file")
    assert result.out.startswith(
        f"journal/2026/11/bob.beancount: error: commit {sha[:8]} {AUTHOR} adds a symbolic "
        "link; commit a regular file instead: the gate reads git's objects, and a link or a "
        "submodule would make beancount read something else than what the gate judged\n"
    )
    assert "the working tree was not loaded" in result.out


def test_1_the_include_and_plugin_lines_of_main_never_change_not_even_by_a_treasurer(
    coop: Coop, tmp_path: Path
) -> None:
    base = start_branch(coop)
    main = coop.read("journal/main.beancount")
    coop.write(
        "journal/main.beancount",
        main + 'include "../docs/*.beancount"\noption "insert_pythonpath" "TRUE"\n',
    )
    sha = commit_as(coop, TRESA)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert result.code == 1
    added = main.count("\n") + 1  # the lines added after main.beancount's own
    by = f"commit {sha[:8]} by Trésorière <tresa@example.org>"
    assert (
        f"journal/main.beancount:{added}: error: {by} changes the include or plugin lines of "
        "journal/main.beancount; leave them as they are"
    ) in result.out
    assert (
        f"journal/main.beancount:{added + 1}: error: {by} sets the option 'insert_pythonpath'"
    ) in result.out


def test_1_a_file_under_journal_that_is_no_journal_file_is_refused(
    coop: Coop, tmp_path: Path
) -> None:
    base = start_branch(coop)
    coop.write("journal/2026/11/notes.txt", payment("2026-11-10", "bob", "alice", "300.00"))
    coop.write("journal/2026/11/.hidden.beancount", payment("2026-11-10", "bob", "alice", "3"))
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    for path in ("journal/2026/11/notes.txt", "journal/2026/11/.hidden.beancount"):
        assert_refused(result, sha, path, "no visible .beancount file", "put other files")


# ---------------------------------------------------------------- 3. merges


def test_3_a_merge_with_an_old_ancestor_that_rolls_files_back_is_refused(
    coop: Coop, tmp_path: Path
) -> None:
    old = coop.git("rev-parse", "HEAD").strip()
    assert coop.run("trade", "bob", "fournil", "50", "--date", "2026-11-03").code == 0
    bob_file = coop.last_written()
    assert coop.run("member", "limit", "alice", "--floor", "-10", "--from", "2026-11-01").code == 0
    base = start_branch(coop)
    coop.append("journal/2026/11/alice.beancount", payment("2026-11-10", "alice", "bob", "5.00"))
    tip = commit_as(coop)
    # the merge takes the old ancestor's files: bob's payment gone, alice's floor back
    tree = coop.git("rev-parse", f"{tip}^{{tree}}").strip()
    coop.git("read-tree", tree)
    for path in ("members.yaml", bob_file):
        if coop.git("ls-tree", old, "--", path).strip():
            coop.git("checkout", old, "--", path)
        else:
            coop.git("rm", "-q", "--cached", "--", path)
            (coop.root / path).unlink()
    tree = coop.git("write-tree").strip()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": ALICE[0],
        "GIT_AUTHOR_EMAIL": ALICE[1],
        "GIT_COMMITTER_NAME": ALICE[0],
        "GIT_COMMITTER_EMAIL": ALICE[1],
    }
    merge = subprocess.run(
        ["git", "commit-tree", tree, "-p", tip, "-p", old, "-m", "Merge old work"],
        cwd=coop.root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    coop.git("reset", "-q", "--hard", merge)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, merge, "members.yaml", "only a treasurer")
    assert_refused(result, merge, bob_file, "removes the entry")


def test_3_merging_main_into_the_branch_is_still_no_change_of_its_own(
    coop: Coop, tmp_path: Path
) -> None:
    """The other side of attack 3: a merge git makes itself (both sides appended
    to the same file, kept by merge=union) owns nothing, and passes."""
    base = start_branch(coop)
    coop.append("journal/2026/11/alice.beancount", payment("2026-11-10", "alice", "bob", "5.00"))
    commit_as(coop)
    coop.git("switch", "-q", "main")
    assert coop.run("trade", "alice", "fournil", "3", "--date", "2026-11-12").code == 0
    coop.git("switch", "-q", "pr")
    coop.git("-c", f"user.name={ALICE[0]}", "-c", f"user.email={ALICE[1]}",
             "merge", "-q", "--no-edit", "main")  # fmt: skip

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert result.code == 0, result.text


# ---------------------------------------------------------------- 5. code on the python path

PAYLOAD = """\
import pathlib
pathlib.Path({marker!r}).write_text("ran")
__plugins__ = ()
"""


def test_5_insert_pythonpath_with_a_shipped_plugin_is_refused_and_nothing_runs(
    coop: Coop, tmp_path: Path
) -> None:
    marker = tmp_path / "payload-ran"
    base = start_branch(coop)
    coop.append("journal/2026/11/alice.beancount", 'option "insert_pythonpath" "TRUE"\n')
    coop.write("journal/2026/11/coopledger/__init__.py", PAYLOAD.format(marker=str(marker)))
    coop.write("journal/2026/11/coopledger/plugin.py", PAYLOAD.format(marker=str(marker)))
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, "journal/2026/11/alice.beancount", "option", "main.beancount")
    assert_refused(result, sha, "journal/2026/11/coopledger/plugin.py", "Python")
    assert "the working tree was not loaded" in result.out
    assert not marker.exists()


def test_5_a_package_at_the_root_that_shadows_coopledger_is_refused(
    coop: Coop, tmp_path: Path
) -> None:
    marker = tmp_path / "payload-ran"
    base = start_branch(coop)
    coop.write("coopledger/__init__.py", PAYLOAD.format(marker=str(marker)))
    coop.write("journal/.main.beancount.picklecache", "not a pickle\n")
    coop.git("add", "--force", "journal/.main.beancount.picklecache")  # .gitignore names it
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, "coopledger/__init__.py", "Python")
    assert_refused(result, sha, "journal/.main.beancount.picklecache", "cache")
    assert not marker.exists()


# ---------------------------------------------------------------- 7. edits the gate did not see


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("40.00 SEL", "40.00 SEL @ 2 EUR"),
        ("40.00 SEL", "40.00 SEL {1 EUR}"),
        ("  Assets:Members:Alice", "  ! Assets:Members:Alice"),
    ],
    ids=["price", "cost", "posting-flag"],
)
@pytest.mark.parametrize("closed", [False, True], ids=["open-month", "closed-month"])
def test_7_a_price_cost_or_flag_added_to_an_existing_entry_is_an_edit(
    coop: Coop, tmp_path: Path, old: str, new: str, closed: bool
) -> None:
    day = "2026-10-02" if closed else "2026-11-02"
    assert coop.run("trade", "alice", "bob", "40", "--date", day, "--memo", "x").code == 0
    path = coop.last_written()
    if closed:
        assert coop.run("close", "2026-10", "--keep-files").code == 0
    base = start_branch(coop)
    text = coop.read(path)
    assert old in text
    coop.write(path, text.replace(old, new))
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, path, "edits an existing entry")


# ---------------------------------------------------------------- 12. bytes


def test_12_a_latin1_byte_is_a_problem_with_file_and_line_not_a_crash(
    coop: Coop, tmp_path: Path
) -> None:
    base = start_branch(coop)
    path = coop.root / "journal/2026/11/alice.beancount"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = payment("2026-11-10", "alice", "bob", "5.00").encode()
    path.write_bytes(b"; caf\xe9\n" + body)
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, "journal/2026/11/alice.beancount:1", "UTF-8")
    full = coop.run("check", "--full")
    assert full.code == 1
    assert "journal/2026/11/alice.beancount:1: error:" in full.out
    assert "UTF-8" in full.out


def test_12_a_file_name_that_is_not_utf8_is_refused(coop: Coop, tmp_path: Path) -> None:
    base = start_branch(coop)
    folder = os.fsencode(coop.root / "journal/2026/11")
    os.makedirs(folder, exist_ok=True)
    with open(folder + b"/caf\xe9.beancount", "wb") as handle:
        handle.write(payment("2026-11-10", "alice", "bob", "5.00").encode())
    sha = commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert_refused(result, sha, "journal/2026/11/caf\ufffd.beancount", "name is not UTF-8")


# ---------------------------------------------------------------- the change as a whole


def test_what_the_change_does_as_a_whole_is_made_by_one_of_its_commits(coop: Coop) -> None:
    """A history the gate did not foresee: the commits (here, none of them) do not
    add an entry that the change as a whole adds. It is refused, named after the
    last commit."""
    from coopledger.git.gitrepo import CommitRecord, FileVersion
    from coopledger.model.members import parse_members
    from coopledger.model.rules import parse_rules
    from coopledger.review.gate import Policy, check_commits

    rules, _ = parse_rules(coop.read("rules.yaml"))
    roster, _ = parse_members(coop.read("members.yaml"), rules)
    assert roster is not None
    commit = CommitRecord("d" * 40, *ALICE, files=())
    path = "journal/2026/11/bob.beancount"
    whole = (
        FileVersion(path, None, payment("2026-11-10", "bob", "alice", "9.00"), None, "100644"),
    )

    problems = check_commits(Policy(roster, rules), [commit], whole)

    assert [(p.code, p.file, p.line, p.params["what"]) for p in problems] == [
        ("gate-unexplained", path, 1, "added")
    ]
    members = FileVersion("members.yaml", "a\n", "b\n", "100644", "100644")
    assert [p.code for p in check_commits(Policy(roster, rules), [commit], (members,))] == [
        "gate-unexplained-file"
    ]


# ------------------------------------------------ the same rules in check and bean-check


def _include(coop: Coop) -> tuple[str, str]:
    coop.write("docs/notes.beancount", payment("2026-11-10", "bob", "alice", "300.00"))
    coop.append("journal/2026/11/alice.beancount", 'include "../../../docs/notes.beancount"\n')
    return (
        "journal/2026/11/alice.beancount:1: ",
        "docs/notes.beancount: ",
    )


def _symlink(coop: Coop) -> tuple[str, str]:
    coop.write("docs/readme.txt", payment("2026-11-10", "bob", "alice", "300.00"))
    (coop.root / "journal/2026/11").mkdir(parents=True, exist_ok=True)
    (coop.root / "journal/2026/11/bob.beancount").symlink_to("../../../docs/readme.txt")
    return ("journal/2026/11/bob.beancount: ", "a symbolic link")


def _pythonpath(coop: Coop) -> tuple[str, str]:
    coop.append("journal/2026/11/alice.beancount", 'option "insert_pythonpath" "TRUE"\n')
    return ("journal/2026/11/alice.beancount:1: ", "insert_pythonpath")


def _latin1(coop: Coop) -> tuple[str, str]:
    path = coop.root / "journal/2026/11/alice.beancount"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"; caf\xe9\n")
    return ("journal/2026/11/alice.beancount:1: ", "not UTF-8")


@pytest.mark.parametrize("attack", [_include, _symlink, _pythonpath, _latin1])
def test_check_and_bean_check_judge_the_files_the_loader_read(coop: Coop, attack) -> None:  # type: ignore[no-untyped-def]
    first, second = attack(coop)

    full = coop.run("check", "--full")
    checked = bean_check(coop.root)

    assert full.code == 1
    assert first in full.out and second in full.out, full.out
    assert "PATH=" not in full.out
    assert checked.returncode != 0
    said = checked.stdout + checked.stderr
    assert first.rstrip(": ") in said and second.strip(": ") in said, said


# ---------------------------------------------------------------- an amount left out


def test_an_entry_with_an_amount_left_out_is_judged_not_a_crash(coop: Coop, tmp_path: Path) -> None:
    """beancount fills in an elided amount; the gate judges such an entry by the
    postings it has (alice pays, so alice may add it) instead of crashing."""
    base = start_branch(coop)
    coop.write(
        "journal/2026/11/alice.beancount",
        '2026-11-12 * "pain"\n  Assets:Members:Alice  -4.00 SEL\n  Assets:Members:Bob\n',
    )
    commit_as(coop)

    result = gate_on_a_fresh_clone(coop, base, tmp_path)

    assert result.code == 0, result.text
    assert "Traceback" not in result.text
