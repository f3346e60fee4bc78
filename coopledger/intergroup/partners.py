"""Partner groups: other cooperatives this one trades with, each on a trust line.

A partner is an account of the cooperative, `Assets:Partners:<Id>`, listed in
rules.yaml `accounts:` (so that the zero sum, the balances, closing a month and
the caches count it as one of the cooperative's own accounts), and described in
partners.yaml, which only a treasurer changes:

    partners:
      - id: sel-b
        name: SEL de la Butte
        repo: ../sel-b            # a local path or a git URL, fetched by `partner sync`
        known_as: sel-a           # what sel-b calls this cooperative
        floor: -500               # the most this cooperative may owe sel-b
        ceiling: 300              # the most sel-b may owe this cooperative
        rate: 2                   # one unit of ours is worth 2 of sel-b's

The position against a partner is what the partner owes this cooperative: minus
the balance of its account (the account is credited when a member here pays a
member there, since the cooperative then owes the partner). It must stay within
`floor <= position <= ceiling`.

An inter-group trade is an entry touching one member and one partner account,
with metadata naming the other side (see docs/federation.md):

    2026-11-10 * "cours de guitare"
      trade: "2026-11-10-3fa9c1d2"       # the id both books share
      partner: "sel-b"
      partner_member: "zoe"
      rate: "2"
      Assets:Members:Alice        -40.00 SEL
      Assets:Partners:Sel-b        40.00 SEL

Its mirror, in sel-b's book, also carries `partner_commit`, the commit of this
repository it was read from.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from beancount.core import data

from coopledger.model.accounts import is_member_id, member_of_account
from coopledger.model.money import format_amount, quantum
from coopledger.model.problems import Problem
from coopledger.model.rules import Rules
from coopledger.model.schema import FieldReader
from coopledger.model.yamlfile import YamlMap, load_yaml, quote

PARTNERS_FILE = "partners.yaml"
PARTNERS_ROOT = "Assets:Partners"
PARTNER_KEY = "partner"
PARTNER_MEMBER_KEY = "partner_member"
PARTNER_COMMIT_KEY = "partner_commit"
RATE_KEY = "rate"
FEDERATION_KEY = "federation"  # a clearing among groups: its id, shared by every group
PARTNER_FILE_NAME = "_partners"  # mirror entries: journal/YYYY/MM/_partners.beancount
RATE_PLACES = 6  # two rates agree when their product is 1 to this many places
MAX_RATE = Decimal(1_000_000)
_FIELDS = ["id", "name", "repo", "known_as", "floor", "ceiling", "rate"]


def partner_account(partner_id: str) -> str:
    """
    >>> partner_account("sel-b")
    'Assets:Partners:Sel-b'
    """
    return f"{PARTNERS_ROOT}:{partner_id[:1].upper()}{partner_id[1:]}"


def account_name(partner_id: str) -> str:
    """The partner's name in rules.yaml `accounts:`."""
    return f"partner-{partner_id}"


def slug(name: str) -> str:
    """The id a cooperative goes by among its partners unless told otherwise.

    >>> slug("SEL du Canal")
    'sel-du-canal'
    """
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:40].strip("-") or "cooperative"


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    repo: str
    known_as: str
    floor: Decimal  # <= 0: minus the most this cooperative may owe the partner
    ceiling: Decimal  # >= 0: the most the partner may owe this cooperative
    rate: Decimal  # the partner's units for one of ours
    line: int | None = None

    @property
    def account(self) -> str:
        return partner_account(self.id)


