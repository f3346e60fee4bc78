"""rules.yaml: the currency and the rules every member trades under.

    name: SEL du Canal          # the cooperative's name
    currency: SEL               # a beancount commodity: capitals, 2 to 24 characters
    currency_name: grain de sel # how people call the unit
    decimals: 2                 # places after the decimal point
    limits:
      enforcement: hard         # hard: refuse a trade that breaks a limit; soft: warn
      person:   {floor: -500,  ceiling: 1000}
      business: {floor: -2000, ceiling: 5000}
    categories: [alimentation, services]   # optional: what may be traded
    accounts:                   # optional: the cooperative's own accounts
      treasury: Assets:Coop:Treasury
    levy: {percent: 2, fixed: 0, paid_by: payer, into: treasury}   # optional
    demurrage: {percent: 1, above: 500, into: treasury}            # optional
    contribution:                                                  # optional
      into: treasury
      person: {amount: 2, per: month}
      business: {amount: 24, per: year, month: 1}
    date_horizon_days: 90       # optional: how far ahead an entry may be dated
    language: fr                # optional: en or fr, the language coopledger speaks
    currency_plural: grains de sel   # optional: the unit's plural (default: currency_name)

The member kinds are the keys under `limits` besides `enforcement`. A floor or
ceiling is a number or a mapping from dates to numbers, for limits that change
over time: `floor: {2024-01-01: -500, 2026-12-01: -600}`. A floor above the
ceiling on any date is a problem.

No entry may be dated after `latest_date(rules, today)`: the end of next
month, or `date_horizon_days` after today when rules.yaml sets it.

`accounts`, `levy`, `demurrage` and `contribution` are read here; what they do
is computed by `coopledger.plans.fees`. docs/rules.md explains every key.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from coopledger.i18n import LANGUAGES
from coopledger.model.accounts import MEMBERS_ROOT
from coopledger.model.months import Month
from coopledger.model.problems import CoopError, Problem
from coopledger.model.schema import FieldReader
from coopledger.model.timeline import Timeline
from coopledger.model.yamlfile import YamlMap, load_yaml

RULES_FILE = "rules.yaml"
CURRENCY_PATTERN = r"[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]"
TOP_KEYS = [
    "name",
    "currency",
    "currency_name",
    "currency_plural",
    "language",
    "decimals",
    "limits",
    "categories",
    "accounts",
    "levy",
    "demurrage",
    "contribution",
    "roles",
    "date_horizon_days",
]
HORIZON_KEY = "date_horizon_days"
MAX_HORIZON_DAYS = 36_600  # a hundred years
ROLE_NAMES = ["treasurer"]  # `roles: {treasurer: tresorier}` renames a role
LIMIT_KEYS = ["floor", "ceiling"]
ENFORCEMENTS = ["hard", "soft"]
COOP_ACCOUNT_PATTERN = r"(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+"
DEFAULT_INTO = "treasury"
LEVY_KEYS = ["percent", "fixed", "paid_by", "into"]
LEVY_PAYERS = ["payer", "payee", "both"]
DEMURRAGE_KEYS = ["percent", "above", "into"]
CONTRIBUTION_KEYS = ["amount", "per", "month"]
CONTRIBUTION_PERIODS = ["month", "year"]


@dataclass(frozen=True)
class CoopAccount:
    """One of the cooperative's own accounts: `treasury: Assets:Coop:Treasury`."""

    name: str
    account: str
    line: int = 0


@dataclass(frozen=True)
class LevyRule:
    """A levy on every trade: `percent` of the amount (rounded) plus `fixed`."""

    percent: Decimal
    fixed: Decimal
    paid_by: str  # payer, payee or both (each pays the whole levy)
    into: str  # a beancount account of the cooperative


@dataclass(frozen=True)
class DemurrageRule:
    """Each month, `percent` of the part of a balance above `above`."""

    percent: Decimal
    above: Decimal
    into: str


@dataclass(frozen=True)
class ContributionRule:
    """`amount` units per month, or per year (charged in `month`)."""

    amount: Decimal
    per: str
    month: int = 1


@dataclass(frozen=True)
class Contributions:
    into: str
    by_kind: dict[str, ContributionRule]


@dataclass(frozen=True)
class KindLimits:
    floor: Timeline[Decimal]
    ceiling: Timeline[Decimal]


