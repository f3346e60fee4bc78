"""The conventions of a well-kept command line."""

from __future__ import annotations

import pytest

from coopledger import __version__
from coopledger.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"coopledger {__version__}\n"


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([flag]) == 0
    assert "Usage: coopledger" in capsys.readouterr().out
    assert main(["trade", flag]) == 0
    assert "Record that PAYER pays PAYEE an AMOUNT" in capsys.readouterr().out