@dataclass(frozen=True)
class Partners:
    partners: tuple[Partner, ...] = ()

    def get(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    def __iter__(self) -> Iterator[Partner]:
        return iter(self.partners)


def parse_partners(text: str | None, rules: Rules) -> tuple[Partners, list[Problem]]:
    """partners.yaml (None: no file, no partner) read with every problem found."""
    if text is None:
        return Partners(), []
    doc, problems = load_yaml(text, PARTNERS_FILE)
    if problems:
        return Partners(), problems
    reader = FieldReader(PARTNERS_FILE)
    if doc is None:
        return Partners(), []
    if not isinstance(doc, YamlMap):
        reader.problem("yaml-wrong-type", None, key="partners", expected="mapping")
        return Partners(), reader.problems
    reader.check_keys(doc, ["partners"], PARTNERS_FILE)
    found: list[Partner] = []
    for item in reader.sequence(doc, "partners", required=False) or []:
        if not isinstance(item, YamlMap):
            reader.problem("yaml-wrong-type", None, key="partners", expected="mapping")
            continue
        partner = _read_partner(reader, item, rules)
        if partner is None:
            continue
        if any(p.id == partner.id for p in found):
            reader.problem("partner-twice", item.line, partner=partner.id)
            continue
        found.append(partner)
    for partner in found:
        if partner.account not in rules.coop_accounts:
            reader.problem(
                "partner-account-missing",
                partner.line,
                partner=partner.id,
                account=partner.account,
                name=account_name(partner.id),
            )
    return Partners(tuple(found)), reader.problems


def _read_partner(reader: FieldReader, item: YamlMap, rules: Rules) -> Partner | None:
    reader.check_keys(item, _FIELDS, "a partner")
    partner_id = reader.text(item, "id")
    if partner_id is not None and not is_member_id(partner_id):
        reader.problem("partner-bad-id", item.line_of("id"), partner=partner_id)
        partner_id = None
    name = reader.text(item, "name", required=False)
    repo = reader.text(item, "repo")
    known_as = reader.text(item, "known_as", required=False) or slug(rules.name)
    if not is_member_id(known_as):
        reader.problem("partner-bad-id", item.line_of("known_as"), partner=known_as)
    floor = _amount(reader, item, "floor", rules.decimals, Decimal(0))
    ceiling = _amount(reader, item, "ceiling", rules.decimals, Decimal(0))
    rate = _amount(reader, item, "rate", None, Decimal(1))
    if floor is not None and floor > 0:
        reader.problem("partner-bad-line", item.line_of("floor"), key="floor", value=str(floor))
        floor = None
    if ceiling is not None and ceiling < 0:
        reader.problem(
            "partner-bad-line", item.line_of("ceiling"), key="ceiling", value=str(ceiling)
        )
        ceiling = None
    if rate is not None and not Decimal(0) < rate <= MAX_RATE:
        reader.problem("partner-bad-rate", item.line_of("rate"), value=str(rate))
        rate = None
    if None in (partner_id, repo, floor, ceiling, rate):
        return None
    assert partner_id and repo and floor is not None and ceiling is not None and rate
    return Partner(partner_id, name or partner_id, repo, known_as, floor, ceiling, rate, item.line)


def _amount(
    reader: FieldReader, item: YamlMap, key: str, decimals: int | None, default: Decimal
) -> Decimal | None:
    if key not in item:
        return default
    return reader.amount(item[key], item.line_of(key), key, decimals)


def parse_rate(text: str) -> Decimal | None:
    """A rate as typed (`2`, `0.5`, `0,5`), or None when it is not one."""
    try:
        rate = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return rate if rate.is_finite() and Decimal(0) < rate <= MAX_RATE else None


def render_partner(partner: Partner, decimals: int) -> str:
    lines = [
        f"  - id: {partner.id}",
        f"    name: {quote(partner.name)}",
        f"    repo: {quote(partner.repo)}",
        f"    known_as: {partner.known_as}",
        f"    floor: {format_amount(partner.floor, decimals)}",
        f"    ceiling: {format_amount(partner.ceiling, decimals)}",
        f"    rate: {partner.rate}",
    ]
    return "\n".join(lines) + "\n"


PARTNERS_HEADER = (
    "# Partner groups: other cooperatives this one trades with, each on a trust line.\n"
    "# Change them with `coopledger partner add`; see docs/federation.md.\n"
    "partners:\n"
)


def with_partner_added(text: str | None, partner: Partner, decimals: int) -> str:
    if not text or not text.strip():
        return PARTNERS_HEADER + render_partner(partner, decimals)
    return text.rstrip("\n") + "\n" + render_partner(partner, decimals)


def rules_with_account(text: str, partner: Partner) -> str | None:
    """rules.yaml with the partner's account added to `accounts:` (block style),
    or None when the section is written in a way this cannot extend."""
    line = f"  {account_name(partner.id)}: {partner.account}\n"
    lines = text.splitlines(keepends=True)
    for index, current in enumerate(lines):
        if re.match(r"accounts:\s*(#.*)?$", current.rstrip("\n")):
            return "".join([*lines[: index + 1], line, *lines[index + 1 :]])
        if current.startswith("accounts:"):
            return None
    return text.rstrip("\n") + "\n" + "accounts:\n" + line


# ---------------------------------------------------------------- entries


def convert(amount: Decimal, rate: Decimal, decimals: int) -> Decimal:
    """`amount` of ours in the partner's units (rounded half to even to `decimals`)."""
    return (amount * rate).quantize(quantum(decimals), rounding=ROUND_HALF_EVEN)


def rates_agree(ours: Decimal, theirs: Decimal) -> bool:
    """Whether two cooperatives' rates for each other are inverse (to RATE_PLACES)."""
    product = (ours * theirs).quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUND_HALF_EVEN)
    return product == 1


