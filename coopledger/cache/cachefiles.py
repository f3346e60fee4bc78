"""Where the validated-state cache lives, and a file format for it that runs no code.

The snapshot (`coopledger.cache.snapshot`) and the report figures kept with it
(`coopledger.cache.aggregates`) are a cache of what a full check found. They are not
part of the cooperative's files: a pull request may hold any file, and a cache
read from the working tree would let it choose what the next command believes
(or, were it a pickle, run its code on every machine that pulls it). So the
cache lives per user, outside the repository, like pre-commit's or mypy's:

    $COOPLEDGER_CACHE_DIR/<key>           (when set: tests, CI)
    $XDG_CACHE_HOME/coopledger/<key>      (else)
    ~/.cache/coopledger/<key>             (else)

where <key> is a digest of the repository's real path, so two clones never
share one. Nothing under `.coopledger/` in the working tree is ever read as a
cache. The folder is made private (0700) and is not used when another user
owns it.

Its files are JSON written by `dumps` and read by `loads`: plain values, plus
a few tagged ones (Decimal, date, tuple, set, dicts with any keys) and the
instances of an allow-list of dataclasses, each field checked against the
field's declared type. Anything else (an unknown tag or class, a field of the
wrong type, a number that is not finite) is `CacheInvalid`, and the command
does the full read: a cache file from elsewhere can make a command slower,
never change what it finds.

    >>> import datetime
    >>> from decimal import Decimal
    >>> loads(dumps({datetime.date(2026, 11, 2): (Decimal("1.50"), None)}))
    {datetime.date(2026, 11, 2): (Decimal('1.50'), None)}
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import enum
import hashlib
import json
import os
import tempfile
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

CACHE_ENV = "COOPLEDGER_CACHE_DIR"


class CacheInvalid(ValueError):
    """A cache file that is not what this version of coopledger writes."""


# ---------------------------------------------------------------- where


def cache_root() -> Path | None:
    """The folder that holds the caches of every cooperative of this user (None: no home)."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(os.path.abspath(given))
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "coopledger"
    try:
        return Path.home() / ".cache" / "coopledger"
    except RuntimeError:
        return None


def cache_dir(root: Path) -> Path | None:
    """The cache folder of the cooperative at `root` (None: nowhere to keep one)."""
    base = cache_root()
    if base is None:
        return None
    real = os.path.realpath(root)
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:24]
    return base / f"{os.path.basename(real) or 'root'}-{digest}"


