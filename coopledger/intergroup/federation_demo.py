"""A synthetic federation: many cooperatives trading within and between them.

`coopledger demo DIR --groups 100 --members 250 --months 12` makes, in DIR, one
cooperative per group (`sel-001`, `sel-002`, ...: each a git repository, as
`coopledger demo` makes one) whose members trade among themselves and with the
members of their partner groups (docs/federation.md). Each group is a partner
of its nearest neighbours on a ring (`partners` in all, at most every other
group), on a trust line both sides agree on, at the rate 1 (each group has its
own unit's name).

An inter-group trade is written as `coopledger trade alice sel-002/zoe 40`
writes it (the *origin*, in the payer's file of the month), and its *mirror* as
`coopledger partner sync` records it in the partner's book
(`journal/YYYY/MM/_partners.beancount`, naming the partner's commit it was read
from). So every group's repository holds two commits: the demo's books with the
origins, then the mirrors of its partners' trades, naming their first commits.
The commits' dates are the demo's last day, so that the same seed gives the
same repositories, commit ids included.

Every trade keeps both members within their limits after it and every pair of
groups within its trust line, day after day, so that `coopledger check` passes
in each group, and `partner check` between any two partners.

    >>> demo = FederationDemo(FederationSpec(groups=3, members=5, months=1, trades=6, seed=2))
    >>> [group.id for group in demo.groups]
    ['sel-001', 'sel-002', 'sel-003']
    >>> first = list(demo.first_files())
    >>> sorted({path for _, path, _ in first if "_partners" in path})
    []
    >>> mirrors = list(demo.mirror_files({g.id: "0" * 40 for g in demo.groups}))
    >>> all(path.endswith("/_partners.beancount") for _, path, _ in mirrors)
    True
"""

from __future__ import annotations

import datetime
import heapq
import random
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from coopledger.founding.demo import (
    CENTS,
    DECIMALS,
    DEFAULT_UNTIL,
    MONTHS_FR,
    TREASURER,
    DemoSpec,
    _Chooser,
    _days,
    _make_members,
    _pair,
    _Person,
    _room,
    _rules,
    _what,
    members_text,
    paid,
)
from coopledger.founding.scaffold import cooperative_files
from coopledger.intergroup.federation import _entry_text
from coopledger.intergroup.partners import (
    PARTNER_COMMIT_KEY,
    PARTNER_FILE_NAME,
    PARTNER_KEY,
    PARTNER_MEMBER_KEY,
    PARTNERS_FILE,
    PARTNERS_HEADER,
    RATE_KEY,
    Partner,
    partner_account,
    render_partner,
    rules_with_account,
)
from coopledger.model.accounts import member_account
from coopledger.model.journal import entry_path
from coopledger.model.members import MEMBERS_FILE
from coopledger.model.problems import CoopError
from coopledger.model.rules import RULES_FILE, Rules

PLACES = (
    "Canal", "Quais", "Pentes", "Marché", "Halle", "Port", "Écluses", "Tilleuls",
    "Saules", "Moulin", "Gare", "Colline", "Vignes", "Plateau", "Vallée", "Forêt",
    "Rivière", "Étang", "Source", "Lavoir", "Pont", "Remparts", "Faubourg", "Bourg",
)  # fmt: skip
UNITS = (
    ("GRAIN", "grain"), ("PIGNE", "pigne"), ("HEURE", "heure"), ("GALET", "galet"),
    ("NOIX", "noix"), ("PAVE", "pavé"), ("PLUME", "plume"), ("TREFLE", "trèfle"),
)  # fmt: skip
LINE_UNITS_PER_MEMBER = 8  # each trust line: members × 8 units either way, 500 at least
LINE_UNITS_AT_LEAST = 500
COMMIT_PLACEHOLDER = "@@partner-commit:{group}@@"


@dataclass(frozen=True)
class FederationSpec:
    """What to generate: `groups` cooperatives of `members` each; `trades` paid
    by the members of each group (0: members × months), of which `between`
    percent to members of its partner groups; `partners` per group."""

    groups: int = 3
    members: int = 25
    months: int = 12
    trades: int = 0
    between: int = 10
    partners: int = 6
    seed: int = 1
    until: datetime.date = DEFAULT_UNTIL

    @property
    def trades_per_group(self) -> int:
        return self.trades or self.members * self.months