@dataclass(frozen=True)
class Rules:
    name: str
    currency: str
    currency_name: str
    decimals: int
    enforcement: str
    limits: dict[str, KindLimits]
    categories: tuple[str, ...] = ()
    accounts: dict[str, CoopAccount] = field(default_factory=dict)
    levy: LevyRule | None = None
    demurrage: DemurrageRule | None = None
    contribution: Contributions | None = None
    roles: dict[str, str] = field(default_factory=dict)
    date_horizon_days: int | None = None  # None: up to the end of next month
    language: str | None = None  # None: the user's locale (coopledger.i18n)
    currency_plural: str = ""  # "": currency_name

    def unit_name(self, amount: Decimal) -> str:
        """What people call `amount` units: `currency_name` for one, else its plural."""
        if abs(amount) == 1 or not self.currency_plural:
            return self.currency_name
        return self.currency_plural

    def role(self, name: str) -> str:
        """The word members.yaml uses for the role `name` (default: `name` itself)."""
        return self.roles.get(name, name)

    @property
    def coop_accounts(self) -> list[str]:
        """The beancount accounts of the cooperative itself, in rules.yaml order."""
        return [a.account for a in self.accounts.values()]

    @property
    def kinds(self) -> list[str]:
        return list(self.limits)

    @property
    def hard_limits(self) -> bool:
        return self.enforcement == "hard"


def parse_rules(text: str, filename: str = RULES_FILE) -> tuple[Rules | None, list[Problem]]:
    """Read rules.yaml; return the rules, or None with every problem found."""
    doc, problems = load_yaml(text, filename)
    if problems:
        return None, problems
    reader = FieldReader(filename)
    if not isinstance(doc, YamlMap):
        reader.problem("yaml-not-a-mapping", 1, what="rules")
        return None, reader.problems
    reader.check_keys(doc, TOP_KEYS, "rules.yaml")
    name = reader.text(doc, "name")
    currency = reader.text(doc, "currency", pattern=CURRENCY_PATTERN)
    currency_name = reader.text(doc, "currency_name", required=False)
    currency_plural = reader.text(doc, "currency_plural", required=False)
    language = reader.choice(doc, "language", list(LANGUAGES)) if "language" in doc else None
    decimals = reader.integer(doc, "decimals", default=2, low=0, high=8)
    limits: dict[str, KindLimits] = {}
    enforcement: str | None = None
    limits_node = reader.mapping(doc, "limits")
    if limits_node is not None:
        enforcement = reader.choice(limits_node, "enforcement", ENFORCEMENTS, default="hard")
        for kind, kind_node in limits_node.items():
            if kind == "enforcement":
                continue
            if not isinstance(kind_node, YamlMap):
                reader.problem(
                    "yaml-wrong-type", limits_node.line_of(kind), key=str(kind), expected="mapping"
                )
                continue
            reader.check_keys(kind_node, LIMIT_KEYS, f"limits.{kind}")
            floor = reader.amount_timeline(kind_node, "floor", decimals)
            ceiling = reader.amount_timeline(kind_node, "ceiling", decimals)
            if floor is not None and ceiling is not None:
                limits[str(kind)] = KindLimits(floor, ceiling)
                crossed = floor_above_ceiling(floor, ceiling)
                if crossed is not None:
                    reader.problem(
                        "limits-floor-above-ceiling",
                        kind_node.line_of("floor"),
                        who=f"the kind '{kind}'",
                        floor=str(crossed[1]),
                        ceiling=str(crossed[2]),
                        date=_since(crossed[0]),
                    )
        if not any(k != "enforcement" for k in limits_node):
            reader.problem("rules-no-kinds", limits_node.line)
    categories: list[str] = []
    category_list = reader.sequence(doc, "categories", required=False)
    for index, item in enumerate(category_list or []):
        if not isinstance(item, str) or not item.strip():
            reader.problem(
                "yaml-bad-value",
                category_list.line_of(index),  # type: ignore[union-attr]
                key="categories",
                value=str(item),
                rule="text",
            )
        else:
            categories.append(item.strip())
    accounts = _read_accounts(reader, doc)
    levy = demurrage = contribution = None
    if decimals is not None:
        levy = _read_levy(reader, doc, accounts, decimals)
        demurrage = _read_demurrage(reader, doc, accounts, decimals)
        contribution = _read_contribution(reader, doc, accounts, decimals, list(limits))
    roles = _read_roles(reader, doc)
    horizon = reader.integer(doc, HORIZON_KEY, default=-1, low=0, high=MAX_HORIZON_DAYS)
    if reader.problems or name is None or currency is None or decimals is None:
        return None, reader.problems
    return (
        Rules(
            name=name,
            currency=currency,
            currency_name=currency_name or currency,
            currency_plural=currency_plural or "",
            language=language,
            decimals=decimals,
            enforcement=enforcement or "hard",
            limits=limits,
            categories=tuple(categories),
            accounts=accounts,
            levy=levy,
            demurrage=demurrage,
            contribution=contribution,
            roles=roles,
            date_horizon_days=None if horizon == -1 else horizon,
        ),
        [],
    )


