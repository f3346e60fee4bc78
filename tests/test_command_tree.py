"""A command builds only its own part of the command tree, and says the same.

typer reads every option of every command function to build the whole click
tree; a command line that names a command builds the root and that command
alone (`helptexts.in_language`). Its help, its usage errors and what it does
are those of the whole tree.
"""

from __future__ import annotations

import pytest

from coopledger.cli import app
from coopledger.cli.common import command_word
from coopledger.cli.helptexts import _translated_tree, in_language

NAMES = sorted(in_language(app).commands)  # type: ignore[attr-defined]


def said(command: object, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        command.main(args=argv, prog_name="coopledger", standalone_mode=False)  # type: ignore[attr-defined]
    except Exception as error:  # a usage error: its words
        return f"{type(error).__name__}: {error}"
    return capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_a_command_built_alone_says_what_the_whole_tree_says(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = in_language(app, name)
    built = [name] if name not in ("help", "completion") else NAMES  # these read the tree
    assert sorted(alone.commands) == built  # type: ignore[attr-defined]
    whole = _translated_tree(app)
    for argv in ([name, "--help"], [name, "--no-such-option"]):
        assert said(alone, argv, capsys) == said(whole, argv, capsys)


def test_the_root_help_and_an_unknown_command_get_the_whole_tree() -> None:
    assert len(in_language(app, None).commands) == len(NAMES)  # type: ignore[attr-defined]
    assert len(in_language(app, "trdae").commands) == len(NAMES)  # type: ignore[attr-defined]
    assert len(in_language(app, "help").commands) == len(NAMES)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["trade", "a", "b", "1"], "trade"),
        (["--dir", "x", "--lang", "fr", "check"], "check"),
        (["--dir=x", "--traceback", "balances", "--json"], "balances"),
        (["--help"], None),
        (["--dir", "x"], None),
        ([], None),
    ],
)
def test_the_command_word_follows_the_global_options(argv: list[str], word: str | None) -> None:
    assert command_word(argv) == word
