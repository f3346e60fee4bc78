"""The pages of docs/, shipped in the package, as `coopledger help TOPIC` shows them.

A wheel holds them in coopledger/docs (setup.py copies them at build); an
editable install reads the repository's docs/ folder. The guides written in
another language live in a folder named after it (docs/fr/benevoles.md) and are
topics like the others, by their file's name:

    >>> "rules" in topics() and "benevoles" in topics()
    True
"""

from __future__ import annotations

import difflib
from pathlib import Path

from coopledger.model.problems import CoopError

_PACKAGE = Path(__file__).resolve().parent.parent
_PACKAGED = _PACKAGE / "docs"
_SOURCE = _PACKAGE.parent / "docs"
ALIASES = {"journal": "journal-format", "format": "journal-format", "gate": "pull-requests"}


def _folder() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


def _pages() -> dict[str, Path]:
    """Each topic's page, by name: docs/*.md, then the guides of docs/LANGUAGE/*.md."""
    folder = _folder()
    pages = sorted(folder.glob("*.md")) + sorted(folder.glob("[a-z][a-z]/*.md"))
    found: dict[str, Path] = {}
    for page in pages:
        found.setdefault(page.stem, page)  # an English page keeps its name
    return found


def topics() -> dict[str, str]:
    """Each topic's name and its title (the page's first heading), by name."""
    found = {}
    for name, page in _pages().items():
        first = page.read_text(encoding="utf-8").split("\n", 1)[0]
        found[name] = first.lstrip("# ").strip()
    return found


def topic_name(asked: str) -> str:
    """The topic `asked` names: its name, an alias, or the unique start of a name."""
    names = topics()
    wanted = ALIASES.get(asked.lower(), asked.lower())
    if wanted in names:
        return wanted
    starting = [name for name in names if name.startswith(wanted)]
    if len(starting) == 1:
        return starting[0]
    close = difflib.get_close_matches(wanted, list(names), n=1)
    raise CoopError(
        "unknown-help-topic",
        topic=asked,
        topics=", ".join(names),
        suggestion=close[0] if close else "",
    )


def topic_text(asked: str) -> str:
    """The text of the page `asked` names (`topic_name`)."""
    return _pages()[topic_name(asked)].read_text(encoding="utf-8")