def floor_above_ceiling(
    floor: Timeline[Decimal], ceiling: Timeline[Decimal]
) -> tuple[datetime.date, Decimal, Decimal] | None:
    """The first date on which `floor` is above `ceiling`, with both; or None."""
    for day in sorted({d for d, _ in (*floor.changes, *ceiling.changes)}):
        low, high = floor.at(day), ceiling.at(day)
        if low is not None and high is not None and low > high:
            return day, low, high
    return None


def _since(day: datetime.date) -> str:
    return "from the beginning" if day == datetime.date(1, 1, 1) else f"from {day.isoformat()}"


def latest_date(rules: Rules | None, today: datetime.date) -> datetime.date:
    """The last day an entry may be dated: `date_horizon_days` after `today`,
    or by default the last day of the month after today's."""
    if rules is not None and rules.date_horizon_days is not None:
        try:
            return today + datetime.timedelta(days=rules.date_horizon_days)
        except OverflowError:
            return datetime.date.max
    if today.year == 9999 and today.month >= 11:
        return datetime.date.max
    following = Month.of(today.replace(day=1) + datetime.timedelta(days=31))
    return following.last


def check_horizon(day: datetime.date, rules: Rules | None, today: datetime.date) -> None:
    """CoopError when `day` is after `latest_date(rules, today)`."""
    latest = latest_date(rules, today)
    if day > latest:
        raise CoopError("date-beyond-horizon", date=day, latest=latest, key=HORIZON_KEY)


def _read_accounts(reader: FieldReader, doc: YamlMap) -> dict[str, CoopAccount]:
    node = reader.mapping(doc, "accounts", required=False)
    accounts: dict[str, CoopAccount] = {}
    for name, value in (node or {}).items():
        assert node is not None
        line = node.line_of(name)
        if not isinstance(value, str) or not re.fullmatch(COOP_ACCOUNT_PATTERN, value):
            reader.problem("rules-bad-coop-account", line, name=str(name), value=str(value))
        elif value == MEMBERS_ROOT or value.startswith(MEMBERS_ROOT + ":"):
            reader.problem("rules-coop-account-is-member", line, name=str(name), value=value)
        elif any(a.account == value for a in accounts.values()):
            first = next(a for a in accounts.values() if a.account == value)
            reader.problem(
                "rules-coop-account-twice", line, name=str(name), value=value, other=first.name
            )
        else:
            accounts[str(name)] = CoopAccount(str(name), value, line)
    return accounts


def _into(
    reader: FieldReader, doc: YamlMap, node: YamlMap, accounts: dict[str, CoopAccount], where: str
) -> str | None:
    """The account named by `into:` (default: treasury), or a problem on the line of
    `into:`, or of the rule's key when `into:` is left out."""
    name = node.get("into", DEFAULT_INTO)
    if isinstance(name, str) and name in accounts:
        return accounts[name].account
    close = difflib.get_close_matches(str(name), list(accounts), n=1)
    reader.problem(
        "rules-unknown-coop-account",
        node.line_of("into") if "into" in node else doc.line_of(where),
        where=where,
        name=str(name),
        suggestion=close[0] if close else "",
        known=tuple(accounts),
    )
    return None


def _percent(reader: FieldReader, node: YamlMap, key: str, where: str) -> Decimal | None:
    value = node.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not 0 <= value <= 100:
        line = node.line_of(key)
        reader.problem("rules-bad-percent", line, key=f"{where}.{key}", value=str(value))
        return None
    return Decimal(value)


def _non_negative(
    reader: FieldReader, node: YamlMap, key: str, decimals: int, where: str, *, default: int = 0
) -> Decimal | None:
    value = node.get(key, default)
    number = reader.amount(value, node.line_of(key), f"{where}.{key}", decimals)
    if number is not None and number < 0:
        line = node.line_of(key)
        reader.problem("rules-negative-amount", line, key=f"{where}.{key}", value=str(value))
        return None
    return number


