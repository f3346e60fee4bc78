"""The coopledger beancount plugin: the same checks inside bean-check and fava.

`journal/main.beancount` declares `plugin "coopledger.plugin"`. The plugin
reads members.yaml and rules.yaml beside the journal folder, opens one account
per member (on the day it joined), and reports every problem of
`coopledger.checks` as a beancount error, so a hand-written entry that breaks a
limit is refused by `bean-check` and shown in fava just as `coopledger check`
shows it.

When coopledger itself loads the journal it hands the plugin the members and
rules it has already read (`preloaded`), and runs the checks itself.
"""

from __future__ import annotations

import contextvars
import datetime
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from beancount.core import data

from coopledger.accounts import payable_account, receivable_account
from coopledger.checks import check_ledger
from coopledger.members import MEMBERS_FILE, Roster, parse_members
from coopledger.messages import describe
from coopledger.problems import Problem
from coopledger.rules import RULES_FILE, Rules, parse_rules

__plugins__ = ("coopledger",)


class CoopledgerError(NamedTuple):
    source: dict[str, Any]
    message: str
    entry: data.Directive | None


_preloaded: contextvars.ContextVar[tuple[Rules | None, Roster | None] | None] = (
    contextvars.ContextVar("coopledger_preloaded", default=None)
)


@contextmanager
def preloaded(rules: Rules | None, roster: Roster | None) -> Iterator[None]:
    token = _preloaded.set((rules, roster))
    try:
        yield
    finally:
        _preloaded.reset(token)


def root_of(options_map: dict[str, Any]) -> str:
    """The cooperative's root: the folder above journal/main.beancount."""
    return os.path.dirname(os.path.dirname(os.path.abspath(options_map["filename"])))


def member_opens(roster: Roster, rules: Rules, root: str) -> list[data.Open]:
    filename = os.path.join(root, MEMBERS_FILE)
    return [
        data.Open(
            data.new_metadata(filename, member.line),
            member.joined,
            account,
            [rules.currency],
            None,
        )
        for member in roster
        for account in (member.account, receivable_account(member.id), payable_account(member.id))
    ]


def coop_opens(roster: Roster, rules: Rules, root: str) -> list[data.Open]:
    """Open the cooperative's own accounts (rules.yaml `accounts:`) with the first member."""
    filename = os.path.join(root, RULES_FILE)
    day = min((m.joined for m in roster), default=datetime.date(1970, 1, 1))
    return [
        data.Open(data.new_metadata(filename, a.line), day, a.account, [rules.currency], None)
        for a in rules.accounts.values()
    ]


def _as_error(problem: Problem, root: str) -> CoopledgerError:
    filename = os.path.join(root, problem.file) if problem.file else "<coopledger>"
    return CoopledgerError(data.new_metadata(filename, problem.line or 0), describe(problem), None)


def _read(root: str) -> tuple[Rules | None, Roster | None, list[Problem]]:
    try:
        with open(os.path.join(root, RULES_FILE), encoding="utf-8") as handle:
            rules, problems = parse_rules(handle.read())
        with open(os.path.join(root, MEMBERS_FILE), encoding="utf-8") as handle:
            roster, member_problems = parse_members(handle.read(), rules)
    except OSError as error:
        return None, None, [Problem("missing-file", error.filename, None, {})]
    return rules, roster, [*problems, *member_problems]


def coopledger(
    entries: data.Directives, options_map: dict[str, Any], config: str | None = None
) -> tuple[data.Directives, list[CoopledgerError]]:
    root = root_of(options_map)
    given = _preloaded.get()
    if given is not None:
        rules, roster = given
        problems: list[Problem] = []
    else:
        rules, roster, problems = _read(root)
    if rules is None or roster is None:
        return entries, [_as_error(p, root) for p in problems]
    opens = [*member_opens(roster, rules, root), *coop_opens(roster, rules, root)]
    entries = data.sorted([*opens, *entries])
    if given is not None:
        return entries, []
    found = check_ledger(entries, roster, rules, root)
    return entries, [_as_error(p, root) for p in found if p.is_error]
