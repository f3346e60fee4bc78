"""YAML that remembers where every key and item stands.

`load_yaml(text, filename)` returns plain Python values, except that mappings
are `YamlMap` and sequences `YamlList`, which know their own line and the line
of each key or item. Numbers with a fraction are read as `Decimal`, never as
floats. A YAML syntax error becomes a `Problem` with its line.

What a hand-edited or hostile file could slip in is refused, each with its
line, and the whole file is then read as nothing (None): a key given twice
(YAML would silently keep the last), anchors and aliases (`&x`, `*x`: a
"billion laughs" file expands to gigabytes), `.inf` and `.nan`, numbers
beyond `MAX_AMOUNT`, and control characters in text (a terminal escape
sequence in a name would be replayed on every screen that shows it).

    >>> doc, problems = load_yaml("currency: SEL\\ndecimals: 2\\n", "rules.yaml")
    >>> doc.line_of("decimals")
    2
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from coopledger.model.money import MAX_AMOUNT, MAX_AMOUNT_TEXT
from coopledger.model.plaintext import control_character
from coopledger.model.problems import Problem

# what could start an anchor or alias: & or * right after a space, a bracket, a comma
# or a line start, and before a name; only then are the events read
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[\]{},:-])[&*][^\s,\[\]{}]", re.MULTILINE)
_NOT_FINITE = {".inf", "+.inf", "-.inf", ".nan"}
_MAX_NUMBER_TEXT = 64  # characters: far beyond any number MAX_AMOUNT allows


class YamlMap(dict[Any, Any]):
    """A mapping read from YAML, with the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list[Any]):
    """A sequence read from YAML, with the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser when PyYAML was built with it (3x faster on a 20,000-member
# members.yaml); the same constructors, so the same values and lines either way
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.refusals: list[tuple[str, int, dict[str, str]]] = []  # (code, line, params)

    def refuse(self, code: str, node: yaml.Node, /, **params: str) -> None:
        self.refusals.append((code, node.start_mark.line + 1, params))


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Any:
    result = YamlMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    yield result
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, Decimal)) and key is not None:
            key = str(key) if not hasattr(key, "isoformat") else key
        if key in result:
            first = str(result.key_lines[key])
            loader.refuse("yaml-duplicate-key", key_node, key=str(key), first_line=first)
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1


def _construct_list(loader: _LineLoader, node: yaml.SequenceNode) -> Any:
    result = YamlList()
    result.line = node.start_mark.line + 1
    result.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield result
    result.extend(loader.construct_object(item, deep=True) for item in node.value)


def _bounded(loader: _LineLoader, node: yaml.ScalarNode, value: Any, text: str) -> Any:
    if abs(value) > MAX_AMOUNT:
        loader.refuse("yaml-number-too-large", node, value=text[:40], most=MAX_AMOUNT_TEXT)
        return text
    return value


def _construct_decimal(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A `Decimal`; `.inf`, `.nan` and numbers beyond MAX_AMOUNT are refused."""
    text = str(loader.construct_scalar(node))
    if text.lower() in _NOT_FINITE:
        loader.refuse("yaml-not-finite", node, value=text)
        return text
    if len(text) > _MAX_NUMBER_TEXT:
        loader.refuse("yaml-number-too-large", node, value=text[:40], most=MAX_AMOUNT_TEXT)
        return text
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:  # YAML 1.1 sexagesimal (1:30.5): no amount, the reader says so
        return text
    return _bounded(loader, node, value, text)


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """An `int` (0x, 0o and 1_000 forms too); beyond MAX_AMOUNT it is refused."""
    text = str(loader.construct_scalar(node))
    if len(text) > _MAX_NUMBER_TEXT:  # int() of thousands of digits is slow, then refused
        loader.refuse("yaml-number-too-large", node, value=text[:40], most=MAX_AMOUNT_TEXT)
        return text
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    return _bounded(loader, node, value, text)


def _construct_text(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    """Text, without control characters (refused with their place)."""
    text = str(loader.construct_scalar(node))
    found = control_character(text)
    if found is not None:
        position, code = found
        loader.refuse("yaml-control-character", node, position=str(position), character=code)
    return text


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A date, or its text when it is no real date (2024-13-01), for a precise problem."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return str(loader.construct_scalar(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_text)


def _anchor_or_alias(text: str) -> int | None:
    """The line of the first anchor (&x) or alias (*x), read from the events alone
    (nothing is expanded); None when there is none."""
    if not _MAYBE_ANCHOR.search(text):
        return None  # the usual file ("Dupont & fils" included): no event to read twice
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return event.start_mark.line + 1 if event.start_mark else 1
    return None


def load_yaml(text: str, filename: str) -> tuple[Any, list[Problem]]:
    """Parse `text`; on a syntax error or a refused value return (None, [problems
    with their lines])."""
    try:
        anchored = _anchor_or_alias(text)
        if anchored is not None:
            return None, [Problem("yaml-alias", filename, anchored, {})]
        loader = _LineLoader(text)
        try:
            doc = loader.get_single_data()
        finally:
            loader.dispose()
        if loader.refusals:
            refused = [Problem(code, filename, line, p) for code, line, p in loader.refusals]
            return None, sorted(refused, key=Problem.sort_key)
        return doc, []
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        detail = error.problem or str(error)
        return None, [Problem("yaml-syntax", filename, line, {"detail": detail})]
    except yaml.YAMLError as error:
        return None, [Problem("yaml-syntax", filename, None, {"detail": str(error)})]


def quote(text: str) -> str:
    """A YAML scalar for `text`, quoted only when it has to be."""
    dumped = yaml.safe_dump(text, allow_unicode=True, default_flow_style=True, width=10**6)
    return dumped.removesuffix("\n...\n").removesuffix("\n")
