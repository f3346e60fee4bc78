"""Paths as problems show them: relative to the cooperative's root.

    >>> relative("/coop/journal/2026/11/alice.beancount", "/coop")
    'journal/2026/11/alice.beancount'

The one place that turns beancount's absolute `filename` into what a user
reads; every layer may import it (it imports nothing of coopledger).
"""

from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=1 << 16)  # a month's files at 1M trades: 20,000
def relative(path: str | None, root: str) -> str | None:
    """`path` relative to the cooperative's root (asked once per posting).

    A path beancount made up (`<string>`, `<import>`) stays as it is. A plain
    path under a plain root is cut, not computed (`os.path.relpath` takes
    20 µs, and one file per entry makes as many paths as entries)."""
    if path is None or path.startswith("<"):
        return path
    prefix = _prefix(root)
    if (
        prefix is not None
        and path.startswith(prefix)
        and not path.endswith(os.sep)
        and os.sep * 2 not in path
        and f"{os.sep}." not in path[len(prefix) - 1 :]
    ):
        return path[len(prefix) :]
    return _computed(path, root)


@functools.lru_cache(maxsize=64)
def _prefix(root: str) -> str | None:
    """`root` and a separator, when `root` is absolute and normalised, else None."""
    if os.path.isabs(root) and os.path.normpath(root) == root and root != os.sep:
        return root + os.sep
    return None


@functools.lru_cache(maxsize=4096)
def _computed(path: str, root: str) -> str:
    try:
        return os.path.relpath(path, root)
    except ValueError:  # pragma: no cover - another drive on Windows
        return path
