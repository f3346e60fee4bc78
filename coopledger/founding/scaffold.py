"""The files of a new cooperative, as `coopledger init` writes them."""

from __future__ import annotations

import datetime

from coopledger.model.journal import CURRENCY_FILE, MAIN_FILE, currency_file_text, main_file_text
from coopledger.model.members import MEMBERS_FILE, Member, members_header, render_member
from coopledger.model.plaintext import checked_text
from coopledger.model.rules import RULES_FILE, render_rules

# .*.tmp: what a write killed half-way leaves (store.write_atomically), never an entry
GITIGNORE = ".coopledger/\n*.picklecache\njournal/**/.*.tmp\n"
GITATTRIBUTES = (
    "# Entries are only ever appended: let a local `git merge` keep both sides.\n"
    "journal/**/*.beancount merge=union\n"
)


def cooperative_files(
    name: str,
    currency: str,
    currency_name: str,
    day: datetime.date,
    treasurer: Member | None,
    decimals: int = 2,
    language: str | None = None,
) -> dict[str, str]:
    """Every file, or CoopError when a name holds a control character."""
    checked_text(name, "name")
    checked_text(currency_name, "currency name")
    if treasurer is not None:
        checked_text(treasurer.name, "name")
    members = members_header(name)
    if treasurer is not None:
        members += render_member(treasurer, decimals)
    return {
        RULES_FILE: render_rules(name, currency, currency_name, decimals, language),
        MEMBERS_FILE: members,
        MAIN_FILE: main_file_text(name, currency),
        CURRENCY_FILE: currency_file_text(currency, currency_name, day),
        ".gitignore": GITIGNORE,
        ".gitattributes": GITATTRIBUTES,
    }
