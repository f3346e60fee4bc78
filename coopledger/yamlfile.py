"""YAML that remembers where every key and item stands.

`load_yaml(text, filename)` returns plain Python values, except that mappings
are `YamlMap` and sequences `YamlList`, which know their own line and the line
of each key or item. Numbers with a fraction are read as `Decimal`, never as
floats. A YAML syntax error becomes a `Problem` with its line.

    >>> doc, problems = load_yaml("currency: SEL\\ndecimals: 2\\n", "rules.yaml")
    >>> doc.line_of("decimals")
    2
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

from coopledger.problems import Problem


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
    pass


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
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1


def _construct_list(loader: _LineLoader, node: yaml.SequenceNode) -> Any:
    result = YamlList()
    result.line = node.start_mark.line + 1
    result.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield result
    result.extend(loader.construct_object(item, deep=True) for item in node.value)


def _construct_decimal(loader: _LineLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)).replace("_", ""))


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


def load_yaml(text: str, filename: str) -> tuple[Any, list[Problem]]:
    """Parse `text`; on a syntax error return (None, [problem with its line])."""
    try:
        return yaml.load(text, Loader=_LineLoader), []
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
