"""The coopledger beancount plugin: the same checks inside bean-check and fava.

`journal/main.beancount` declares `plugin "coopledger.plugin"`. The plugin
reads members.yaml and rules.yaml beside the journal folder, opens one account
per member (on the day it joined), and reports every problem of
`coopledger.validation.checks` as a beancount error, so a hand-written entry that breaks a
limit is refused by `bean-check` and shown in fava just as `coopledger check`
shows it.

When coopledger itself loads the journal it hands the plugin the members and
rules it has already read (`preloaded`), and runs the checks itself. When it
reads only the open period (`store.load_open_period`), it also hands over the
`Opening` carried from the closed months; the plugin then adds one entry that
brings every account to its carried balance, so that beancount's own view
(balance assertions in the open period) matches the whole journal's.

In bean-check and fava it also judges what the loader read
(`options_map["include"]`, `coopledger.validation.loader_inputs`): a file outside
journal/, a symbolic link, an `include`, `option` or `plugin` line outside
main.beancount, `insert_pythonpath`, a byte that is not UTF-8 are errors with
their file and line. (A plugin cannot stop the loader: it reports what was
read. The gate refuses such a change before anything loads it.)
beancount keeps a load cache (`journal/.main.beancount.picklecache`, written
when a load takes over a second) and uses it again while no file listed in
`options_map["include"]` has changed (`beancount.loader.needs_refresh`). That
list names only the journal files it read, yet what the plugin finds depends
on members.yaml and rules.yaml too, and on files the include glob would match
now. So, inside bean-check and fava, the plugin adds those two files and every
folder under journal/ to the list (`_cache_inputs`): a folder's time changes
when a file is added to it, removed or renamed, so beancount's own check then
reads everything again (and fava, which watches the same list, reloads).
"""

from __future__ import annotations

import contextvars
import datetime
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from operator import attrgetter
from typing import Any, NamedTuple

from beancount.core import amount, data

from coopledger.language.messages import describe
from coopledger.model.accounts import member_account, payable_account, receivable_account
from coopledger.model.closing import Opening
from coopledger.model.members import MEMBERS_FILE, Roster, parse_members
from coopledger.model.problems import Problem
from coopledger.model.rules import RULES_FILE, Rules, parse_rules
from coopledger.validation.checks import check_ledger
from coopledger.validation.loader_inputs import (
    fava_code_problems,
    loaded_file_problems,
    runs_code_in_fava,
)

__plugins__ = ("coopledger",)


class CoopledgerError(NamedTuple):
    source: dict[str, Any]
    message: str
    entry: data.Directive | None


CARRIED_KEY = "carried-from"  # the meta key of the entry that stands for the closed months

RosterGiven = Roster | Callable[[], Roster | None] | None  # a function: it waits for it
_Preloaded = tuple[Rules | None, RosterGiven, Opening | None]
_preloaded: contextvars.ContextVar[_Preloaded | None] = contextvars.ContextVar(
    "coopledger_preloaded", default=None
)


@contextmanager
def preloaded(
    rules: Rules | None, roster: RosterGiven, opening: Opening | None = None
) -> Iterator[None]:
    token = _preloaded.set((rules, roster, opening))
    try:
        yield
    finally:
        _preloaded.reset(token)


def is_carried(entry: data.Directive) -> bool:
    """The entry `carried_entry` made: not in any file, never checked as a trade."""
    return isinstance(entry, data.Transaction) and CARRIED_KEY in (entry.meta or {})


def carried_entry(opening: Opening, rules: Rules, root: str) -> data.Transaction:
    """Every account brought to its balance carried from the closed months."""
    balances = [
        *((member_account(m), b) for m, b in sorted(opening.balances.items())),
        *sorted(opening.coop_balances.items()),
    ]
    postings = [
        data.Posting(account, amount.Amount(balance, rules.currency), None, None, None, None)
        for account, balance in balances
        if balance
    ]
    filename = os.path.join(root, opening.file or "")
    meta = data.new_metadata(filename, opening.line or 0, {CARRIED_KEY: opening.month})
    day = opening.day - datetime.timedelta(days=1)
    return data.Transaction(meta, day, "*", None, "", frozenset(), frozenset(), postings)