def usable(folder: Path) -> bool:
    """Whether `folder` may be read as this user's cache: a real folder (not a
    link), owned by this user, that nobody else may write in."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    import stat

    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def write_file(path: Path, payload: bytes) -> None:
    """Write `path` whole or not at all (a temporary file renamed over it); its
    folders are made private."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def read_file(path: Path) -> bytes | None:
    """The bytes of a cache file, or None when it is missing or unreadable;
    a link is not followed."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            return handle.read()
        except OSError:
            return None


# ---------------------------------------------------------------- what


def _allowed() -> dict[str, type]:
    """The dataclasses (and enums) a cache file may hold, by name."""
    from coopledger.model.members import Member
    from coopledger.model.months import Month
    from coopledger.model.problems import Problem, Severity
    from coopledger.model.rules import (
        ContributionRule,
        Contributions,
        CoopAccount,
        DemurrageRule,
        KindLimits,
        LevyRule,
        Rules,
    )
    from coopledger.model.timeline import Timeline
    from coopledger.validation.checks import CarriedMoves, DayMoves

    classes: list[type] = [
        DayMoves,
        CarriedMoves,
        Member,
        Month,
        Problem,
        Severity,
        ContributionRule,
        Contributions,
        CoopAccount,
        DemurrageRule,
        KindLimits,
        LevyRule,
        Rules,
        Timeline,
    ]
    return {cls.__name__: cls for cls in classes}


_ALLOWED: dict[str, type] = {}
_DECLARED: dict[str, type] = {}


def allow(*classes: type) -> None:
    """Let cache files hold `classes` too: a module above this one that caches
    its own dataclasses (`aggregates.MonthFigures`) declares them, so that this
    module never imports it."""
    _DECLARED.update((cls.__name__, cls) for cls in classes)
    _ALLOWED.clear()


def _classes() -> dict[str, type]:
    if not _ALLOWED:
        _ALLOWED.update(_allowed())
        _ALLOWED.update(_DECLARED)
    return _ALLOWED


def dumps(value: object) -> bytes:
    """`value` as the JSON of a cache file."""
    return json.dumps(_plain(value), separators=(",", ":")).encode("utf-8")


def loads(payload: bytes) -> Any:
    """The value `dumps` wrote, or CacheInvalid."""
    try:
        return json.loads(payload, object_hook=_tagged, parse_float=_no_float)
    except CacheInvalid:
        raise
    except (ValueError, TypeError, KeyError, InvalidOperation, RecursionError) as error:
        raise CacheInvalid(str(error)) from None


def loads_as(payload: bytes, hint: Any) -> Any:
    """`loads`, and CacheInvalid unless the value is of type `hint`."""
    value = loads(payload)
    if not conforms(value, hint):
        raise CacheInvalid(f"not a {hint}")
    return value


def _no_float(text: str) -> float:
    raise CacheInvalid("a float in a cache file")


def _plain(value: object) -> Any:
    if value is None or (isinstance(value, bool | int) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return {"$e": [type(value).__name__, value.value]}
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, datetime.datetime):
        raise TypeError("a datetime in a cache file")
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$t": [_plain(item) for item in value]}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset):
        return {"$fs": [_plain(item) for item in value]}
    if isinstance(value, set):
        return {"$s": [_plain(item) for item in value]}
    if isinstance(value, Mapping):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            values = list(value.values())
            if values and all(type(v) is Decimal for v in values):
                return {"$dm": {k: str(v) for k, v in value.items()}}
            if values and all(type(v) is datetime.date for v in values):
                return {"$dtm": {k: v.isoformat() for k, v in value.items()}}
            return {k: _plain(v) for k, v in value.items()}
        return {"$m": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _classes().get(name) is not type(value):
            raise TypeError(f"{name} is not a class a cache file may hold")
        fields = [
            [f.name, _plain(getattr(value, f.name))] for f in dataclasses.fields(value) if f.init
        ]
        return {"$o": name, "f": fields}
    raise TypeError(f"{type(value).__name__} in a cache file")


def _tagged(obj: dict[str, Any]) -> Any:
    """A tag is an object with one key (or "$o" and "f"); any other object is a
    mapping of strings (`_plain` writes a mapping with such keys as "$m")."""
    if len(obj) == 1:
        ((tag, value),) = obj.items()
        if tag == "$d" and isinstance(value, str):
            number = Decimal(value)
            if not number.is_finite():
                raise CacheInvalid("a number that is not finite")
            return number
        if tag == "$date" and isinstance(value, str):
            return datetime.date.fromisoformat(value)
        if tag == "$dm" and isinstance(value, dict):
            numbers = {k: Decimal(v) for k, v in value.items() if isinstance(v, str)}
            if len(numbers) != len(value) or not all(n.is_finite() for n in numbers.values()):
                raise CacheInvalid("a mapping of numbers that are not all finite numbers")
            return numbers
        if tag == "$dtm" and isinstance(value, dict):
            if not all(isinstance(v, str) for v in value.values()):
                raise CacheInvalid("a mapping of dates that are not all dates")
            return {k: datetime.date.fromisoformat(v) for k, v in value.items()}
        if isinstance(value, list):
            if tag == "$t":
                return tuple(value)
            if tag == "$m":
                return {k: v for k, v in _pairs(value)}
            if tag == "$s":
                return set(value)
            if tag == "$fs":
                return frozenset(value)
            if tag == "$e" and len(value) == 2:
                cls = _classes().get(value[0]) if isinstance(value[0], str) else None
                if cls is None or not issubclass(cls, enum.Enum):
                    raise CacheInvalid("an unknown enum")
                return cls(value[1])
        if not tag.startswith("$"):
            return obj
    elif len(obj) == 2 and "$o" in obj:
        if isinstance(obj["$o"], str) and isinstance(obj.get("f"), list):
            return _instance(obj["$o"], obj["f"])
    else:
        return obj
    raise CacheInvalid("an unknown tag")


def _pairs(value: list[Any]) -> list[tuple[Any, Any]]:
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in value):
        raise CacheInvalid("a mapping that is not a list of pairs")
    return [(k, v) for k, v in value]


def _instance(name: str, fields: list[Any]) -> Any:
    cls = _classes().get(name)
    if cls is None or not dataclasses.is_dataclass(cls):
        raise CacheInvalid(f"{name} is not a class a cache file may hold")
    hints = _hints(cls)
    values = dict(_pairs(fields))
    for key, value in values.items():
        if key not in hints or not conforms(value, hints[key]):
            raise CacheInvalid(f"{name}.{key} is not what it should be")
    return cls(**values)


@cache
def _hints(cls: type) -> dict[str, Any]:
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    try:
        hints = typing.get_type_hints(cls)
    except NameError as error:  # an annotation only a type checker can read
        raise CacheInvalid(f"{cls.__name__}: {error}") from None
    return {k: v for k, v in hints.items() if k in init}


def _plain_class(hint: Any) -> bool:
    return hint in (str, int, Decimal, datetime.date)


def conforms(value: Any, hint: Any) -> bool:
    """Whether `value` is of the type `hint` (as the annotations write it)."""
    try:
        check = _checker(hint)
    except TypeError:  # a hint that cannot be a key: judged without a checker kept
        return _conforms(value, hint)
    return check(value)


@cache
def _checker(hint: Any) -> Callable[[Any], bool]:
    """`conforms` for one `hint`, its reading of the annotation done once (a
    snapshot read checks thousands of fields against a few hints)."""
    if hint is Any or isinstance(hint, typing.TypeVar):
        return lambda value: True
    if hint is None or hint is type(None):
        return lambda value: value is None
    origin = typing.get_origin(hint)
    if origin is None:
        if hint is int:
            return lambda value: isinstance(value, int) and not isinstance(value, bool)
        if not isinstance(hint, type):
            return lambda value: False
        return lambda value: isinstance(value, hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        checks = [_checker(arg) for arg in args]
        return lambda value: any(check(value) for check in checks)
    if origin is typing.Literal:
        return lambda value: value in args
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _checker(args[0])
            return lambda value: isinstance(value, tuple) and all(map(item, value))
        items = [_checker(arg) for arg in args]
        return lambda value: (
            isinstance(value, tuple)
            and len(value) == len(items)
            and all(check(part) for check, part in zip(items, value, strict=False))
        )
    if origin in (list, set, frozenset):
        if _plain_class(args[0]):  # the common case, without a call per item
            plain = {args[0]}
            return lambda value: isinstance(value, origin) and set(map(type, value)) <= plain
        item = _checker(args[0])
        return lambda value: isinstance(value, origin) and all(map(item, value))
    if origin in (dict, Mapping):
        if _plain_class(args[0]) and _plain_class(args[1]):
            keys, values = {args[0]}, {args[1]}
            return lambda value: (
                isinstance(value, dict)
                and set(map(type, value)) <= keys
                and set(map(type, value.values())) <= values
            )
        key_of, value_of = _checker(args[0]), _checker(args[1])
        return lambda value: (
            isinstance(value, dict) and all(key_of(k) and value_of(v) for k, v in value.items())
        )
    return lambda value: isinstance(origin, type) and isinstance(value, origin)


def _conforms(value: Any, hint: Any) -> bool:
    """`conforms`, reading `hint` anew (a hint that cannot be kept as a key)."""
    if hint is Any or isinstance(hint, typing.TypeVar):
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is None:
        if hint is int:
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(hint, type) and isinstance(value, hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(conforms(item, args[0]) for item in value)
        return len(value) == len(args) and all(map(conforms, value, args))
    if origin in (list, set, frozenset):
        if not isinstance(value, origin):
            return False
        if _plain_class(args[0]):  # the common case, without a call per item
            return set(map(type, value)) <= {args[0]}
        return all(conforms(item, args[0]) for item in value)
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            return False
        if _plain_class(args[0]) and _plain_class(args[1]):
            key, item = args
            return set(map(type, value)) <= {key} and set(map(type, value.values())) <= {item}
        return all(conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items())
    return isinstance(origin, type) and isinstance(value, origin)
