"""Every refusal of `coopledger trade`: one line saying why, exit 1, no file change, no commit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import Coop, no_identity


def snapshot(coop: Coop) -> tuple[list[str], str, dict[str, str]]:
    """Commits, git status and every file of the cooperative, to prove nothing moved."""
    files = {
        str(p.relative_to(coop.root)): p.read_text(encoding="utf-8")
        for p in sorted(coop.root.rglob("*"))
        if p.is_file()
        and ".git" not in p.relative_to(coop.root).parts
        and ".coopledger" not in p.relative_to(coop.root).parts
    }
    return coop.log(), coop.status(), files


def files_in(folder: Path) -> dict[Path, bytes]:
    """Every file under `folder`, except coopledger's own scratch folder."""
    return {
        p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".coopledger" not in p.parts
    }


def refused(coop: Coop, *args: str, status: int = 1) -> str:
    """Run a trade that must be refused (exit `status`: 1 for the input, 3 for the
    environment); return its error output."""
    before = snapshot(coop)
    result = coop.run("trade", *args)
    assert result.code == status, result.text
    assert result.out == ""
    assert result.err.startswith("error: ")
    assert snapshot(coop) == before
    return result.err


def test_unknown_payer_with_a_suggestion(coop: Coop) -> None:
    err = refused(coop, "alcie", "bob", "10", "--date", "2025-01-01")

    assert "'alcie' is not a member (did you mean 'alice'?)" in err


def test_unknown_payee_without_a_close_id(coop: Coop) -> None:
    err = refused(coop, "alice", "zorro", "10", "--date", "2025-01-01")

    assert "'zorro' is not a member" in err
    assert "did you mean" not in err


def test_suspended_member(coop: Coop) -> None:
    assert coop.run("member", "suspend", "bob", "--date", "2025-01-01").code == 0

    err = refused(coop, "alice", "bob", "10", "--date", "2025-02-01")

    assert "'bob' is suspended on 2025-02-01" in err


def test_member_who_left(coop: Coop) -> None:
    assert coop.run("member", "leave", "bob", "--date", "2025-01-01").code == 0

    err = refused(coop, "bob", "alice", "10", "--date", "2025-02-01")

    assert "'bob' is no longer a member on 2025-02-01" in err


def test_member_not_yet_joined(coop: Coop) -> None:
    err = refused(coop, "alice", "bob", "10", "--date", "2023-12-31")

    assert "'alice' is not yet a member on 2023-12-31" in err


def test_payer_is_payee(coop: Coop) -> None:
    err = refused(coop, "alice", "alice", "10", "--date", "2025-01-01")

    assert "'alice' cannot pay itself" in err


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "the amount must be more than zero, not 0"),
        ("0.00", "the amount must be more than zero, not 0.00"),
        ("-5", "the amount must be more than zero, not -5"),
        ("dix", "'dix' is not an amount"),
        ("1e3", "'1e3' is not an amount"),
        ("NaN", "'NaN' is not an amount"),
        ("", "'' is not an amount"),
        ("10.001", "10.001 has more than 2 decimal places"),
        ("0,005", "0,005 has more than 2 decimal places"),
    ],
)
def test_bad_amounts(coop: Coop, amount: str, message: str) -> None:
    err = refused(coop, "alice", "bob", "--date", "2025-01-01", "--", amount)

    assert message in err


def test_floor_break(coop: Coop) -> None:
    err = refused(coop, "alice", "bob", "500.01", "--date", "2025-01-01")

    assert "alice's balance would be -500.01 SEL at the end of 2025-01-01" in err
    assert "below its floor of -500.00 SEL" in err


def test_ceiling_break(coop: Coop) -> None:
    err = refused(coop, "fournil", "alice", "1000.01", "--date", "2025-01-01")

    assert "alice's balance would be 1000.01 SEL at the end of 2025-01-01" in err
    assert "above its ceiling of 1000.00 SEL" in err


def test_a_member_own_floor_wins_over_its_kind(coop: Coop) -> None:
    assert coop.run("trade", "fournil", "alice", "900", "--date", "2025-01-01").code == 0
    assert coop.run("trade", "fournil", "bob", "900", "--date", "2025-01-01").code == 0
    assert coop.run("trade", "fournil", "tresa", "200", "--date", "2025-01-01").code == 0

    err = refused(coop, "fournil", "tresa", "0.01", "--date", "2025-01-02")

    assert "below its floor of -2000.00 SEL" in err


def test_a_back_dated_trade_that_breaks_a_later_date(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "400", "--date", "2025-06-01").code == 0
    later = coop.last_written()

    err = refused(coop, "alice", "tresa", "200", "--date", "2025-01-01")

    assert "alice's balance would be -600.00 SEL at the end of 2025-06-01" in err
    assert f"{later}:1" in err


def test_a_back_dated_trade_that_breaks_a_later_ceiling(coop: Coop) -> None:
    assert coop.run("trade", "fournil", "bob", "900", "--date", "2025-06-01").code == 0

    err = refused(coop, "alice", "bob", "200", "--date", "2025-01-01")

    assert "bob's balance would be 1100.00 SEL at the end of 2025-06-01" in err