def root_of(options_map: dict[str, Any]) -> str:
    """The cooperative's root: the folder above journal/main.beancount."""
    return os.path.dirname(os.path.dirname(os.path.abspath(options_map["filename"])))


def member_opens(
    roster: Roster, rules: Rules, root: str, entries: Sequence[data.Directive] = ()
) -> list[data.Open]:
    """Each member's account, and its invoice accounts (receivable, payable)
    where an entry uses them: opening those for every member would add two
    entries per member that nothing reads (40,000 at 20,000 members)."""
    postings = chain.from_iterable(e.postings for e in entries if isinstance(e, data.Transaction))
    used = set(map(attrgetter("account"), postings))  # 2 million postings at 1M trades
    filename = os.path.join(root, MEMBERS_FILE)
    return [
        data.Open(
            data.new_metadata(filename, member.line, {"name": member.name}),  # fava shows it
            member.joined,
            account,
            [rules.currency],
            None,
        )
        for member in roster
        for account in (member.account, receivable_account(member.id), payable_account(member.id))
        if account == member.account or account in used
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


def read_setup(root: str) -> tuple[Rules | None, Roster | None, list[Problem]]:
    try:
        with open(os.path.join(root, RULES_FILE), encoding="utf-8") as handle:
            rules, problems = parse_rules(handle.read())
        with open(os.path.join(root, MEMBERS_FILE), encoding="utf-8") as handle:
            roster, member_problems = parse_members(handle.read(), rules)
    except OSError as error:
        return None, None, [Problem("missing-file", error.filename, None, {})]
    return rules, roster, [*problems, *member_problems]


def _cache_inputs(root: str) -> list[str]:
    """What beancount's load cache must also watch: members.yaml, rules.yaml and
    every folder under journal/ (hidden ones aside, as the include glob does)."""
    found = [os.path.join(root, MEMBERS_FILE), os.path.join(root, RULES_FILE)]
    for folder, names, _ in os.walk(os.path.join(root, "journal")):
        names[:] = sorted(name for name in names if not name.startswith("."))
        found.append(folder)
    return found


def coopledger(
    entries: data.Directives, options_map: dict[str, Any], config: str | None = None
) -> tuple[data.Directives, list[CoopledgerError]]:
    root = root_of(options_map)
    given = _preloaded.get()
    read_by_the_loader = list(options_map.get("include", []))
    if given is None and isinstance(options_map.get("include"), list):  # bean-check, fava
        watched = set(options_map["include"])
        options_map["include"].extend(p for p in _cache_inputs(root) if p not in watched)
    opening = None
    if given is not None:
        rules, roster_given, opening = given
        roster = roster_given() if callable(roster_given) else roster_given
        problems: list[Problem] = []
    else:
        rules, roster, problems = read_setup(root)
    if given is None:  # bean-check or fava: the rules on what the loader read
        problems.extend(
            loaded_file_problems(
                root,
                options_map["filename"],
                read_by_the_loader,  # not the files added above for the load cache
                options_map.get("pythonpath", []),
            )
        )
    if given is None:  # fava must never see a directive that would have it run code
        problems.extend(fava_code_problems(entries, root))
        entries = [e for e in entries if runs_code_in_fava(e) is None]
    if rules is None or roster is None:
        return entries, [_as_error(p, root) for p in problems]
    opens = [*member_opens(roster, rules, root, entries), *coop_opens(roster, rules, root)]
    carried = [carried_entry(opening, rules, root)] if opening is not None else []
    entries = data.sorted([*opens, *carried, *entries])
    if given is not None:
        return entries, []
    found = [*problems, *check_ledger(entries, roster, rules, root)]
    return entries, [_as_error(p, root) for p in found if p.is_error]
