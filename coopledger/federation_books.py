"""The groups of a clearing among groups, read the fastest way each book allows.

`federation clear` needs, of each group, its rules, its members (for the
treasurer's check), its partners and its position against each: the balances
of the partners' accounts. `Ledger.view` reads them from the validated-state
snapshot while it holds (docs/scaling.md), else loads the book once and saves
one; nothing of a book is kept once its group is read, so that a clearing
among many groups holds one book in memory at a time, not all of them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from coopledger.federation import Group, group_from, partners_text, require_treasurer_in
from coopledger.gitrepo import Identity
from coopledger.ledger import Ledger
from coopledger.members import Roster
from coopledger.partners import parse_partners
from coopledger.problems import CoopError
from coopledger.writes import UNTRUSTED_CODES


@dataclass(frozen=True)
class GroupBooks:
    """A group of a clearing and its members, as read from its root."""

    root: Path
    group: Group
    roster: Roster

    def require_treasurer(self, author: Identity) -> None:
        require_treasurer_in(self.group.rules, self.roster, author, "federation clear")


def read_group(root: Path) -> GroupBooks:
    """The group at `root`, or CoopError when its books cannot be read from
    (what `writes.usable` refuses) or partners.yaml has problems."""
    view = Ledger.open(root).view()
    rules, roster = view.rules, view.roster
    blocking = [p for p in view.problems if p.code in UNTRUSTED_CODES or p.code.startswith("yaml")]
    if rules is None or roster is None or blocking:
        raise CoopError("ledger-has-problems", problems=tuple(blocking or view.errors))
    partners, problems = parse_partners(partners_text(root), rules)
    if problems:
        raise CoopError("ledger-has-problems", problems=tuple(problems))
    balances = view.coop_balances(datetime.date.max)
    return GroupBooks(root, group_from(rules, partners, balances), roster)
