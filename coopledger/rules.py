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

The member kinds are the keys under `limits` besides `enforcement`. A floor or
ceiling is a number or a mapping from dates to numbers, for limits that change
over time: `floor: {2024-01-01: -500, 2026-12-01: -600}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from coopledger.problems import Problem
from coopledger.schema import FieldReader
from coopledger.timeline import Timeline
from coopledger.yamlfile import YamlMap, load_yaml

RULES_FILE = "rules.yaml"
CURRENCY_PATTERN = r"[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]"
TOP_KEYS = ["name", "currency", "currency_name", "decimals", "limits", "categories", "roles"]
ROLE_NAMES = ["treasurer"]  # `roles: {treasurer: tresorier}` renames a role
LIMIT_KEYS = ["floor", "ceiling"]
ENFORCEMENTS = ["hard", "soft"]


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
    roles: dict[str, str] = field(default_factory=dict)

    def role(self, name: str) -> str:
        """The word members.yaml uses for the role `name` (default: `name` itself)."""
        return self.roles.get(name, name)

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
    roles = _read_roles(reader, doc)
    if reader.problems or name is None or currency is None or decimals is None:
        return None, reader.problems
    return (
        Rules(
            name=name,
            currency=currency,
            currency_name=currency_name or currency,
            decimals=decimals,
            enforcement=enforcement or "hard",
            limits=limits,
            categories=tuple(categories),
            roles=roles,
        ),
        [],
    )


def render_rules(name: str, currency: str, currency_name: str, decimals: int = 2) -> str:
    """The rules.yaml written by `coopledger init`."""
    from coopledger.yamlfile import quote

    return f"""\
# Rules of {name}. See docs/rules.md for every key.
name: {quote(name)}
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