@dataclass
class Group:
    """One cooperative being generated."""

    index: int
    id: str
    spec: DemoSpec
    rules_yaml: str
    rules: Rules
    people: list[_Person]
    chooser: _Chooser
    rng: random.Random
    partners: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)  # partner -> what it owes us, cents
    ids_today: set[str] = field(default_factory=set)
    trades: int = 0
    origins: int = 0
    mirrors: int = 0

    @property
    def treasurer(self) -> tuple[str, str]:
        return (TREASURER[1], TREASURER[2])


def group_id(index: int, groups: int) -> str:
    """
    >>> group_id(0, 100), group_id(41, 4000)
    ('sel-001', 'sel-0042')
    """
    return f"sel-{index + 1:0{max(3, len(str(groups)))}d}"


def neighbours(index: int, groups: int, partners: int) -> list[int]:
    """The partners of group `index`: its nearest neighbours on a ring.

    >>> neighbours(0, 100, 6)
    [1, 2, 3, 97, 98, 99]
    >>> neighbours(1, 3, 6)
    [0, 2]
    """
    if groups - 1 <= partners:
        return [i for i in range(groups) if i != index]
    half = max(partners // 2, 1)
    found = {(index + d) % groups for d in range(1, half + 1)}
    found |= {(index - d) % groups for d in range(1, half + 1)}
    return sorted(found - {index})


class FederationDemo:
    """The files of a federation (see the module's docstring)."""

    def __init__(self, spec: FederationSpec) -> None:
        if spec.groups < 2 or spec.members < 2 or spec.months < 1 or spec.trades < 0:
            raise ValueError(f"a federation demo needs 2 groups of 2 members, 1 month: {spec}")
        if not 0 <= spec.between <= 100 or spec.partners < 1:
            raise ValueError(f"between is a percentage, partners at least 1: {spec}")
        self.spec = spec
        self.line = max(spec.members * LINE_UNITS_PER_MEMBER, LINE_UNITS_AT_LEAST) * CENTS
        self.groups = [self._group(i) for i in range(spec.groups)]
        for group in self.groups:
            group.partners = [
                self.groups[i].id for i in neighbours(group.index, spec.groups, spec.partners)
            ]
            group.position = {p: 0 for p in group.partners}
        self.by_id = {g.id: g for g in self.groups}
        # mirror entries, by group and file, until the partners' commits are known
        self._mirrors: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._generated = False

    def _group(self, index: int) -> Group:
        spec = self.spec
        place = PLACES[index % len(PLACES)]
        number = index // len(PLACES)
        unit, unit_name = UNITS[index % len(UNITS)]
        demo = DemoSpec(
            members=spec.members,
            months=spec.months,
            trades=spec.trades_per_group,
            seed=spec.seed,
            until=spec.until,
            name=f"SEL {place}" + (f" {number + 1}" if number else ""),
            currency=unit,
            currency_name=unit_name,
        )
        rng = random.Random(f"{spec.seed}-group-{index}")
        rules_yaml, rules = _rules(demo)
        people = _make_members(demo, rng, rules)
        chooser = _Chooser(people, rng)
        return Group(
            index, group_id(index, spec.groups), demo, rules_yaml, rules, people, chooser, rng
        )

    # ------------------------------------------------------------ the files

    def setup_files(self, group: Group) -> dict[str, str]:
        """rules.yaml (with the partners' accounts), members.yaml, partners.yaml
        and the journal's top files of one group."""
        spec = group.spec
        files = cooperative_files(
            spec.name,
            spec.currency,
            spec.currency_name,
            group.people[0].member.joined,
            None,
            DECIMALS,
        )
        rules_yaml = group.rules_yaml
        partners_text = PARTNERS_HEADER
        for partner in self.partner_lines(group):
            rules_with = rules_with_account(rules_yaml, partner)
            assert rules_with is not None
            rules_yaml = rules_with
            partners_text += render_partner(partner, DECIMALS)
        files[RULES_FILE] = rules_yaml
        files[MEMBERS_FILE] = members_text(spec, group.people)
        files[PARTNERS_FILE] = partners_text
        return files

    def partner_lines(self, group: Group) -> list[Partner]:
        line = Decimal(self.line).scaleb(-DECIMALS)
        return [
            Partner(
                other,
                self.by_id[other].spec.name,
                f"../{other}",
                group.id,
                -line,
                line,
                Decimal(1),
            )
            for other in group.partners
        ]

    def first_files(self) -> Iterator[tuple[str, str, str]]:
        """(group id, path, text) of every file but the mirrors: the setup files,
        then the journal month after month (trades within each group and the
        origins of the trades between groups)."""
        if self._generated:
            raise RuntimeError("a FederationDemo generates its files once")
        self._generated = True
        for group in self.groups:
            for path, text in sorted(self.setup_files(group).items()):
                yield group.id, path, text
        events = heapq.merge(
            *([(day, group.index) for day in _days(group.spec, group.rng)] for group in self.groups)
        )
        between = random.Random(f"{self.spec.seed}-between")
        month: tuple[int, int] | None = None
        files: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        today: datetime.date | None = None
        for day, index in events:
            if (day.year, day.month) != month:
                yield from _flush(files)
                month, files = (day.year, day.month), defaultdict(lambda: defaultdict(list))
            if day != today:
                today = day
                for group in self.groups:
                    group.ids_today = set()
            group = self.groups[index]
            if between.random() * 100 < self.spec.between and self._between(
                group, day, between, files
            ):
                continue
            self._within(group, day, files)
        yield from _flush(files)

    def mirror_files(self, commits: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
        """(group id, path, text) of the mirrors' files, once every group's
        first commit is known (`commits`: group id -> commit id)."""
        for group_id_, paths in sorted(self._mirrors.items()):
            for path, texts in sorted(paths.items()):
                text = file_text(texts)
                for partner in self.by_id[group_id_].partners:
                    text = text.replace(
                        COMMIT_PLACEHOLDER.format(group=partner), commits.get(partner, "")
                    )
                yield group_id_, path, text

    # ------------------------------------------------------------ the trades

    def _new_id(self, day: datetime.date, rng: random.Random, *groups: Group) -> str:
        while True:
            trade_id = f"{day.isoformat()}-{rng.getrandbits(32):08x}"
            if all(trade_id not in g.ids_today for g in groups):
                for g in groups:
                    g.ids_today.add(trade_id)
                return trade_id

    def _within(
        self, group: Group, day: datetime.date, files: dict[str, dict[str, list[str]]]
    ) -> None:
        """A trade between two members of `group`, as `coopledger demo` draws it."""
        people, rng = group.people, group.rng
        count = group.chooser.joined_by(day)
        a, b = _pair(group.chooser, people, count)
        memo, category, price = _what(rng, people[a], people[b], MONTHS_FR[day.month - 1])
        amount = max(min(price, _room(people[a], people[b])), CENTS)
        trade_id = self._new_id(day, rng, group)
        currency = group.spec.currency
        path, text = paid(people[a], people[b], amount, day, memo, category, trade_id, currency)
        files[group.id][path].append(text)
        group.trades += 1

    def _between(
        self,
        group: Group,
        day: datetime.date,
        rng: random.Random,
        files: dict[str, dict[str, list[str]]],
    ) -> bool:
        """A member of `group` pays a member of a partner group, within both
        members' limits and the trust line; False when none fits today."""
        other = self.by_id[group.partners[rng.randrange(len(group.partners))]]
        payer_index = group.chooser.pick(group.chooser.pay, group.chooser.joined_by(day), rng)
        payee_index = other.chooser.pick(other.chooser.receive, other.chooser.joined_by(day), rng)
        payer, payee = group.people[payer_index], other.people[payee_index]
        memo, _, price = _what(rng, payer, payee, MONTHS_FR[day.month - 1])
        # the line: what this group owes the other may not pass it (rate 1 both ways)
        room = min(_room(payer, payee), group.position[other.id] + self.line)
        room -= room % CENTS
        if room < CENTS:
            return False
        amount = min(price, room)
        trade_id = self._new_id(day, rng, group, other)
        payer.balance -= amount
        payee.balance += amount
        group.position[other.id] -= amount
        other.position[group.id] += amount
        value = Decimal(amount).scaleb(-DECIMALS)
        origin = _entry_text(
            day,
            memo,
            [
                ("trade", trade_id),
                (PARTNER_KEY, other.id),
                (PARTNER_MEMBER_KEY, payee.member.id),
                (RATE_KEY, "1"),
            ],
            [(member_account(payer.member.id), -value), (partner_account(other.id), value)],
            group.rules,
        )
        files[group.id][entry_path(day, payer.member.id)].append(origin)
        mirror = _entry_text(
            day,
            memo,
            [
                ("trade", trade_id),
                (PARTNER_KEY, group.id),
                (PARTNER_MEMBER_KEY, payer.member.id),
                (RATE_KEY, "1"),
                (PARTNER_COMMIT_KEY, COMMIT_PLACEHOLDER.format(group=group.id)),
            ],
            [(partner_account(group.id), -value), (member_account(payee.member.id), value)],
            other.rules,
        )
        self._mirrors[other.id][entry_path(day, PARTNER_FILE_NAME)].append(mirror)
        group.origins += 1
        other.mirrors += 1
        return True


def _flush(files: dict[str, dict[str, list[str]]]) -> Iterator[tuple[str, str, str]]:
    for group in sorted(files):
        for path in sorted(files[group]):
            yield group, path, file_text(files[group][path])


def file_text(entries: list[str]) -> str:
    r"""A journal file of `entries` (as `format_trade` and `partner sync` write
    them), separated by a blank line and aligned as bean-format aligns them:
    what `journal_text.insert_entries("", entries)` gives, without parsing,
    which is most of the demo's time. tests/test_federation_demo.py checks that
    every file made so is a fixed point of bean-format's alignment.

    >>> print(file_text(["2026-11-02 * \"pain\"\n  Assets:Members:Al  -3.00 SEL\n"
    ...                  "  Assets:Members:Bob  3.00 SEL\n"]), end="")
    2026-11-02 * "pain"
      Assets:Members:Al   -3.00 SEL
      Assets:Members:Bob   3.00 SEL
    """
    lines = "\n".join(entry.rstrip("\n") + "\n" for entry in entries).split("\n")
    postings: list[tuple[int, str, str, str]] = []
    for index, line in enumerate(lines):
        if line.startswith("  ") and line[2:3].isupper():
            account, number, currency = line.split()
            postings.append((index, "  " + account, number, currency))
    prefix = max((len(p[1]) for p in postings), default=0)
    width = max((len(p[2]) for p in postings), default=0)
    for index, account, number, currency in postings:
        lines[index] = f"{account:<{prefix}}  {number:>{width}} {currency}"
    return "\n".join(lines)


@dataclass(frozen=True)
class Created:
    """What `create` made: each group's id, folder and commits, and the counts."""

    roots: dict[str, Path]
    commits: dict[str, tuple[str, str]]  # group id -> (first commit, mirrors' commit)
    trades: int  # within groups
    between: int  # between groups (each written twice: origin and mirror)
    files: int


def create(root: Path, spec: FederationSpec) -> Created:
    """Write the federation in `root` (a new or empty folder): one folder and
    git repository per group, two commits each (see the module's docstring)."""
    from coopledger.git import gitrepo

    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise CoopError("demo-not-empty", path=str(root))
    demo = FederationDemo(spec)
    roots = {g.id: root / g.id for g in demo.groups}
    files = 0
    for group_id_, path, text in demo.first_files():
        _write(roots[group_id_] / path, text)
        files += 1
    when = f"{spec.until.isoformat()}T18:00:00+00:00"
    first: dict[str, str] = {}
    for group in demo.groups:
        first[group.id] = gitrepo.commit_new_tree(
            roots[group.id],
            f"demo: {group.spec.name} ({group.id}), {spec.members} members, {group.trades} "
            f"trades, {group.origins} with partner groups, from "
            f"{group.spec.start.isoformat()} to {spec.until.isoformat()} (seed {spec.seed})",
            group.treasurer,
            date=when,
        )
    for group_id_, path, text in demo.mirror_files(first):
        _write(roots[group_id_] / path, text)
        files += 1
    commits: dict[str, tuple[str, str]] = {}
    for group in demo.groups:
        second = first[group.id]
        if group.mirrors:
            second = gitrepo.commit_new_tree(
                roots[group.id],
                f"partner sync: {group.mirrors} trade(s) from {len(group.partners)} partner "
                "groups (demo)",
                group.treasurer,
                date=when,
            )
        gitrepo.set_identity(roots[group.id], group.treasurer)
        commits[group.id] = (first[group.id], second)
    return Created(
        roots,
        commits,
        sum(g.trades for g in demo.groups),
        sum(g.origins for g in demo.groups),
        files,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