def _read_levy(
    reader: FieldReader, doc: YamlMap, accounts: dict[str, CoopAccount], decimals: int
) -> LevyRule | None:
    node = reader.mapping(doc, "levy", required=False)
    if node is None:
        return None
    before = len(reader.problems)
    reader.check_keys(node, LEVY_KEYS, "levy")
    percent = _percent(reader, node, "percent", "levy")
    fixed = _non_negative(reader, node, "fixed", decimals, "levy")
    paid_by = reader.choice(node, "paid_by", LEVY_PAYERS, default="payer")
    into = _into(reader, doc, node, accounts, "levy")
    if len(reader.problems) > before:
        return None
    assert percent is not None and fixed is not None and paid_by and into
    return LevyRule(percent, fixed.quantize(Decimal(1).scaleb(-decimals)), paid_by, into)


def _read_demurrage(
    reader: FieldReader, doc: YamlMap, accounts: dict[str, CoopAccount], decimals: int
) -> DemurrageRule | None:
    node = reader.mapping(doc, "demurrage", required=False)
    if node is None:
        return None
    before = len(reader.problems)
    reader.check_keys(node, DEMURRAGE_KEYS, "demurrage")
    percent = _percent(reader, node, "percent", "demurrage")
    above = _non_negative(reader, node, "above", decimals, "demurrage")
    into = _into(reader, doc, node, accounts, "demurrage")
    if len(reader.problems) > before:
        return None
    assert percent is not None and above is not None and into
    return DemurrageRule(percent, above, into)


def _read_contribution(
    reader: FieldReader,
    doc: YamlMap,
    accounts: dict[str, CoopAccount],
    decimals: int,
    kinds: list[str],
) -> Contributions | None:
    node = reader.mapping(doc, "contribution", required=False)
    if node is None:
        return None
    before = len(reader.problems)
    reader.check_keys(node, ["into", *kinds], "contribution")
    into = _into(reader, doc, node, accounts, "contribution")
    by_kind: dict[str, ContributionRule] = {}
    for kind, kind_node in node.items():
        if kind == "into" or kind not in kinds:
            continue
        if not isinstance(kind_node, YamlMap):
            line = node.line_of(kind)
            reader.problem("yaml-wrong-type", line, key=f"contribution.{kind}", expected="mapping")
            continue
        where = f"contribution.{kind}"
        reader.check_keys(kind_node, CONTRIBUTION_KEYS, where)
        if "amount" not in kind_node:
            reader.problem("yaml-missing-key", kind_node.line, key="amount")
            continue
        amount = _non_negative(reader, kind_node, "amount", decimals, where)
        per = reader.choice(kind_node, "per", CONTRIBUTION_PERIODS, default="month")
        month = reader.integer(kind_node, "month", default=1, low=1, high=12)
        if amount is not None and per is not None and month is not None:
            by_kind[str(kind)] = ContributionRule(amount, per, month)
    if len(reader.problems) > before or into is None:
        return None
    return Contributions(into, by_kind)


def render_rules(
    name: str, currency: str, currency_name: str, decimals: int = 2, language: str | None = None
) -> str:
    """The rules.yaml written by `coopledger init`."""
    from coopledger.model.yamlfile import quote

    spoken = f"language: {language}              # en or fr\n" if language else ""
    return f"""\
# Rules of {name}. See 'coopledger help rules' for every key.
{spoken}name: {quote(name)}
currency: {currency}            # beancount commodity: capitals, 2 to 24 characters
currency_name: {quote(currency_name)}
decimals: {decimals}                 # places after the decimal point
limits:
  enforcement: hard         # hard: refuse a trade that breaks a limit; soft: only warn
  person:
    floor: -500
    ceiling: 1000
  business:
    floor: -2000
    ceiling: 5000
categories: []
"""


def _read_roles(reader: FieldReader, doc: YamlMap) -> dict[str, str]:
    """`roles: {treasurer: tresorier}`: the words members.yaml uses for roles."""
    node = reader.mapping(doc, "roles", required=False)
    if node is None:
        return {}
    reader.check_keys(node, ROLE_NAMES, "roles")
    roles = {}
    for role in ROLE_NAMES:
        word = reader.text(node, role, required=False)
        if word is not None:
            roles[role] = word.strip()
    return roles
