"""Counts in words: '1 trade', '2 trades', '1 entry', '3 entries'.

>>> plural(1, "trade"), plural(0, "trade"), plural(3, "entry", "entries")
('1 trade', '0 trades', '3 entries')
"""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """`count` and the word, singular for exactly one."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
