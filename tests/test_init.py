"""`coopledger init`: a new cooperative in a new or empty git repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Coop

TREASURER = ("--treasurer", "tresa", "--treasurer-name", "Trésorière", "--email", "t@example.org")


@pytest.fixture
def new(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Coop:
    """A folder that is not a cooperative yet."""
    return Coop(tmp_path / "sel", capsys)


def git_in(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, check=True, capture_output=True, text=True
    ).stdout


def test_init_creates_the_files_and_one_commit_without_any_git_identity(new: Coop) -> None:
    result = new.run(
        "init", str(new.root), "--name", "SEL du Canal", "--currency", "SEL", *TREASURER
    )

    assert result.code == 0, result.text
    assert "Created the cooperative SEL du Canal" in result.out
    for name in ("members.yaml", "rules.yaml", "journal/main.beancount"):
        assert (new.root / name).is_file(), name
    assert 'plugin "coopledger.plugin"' in new.read("journal/main.beancount")
    assert "currency: SEL" in new.read("rules.yaml")
    assert "id: tresa" in new.read("members.yaml")
    assert "roles: [treasurer]" in new.read("members.yaml")
    assert new.log() == ["init: SEL du Canal"]
    assert new.git("log", "--format=%an <%ae>").strip() == "Trésorière <t@example.org>"
    assert new.status() == ""
    assert new.run("check").code == 0


def test_init_files_get_the_usual_permissions_not_those_of_a_temporary_file(new: Coop) -> None:
    umask = os.umask(0o022)
    os.umask(umask)

    assert new.run("init", str(new.root), *TREASURER).code == 0

    for name in ("rules.yaml", "members.yaml", "journal/main.beancount"):
        assert (new.root / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_init_refuses_an_existing_cooperative_and_changes_nothing(new: Coop) -> None:
    assert new.run("init", str(new.root), *TREASURER).code == 0
    rules = new.read("rules.yaml")

    result = new.run("init", str(new.root), "--currency", "HEURE", *TREASURER)

    assert result.code == 1
    assert "already holds a cooperative" in result.err
    assert new.read("rules.yaml") == rules
    assert len(new.log()) == 1


def test_init_adopts_an_empty_git_repository(new: Coop) -> None:
    new.root.mkdir()
    git_in(new.root, "init", "-q")

    result = new.run("init", str(new.root), *TREASURER)

    assert result.code == 0, result.text
    assert len(new.log()) == 1
    assert new.status() == ""


def test_init_refuses_a_git_repository_that_already_has_history(new: Coop) -> None:
    new.root.mkdir()
    git_in(new.root, "init", "-q")
    (new.root / "notes.txt").write_text("hello\n")
    git_in(new.root, "add", "notes.txt")
    git_in(new.root, "-c", "user.name=X", "-c", "user.email=x@example.org", "commit", "-qm", "x")

    result = new.run("init", str(new.root), *TREASURER)

    assert result.code == 1
    assert "already has commits" in result.err
    assert not (new.root / "rules.yaml").exists()
    assert len(new.log()) == 1


def test_init_without_treasurer_nor_git_identity_is_refused(new: Coop) -> None:
    result = new.run("init", str(new.root))

    assert result.code == 1
    assert "no one to sign the first commit" in result.err
    assert "--treasurer ID --email ADDR" in result.err
    assert not new.root.exists()


def test_init_without_treasurer_uses_the_repository_git_identity(new: Coop) -> None:
    new.root.mkdir()
    git_in(new.root, "init", "-q")
    git_in(new.root, "config", "user.email", "someone@example.org")

    result = new.run("init", str(new.root), "--name", "Temps partagé")

    assert result.code == 0, result.text
    assert new.git("log", "--format=%ae").strip() == "someone@example.org"


@pytest.mark.parametrize("currency", ["sel", "S", "1SEL", "SEL DU CANAL", ""])
def test_init_refuses_a_bad_currency_before_writing(new: Coop, currency: str) -> None:
    result = new.run("init", str(new.root), "--currency", currency, *TREASURER)

    assert result.code == 1
    assert f"'{currency}' cannot be a currency code" in result.err
    assert not new.root.exists()


def test_init_refuses_a_bad_treasurer_id(new: Coop) -> None:
    result = new.run("init", str(new.root), "--treasurer", "Tresa", "--email", "t@example.org")

    assert result.code == 1
    assert "'Tresa' is not a valid member id" in result.err
    assert not new.root.exists()


def test_init_refuses_a_treasurer_without_email(new: Coop) -> None:
    result = new.run("init", str(new.root), "--treasurer", "tresa")

    assert result.code == 1
    assert "'tresa' has no e-mail address" in result.err
    assert not new.root.exists()


def test_init_refuses_a_bad_treasurer_email(new: Coop) -> None:
    result = new.run("init", str(new.root), "--treasurer", "tresa", "--email", "tresa")

    assert result.code == 1
    assert "'tresa' is not an e-mail address" in result.err
    assert not new.root.exists()


def test_init_refuses_an_unknown_treasurer_kind(new: Coop) -> None:
    result = new.run("init", str(new.root), *TREASURER, "--kind", "robot")

    assert result.code == 1
    assert "'robot' is not a member kind" in result.err
    assert not new.root.exists()


def test_init_with_a_custom_currency_and_back_dated_treasurer(new: Coop) -> None:
    result = new.run(
        "init",
        str(new.root),
        "--currency",
        "HEURE",
        "--currency-name",
        "heure",
        *TREASURER,
        "--joined",
        "2019-03-01",
    )

    assert result.code == 0, result.text
    assert "currency: HEURE" in new.read("rules.yaml")
    assert "joined: 2019-03-01" in new.read("members.yaml")
    assert new.run("check").code == 0
