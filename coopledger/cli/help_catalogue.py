"""A Babel extraction method (babel.cfg) for the help of every command and option.

The help texts are docstrings and `help=` arguments, not calls of `_()`: they are
read from the command tree typer builds (`helptexts.help_texts`), so the
catalogue holds exactly what `--help` shows. No module imports this one (it
imports every command).
"""

from __future__ import annotations

from collections.abc import Iterable

from coopledger.cli import app
from coopledger.cli.helptexts import command_tree, help_texts


def extract_help(
    fileobj: object, keywords: object, comment_tags: object, options: object
) -> Iterable[tuple[int, str, str, list[str]]]:
    """Every help text of the command tree, in the order of `coopledger --help`."""
    for text in help_texts(command_tree(app)):
        yield 1, "", text, []