def test_a_back_dated_trade_that_keeps_the_future_within_limits_is_accepted(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "400", "--date", "2025-06-01").code == 0

    result = coop.run("trade", "alice", "tresa", "100", "--date", "2025-01-01")

    assert result.code == 0, result.text
    assert coop.run("check").code == 0


def test_unknown_category(coop: Coop) -> None:
    coop.write(
        "rules.yaml",
        coop.read("rules.yaml").replace("categories: []", "categories: [alimentation, services]"),
    )
    coop.commit_all("categories")

    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-01", "--category", "bijoux")

    assert "'bijoux' is not a category of this cooperative" in err
    assert "alimentation, services" in err


def test_bad_date(coop: Coop) -> None:
    err = refused(coop, "alice", "bob", "5", "--date", "22/11/2025")

    assert "'22/11/2025' is not a date" in err


def test_dirty_journal_is_refused(coop: Coop) -> None:
    coop.write("journal/2025/01/bob.beancount", '2025-01-01 * "half written"\n')

    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-01", status=3)

    assert "uncommitted changes in journal/2025/01/bob.beancount (1 file(s))" in err


def test_dirty_members_file_is_refused(coop: Coop) -> None:
    coop.append("members.yaml", "# a note\n")

    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-01", status=3)

    assert "uncommitted changes in members.yaml" in err


def test_changes_outside_the_cooperative_files_do_not_matter(coop: Coop) -> None:
    coop.write("notes.txt", "minutes of the meeting\n")

    result = coop.run("trade", "alice", "bob", "5", "--date", "2025-01-01")

    assert result.code == 0, result.text
    assert coop.status() == "?? notes.txt\n"


def test_detached_head_is_refused(coop: Coop) -> None:
    coop.git("checkout", "-q", "--detach")

    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-01", status=3)

    assert "git is on a detached HEAD" in err


def test_no_author_available(coop: Coop) -> None:
    no_identity(coop)  # and no --as: the treasurer does not sign by default

    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-01")

    assert "git has no identity here, so no member signs the commit" in err
    assert "or --as MEMBER" in err


def test_author_without_email(coop: Coop) -> None:
    assert coop.run("member", "add", "carol", "--name", "Carol", "--joined", "2024-01-01").code == 0

    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-01", "--as", "carol")

    assert "'carol' has no e-mail address to commit with" in err


def test_as_unknown_member(coop: Coop) -> None:
    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-01", "--as", "alce")

    assert "'alce' is not a member (did you mean 'alice'?)" in err


def test_git_identity_of_a_member_signs_the_commit(coop: Coop) -> None:
    coop.git("config", "user.email", "Bob@Example.org")

    result = coop.run("trade", "alice", "bob", "5", "--date", "2025-01-01")

    assert result.code == 0, result.text
    assert coop.git("log", "-1", "--format=%an <%ae>").strip() == "Bob Durand <bob@example.org>"


def test_not_a_cooperative(coop: Coop, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    coop.root, root = elsewhere, coop.root

    result = coop.run("trade", "alice", "bob", "5")

    assert result.code == 3  # the environment
    assert "is not a coopledger cooperative" in result.err
    assert list(elsewhere.iterdir()) == []
    coop.root = root


def test_not_a_git_repository(coop: Coop, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(coop.root, copy, ignore=shutil.ignore_patterns(".git"))
    before = files_in(copy)
    coop.root = copy

    result = coop.run("trade", "alice", "bob", "5", "--date", "2025-01-01")

    assert result.code == 3  # the environment
    assert "is not the top of a git repository" in result.err
    assert files_in(copy) == before
    assert not (copy / "coopledger.lock").exists()


def test_a_journal_with_problems_refuses_new_trades(coop: Coop) -> None:
    coop.write("journal/2025/01/bob.beancount", '2025-01-01 * "oops\n')
    coop.commit_all("broken by hand")

    err = refused(coop, "alice", "bob", "5", "--date", "2025-01-02")

    assert "the cooperative's files have problems, so nothing is written" in err
    assert "journal/2025/01/bob.beancount:1" in err


# ---------------------------------------------------------------- soft limits


def test_soft_limits_warn_but_record(coop: Coop) -> None:
    coop.write(
        "rules.yaml", coop.read("rules.yaml").replace("enforcement: hard", "enforcement: soft")
    )
    coop.commit_all("soft limits")

    result = coop.run("trade", "alice", "bob", "600", "--date", "2025-01-01")

    assert result.code == 0, result.text
    assert "warning: alice's balance would be -600.00 SEL" in result.err
    assert "below its floor of -500.00 SEL" in result.err
    assert coop.log()[0] == "trade: alice → bob 600.00 SEL"
    assert coop.status() == ""
    check = coop.run("check")
    assert check.code == 0, check.text
    assert "warning:" in check.out and "1 warning" in check.out