@dataclass(frozen=True)
class GroupEntry:
    """An inter-group entry of one book: an origin (a member here pays a member
    there) or a mirror (the partner account pays a member here)."""

    trade_id: str
    date: datetime.date
    partner: str
    member: str  # the member of this book
    partner_member: str  # the member of the partner's book
    amount: Decimal  # > 0: what the member here paid (origin) or received (mirror)
    rate: Decimal
    mirror_of: str | None  # the partner's commit a mirror was read from
    memo: str
    file: str | None
    line: int | None

    @property
    def is_mirror(self) -> bool:
        return self.mirror_of is not None


def group_entries(entries: Iterable[data.Directive], partners: Partners) -> Iterator[GroupEntry]:
    """Every inter-group entry (with a `partner` key) of known partners' accounts."""
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        meta = entry.meta or {}
        partner = partners.get(str(meta.get(PARTNER_KEY, "")))
        if partner is None or FEDERATION_KEY in meta:
            continue
        found = _group_entry(entry, partner)
        if found is not None:
            yield found


def _group_entry(entry: data.Transaction, partner: Partner) -> GroupEntry | None:
    meta = entry.meta
    member, amount, on_partner = None, Decimal(0), Decimal(0)
    for posting in entry.postings:
        number = posting.units.number if posting.units is not None else None
        if number is None:
            return None
        owner = member_of_account(posting.account)
        if owner is not None and member in (None, owner):
            member, amount = owner, amount + number
        elif posting.account == partner.account:
            on_partner += number
        else:
            return None
    if member is None or amount + on_partner != 0 or amount == 0:
        return None
    mirror_of = meta.get(PARTNER_COMMIT_KEY)
    if (mirror_of is None) != (amount < 0):
        return None  # an origin is paid by the member here; a mirror pays the member here
    rate = parse_rate(str(meta.get(RATE_KEY, "1"))) or Decimal(1)
    return GroupEntry(
        trade_id=str(meta.get("trade", "")),
        date=entry.date,
        partner=partner.id,
        member=member,
        partner_member=str(meta.get(PARTNER_MEMBER_KEY, "")),
        amount=abs(amount),
        rate=rate,
        mirror_of=None if mirror_of is None else str(mirror_of),
        memo=entry.narration or "",
        file=meta.get("filename"),
        line=meta.get("lineno"),
    )


def position(entries: Iterable[data.Directive], partner: Partner) -> Decimal:
    """What the partner owes this cooperative: minus its account's balance."""
    total = Decimal(0)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if posting.account == partner.account and posting.units is not None:
                    total += posting.units.number or 0
    return -total


def line_problem(
    partner: Partner, after: Decimal, decimals: int
) -> tuple[str, dict[str, str]] | None:
    """Why a position `after` breaks the trust line, as a code and params; else None."""
    if after < partner.floor:
        return "partner-floor", {
            "partner": partner.id,
            "position": format_amount(after, decimals),
            "limit": format_amount(partner.floor, decimals),
        }
    if after > partner.ceiling:
        return "partner-ceiling", {
            "partner": partner.id,
            "position": format_amount(after, decimals),
            "limit": format_amount(partner.ceiling, decimals),
        }
    return None
