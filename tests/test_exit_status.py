"""What `coopledger` exits with, as a script or CI reads it.

0  ok
1  problems found in the books, or a write refused (nothing written)
2  the command line is wrong
3  the environment: not a cooperative, git, a lock, the disk
70 a bug in coopledger (`--traceback` shows Python's traceback)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coopledger.cli import main
from tests.conftest import Coop


def test_ok(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "5").code == 0


def test_a_refused_write_is_1(coop: Coop) -> None:
    result = coop.run("trade", "alice", "bob", "900")

    assert result.code == 1
    assert "error:" in result.err


def test_a_wrong_command_line_is_2(coop: Coop, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dir", str(coop.root), "trade", "alice"]) == 2
    assert "Missing argument" in capsys.readouterr().err
    assert main(["--dir", str(coop.root), "trade", "alice", "bob", "5", "--no-such-option"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_not_a_cooperative_is_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--dir", str(tmp_path), "balances"])

    assert code == 3
    assert "error:" in capsys.readouterr().err


def test_a_dirty_tree_is_3(coop: Coop) -> None:
    coop.append("members.yaml", "\n# a note typed by hand\n")

    result = coop.run("trade", "alice", "bob", "5")

    assert result.code == 3, result.text


def test_a_bug_is_70_with_a_short_report(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import coopledger.storage.store

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something we did not foresee")

    monkeypatch.setattr(coopledger.storage.store, "load", broken)

    code = main(["--dir", str(coop.root), "check", "--full"])

    err = capsys.readouterr().err
    assert code == 70
    assert "internal error: RuntimeError: something we did not foresee" in err
    assert "--traceback" in err
    assert "Traceback" not in err


def test_traceback_shows_the_whole_failure(coop: Coop, monkeypatch: pytest.MonkeyPatch) -> None:
    import coopledger.storage.store

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something we did not foresee")

    monkeypatch.setattr(coopledger.storage.store, "load", broken)

    with pytest.raises(RuntimeError, match="something we did not foresee"):
        main(["--traceback", "--dir", str(coop.root), "check", "--full"])
