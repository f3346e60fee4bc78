"""Member ids and their beancount accounts.

A member id is a lowercase handle (a-z, 0-9, hyphen). Its account is
`Assets:Members:` followed by the id with its first letter in capitals, since
beancount account names start with a capital or a digit:

    >>> member_account("alice"), member_account("jean-luc"), member_account("3d-print")
    ('Assets:Members:Alice', 'Assets:Members:Jean-luc', 'Assets:Members:3d-print')
    >>> member_of_account("Assets:Members:Jean-luc")
    'jean-luc'

A positive balance means the cooperative owes the member (it has earned more
than it spent); a negative one, that the member owes the cooperative.
"""

from __future__ import annotations

import functools
import re

MEMBERS_ROOT = "Assets:Members"
MEMBER_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,39}"
_MEMBER_ID = re.compile(MEMBER_ID_PATTERN)


# A member's entries go to journal/YYYY/MM/<id>.beancount, so no id may be the
# name of a file coopledger writes itself, there or elsewhere in journal/
# (close.beancount, clearing.beancount, _month, _rules, main.beancount, the
# folder coop/ and its currency.beancount): `member add close` would have
# `close` overwrite its trades. Compared case-insensitively, for file systems
# that are. tests/test_write_path.py checks that the list matches the code.
RESERVED_MEMBER_IDS = frozenset(
    {"close", "clearing", "_month", "_rules", "main", "coop", "currency"}
)


def is_member_id(text: str) -> bool:
    return bool(_MEMBER_ID.fullmatch(text))


def is_reserved_id(text: str) -> bool:
    """Whether `text` is the name of one of coopledger's own files (`RESERVED_MEMBER_IDS`).

    >>> is_reserved_id("close"), is_reserved_id("Clearing"), is_reserved_id("closet")
    (True, True, False)
    """
    return text.lower() in RESERVED_MEMBER_IDS


def member_account(member_id: str) -> str:
    return f"{MEMBERS_ROOT}:{member_id[:1].upper()}{member_id[1:]}"


RECEIVABLE_ROOT = "Assets:Receivable"
PAYABLE_ROOT = "Liabilities:Payable"


def receivable_account(member_id: str) -> str:
    """What others owe `member_id` on open invoices (it is their creditor)."""
    return f"{RECEIVABLE_ROOT}:{member_id[:1].upper()}{member_id[1:]}"


def payable_account(member_id: str) -> str:
    """What `member_id` owes others on open invoices (it is their debtor)."""
    return f"{PAYABLE_ROOT}:{member_id[:1].upper()}{member_id[1:]}"


@functools.lru_cache(maxsize=1 << 16)  # asked for every posting of every entry
def obligation_of_account(account: str) -> tuple[str, str] | None:
    """("receivable" or "payable", member id) for an invoice account, else None.

    >>> obligation_of_account("Liabilities:Payable:Jean-luc")
    ('payable', 'jean-luc')
    """
    for root, kind, make in (
        (RECEIVABLE_ROOT, "receivable", receivable_account),
        (PAYABLE_ROOT, "payable", payable_account),
    ):
        if account.startswith(root + ":"):
            rest = account[len(root) + 1 :]
            candidate = rest[:1].lower() + rest[1:]
            if is_member_id(candidate) and make(candidate) == account:
                return kind, candidate
    return None


@functools.lru_cache(maxsize=1 << 16)  # asked for every posting of every entry
def member_of_account(account: str) -> str | None:
    """The member id behind an account, or None if it is no member account."""
    prefix = MEMBERS_ROOT + ":"
    if not account.startswith(prefix):
        return None
    rest = account[len(prefix) :]
    if ":" in rest or not rest:
        return None
    candidate = rest[:1].lower() + rest[1:]
    if not is_member_id(candidate) or member_account(candidate) != account:
        return None
    return candidate
