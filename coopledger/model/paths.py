"""Paths as problems show them: relative to the cooperative's root.

    >>> relative("/coop/journal/2026/11/alice.beancount", "/coop")
    'journal/2026/11/alice.beancount'

The one place that turns beancount's absolute `filename` into what a user
reads; every layer may import it (it imports nothing of coopledger).
"""

from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=4096)
def relative(path: str | None, root: str) -> str | None:
    """`path` relative to the cooperative's root (asked once per posting: cached).

    A path beancount made up (`<string>`, `<import>`) stays as it is."""
    if path is None or path.startswith("<"):
        return path
    try:
        return os.path.relpath(path, root)
    except ValueError:  # pragma: no cover - another drive on Windows
        return path
