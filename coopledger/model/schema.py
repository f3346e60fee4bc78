"""Reading YAML documents into typed values while collecting problems.

A `FieldReader` is handed the YAML maps of one file. Each accessor returns the
value when it is well-formed and otherwise records a `Problem` naming the file,
the line and the key, then returns None, so one pass reports every mistake.
"""

from __future__ import annotations

import datetime
import difflib
import re
from decimal import Decimal
from typing import Any

from coopledger.model.money import has_excess_precision
from coopledger.model.problems import Param, Problem
from coopledger.model.timeline import Timeline
from coopledger.model.yamlfile import YamlList, YamlMap


class FieldReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, code: str, line: int | None, **params: Param) -> None:
        self.problems.append(Problem(code, self.filename, line, params))

    def check_keys(self, node: YamlMap, allowed: list[str], where: str) -> None:
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                self.problem(
                    "yaml-unknown-key",
                    node.line_of(key),
                    key=str(key),
                    where=where,
                    suggestion=close[0] if close else "",
                    allowed=tuple(allowed),
                )

    def mapping(self, node: YamlMap, key: str, *, required: bool = True) -> YamlMap | None:
        value = node.get(key)
        if value is None:
            if required:
                self.problem("yaml-missing-key", node.line, key=key)
            return None
        if not isinstance(value, YamlMap):
            self.problem("yaml-wrong-type", node.line_of(key), key=key, expected="mapping")
            return None
        return value

    def sequence(self, node: YamlMap, key: str, *, required: bool = True) -> YamlList | None:
        value = node.get(key)
        if value is None:
            if required:
                self.problem("yaml-missing-key", node.line, key=key)
            return None
        if not isinstance(value, YamlList):
            self.problem("yaml-wrong-type", node.line_of(key), key=key, expected="list")
            return None
        return value

    def text(
        self, node: YamlMap, key: str, *, required: bool = True, pattern: str | None = None
    ) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                self.problem("yaml-missing-key", node.line, key=key)
            return None
        if isinstance(value, (YamlMap, YamlList)):
            self.problem("yaml-wrong-type", node.line_of(key), key=key, expected="text")
            return None
        text = str(value)
        if pattern is not None and not re.fullmatch(pattern, text):
            self.problem("yaml-bad-value", node.line_of(key), key=key, value=text, rule=pattern)
            return None
        return text

    def choice(
        self, node: YamlMap, key: str, choices: list[str], *, default: str | None = None
    ) -> str | None:
        value = node.get(key)
        if value is None:
            if default is None:
                self.problem("yaml-missing-key", node.line, key=key)
            return default
        if value not in choices:
            self.problem(
                "yaml-bad-choice",
                node.line_of(key),
                key=key,
                value=str(value),
                choices=tuple(choices),
            )
            return None
        return str(value)

    def integer(
        self, node: YamlMap, key: str, *, default: int | None = None, low: int = 0, high: int = 8
    ) -> int | None:
        value = node.get(key)
        if value is None:
            if default is None:
                self.problem("yaml-missing-key", node.line, key=key)
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(
                "yaml-bad-integer",
                node.line_of(key),
                key=key,
                value=str(value),
                low=str(low),
                high=str(high),
            )
            return None
        return value

    def day(self, node: YamlMap, key: str, *, required: bool = True) -> datetime.date | None:
        value = node.get(key)
        if value is None:
            if required:
                self.problem("yaml-missing-key", node.line, key=key)
            return None
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            self.problem("yaml-bad-date", node.line_of(key), key=key, value=str(value))
            return None
        return value

    def amount(self, value: Any, line: int, key: str, decimals: int | None) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            self.problem("yaml-bad-amount", line, key=key, value=str(value))
            return None
        number = Decimal(value)
        if decimals is not None and has_excess_precision(number, decimals):
            self.problem(
                "yaml-amount-too-precise", line, key=key, value=str(value), decimals=str(decimals)
            )
            return None
        return number

    def amount_timeline(
        self, node: YamlMap, key: str, decimals: int | None, *, required: bool = True
    ) -> Timeline[Decimal] | None:
        """`key: -500`, or `key: {2024-01-01: -500, 2026-12-01: -600}`."""
        value = node.get(key)
        if value is None:
            if required:
                self.problem("yaml-missing-key", node.line, key=key)
            return None
        if isinstance(value, YamlMap):
            changes: list[tuple[datetime.date, Decimal]] = []
            for when, amount in value.items():
                line = value.line_of(when)
                if isinstance(when, datetime.datetime) or not isinstance(when, datetime.date):
                    self.problem("yaml-bad-date", line, key=key, value=str(when))
                    continue
                number = self.amount(amount, line, key, decimals)
                if number is not None:
                    changes.append((when, number))
            if not value:
                self.problem("yaml-bad-amount", node.line_of(key), key=key, value="{}")
                return None
            return Timeline(tuple(sorted(changes, key=lambda c: c[0])))
        number = self.amount(value, node.line_of(key), key, decimals)
        return None if number is None else Timeline.constant(number)
