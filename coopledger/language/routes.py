"""How the books were read, in words: what `coopledger --verbose` says.

The ledger returns the route it took (`snapshot`, `open period`, `full`) and, as
values, why each faster route was skipped (`coopledger.ledger.Reason`: a code
and its values); the store counts each read of the journal (`full`, `open
period`). Here are their words, English texts of the catalogue, said in the
reader's language:

    >>> route_line("full", [("no-cache", ())])
    'read: full (no cache asked)'
    >>> loaded_line("open period")
    'loaded: open period'
    >>> kept_line(None)
    'kept: snapshot'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coopledger.i18n import N_, _

# a route of the ledger, and a way the store read the journal
ROUTES = {
    "snapshot": N_("snapshot"),
    "open period": N_("open period"),
    "full": N_("full"),
    # every closed month judged on its own, side by side (`check --no-cache`)
    "along the closes": N_("along the closes"),
    # the open period or everything, read by beancount's loader because a file
    # needed it (`coopledger.storage.journal_load`)
    "by beancount's loader, file by file": N_("by beancount's loader, file by file"),
}

# why a faster route was skipped: `coopledger.ledger` names the codes
REASONS = {
    "no-cache": N_("no cache asked"),
    "snapshot-lacks-balances": N_("the snapshot does not keep the balances at {since}"),
    "tree-differs": N_("no snapshot: the working tree differs from the last commit"),
    "no-snapshot-of-commit": N_("no snapshot matching the last commit"),
    "no-snapshot-of-files": N_("no snapshot matching the files"),
    "no-saved-snapshot": N_("no saved snapshot"),
    "snapshot-stale": N_("the saved snapshot no longer matches the files"),
    "snapshot-lacks-month": N_("the snapshot keeps no figures for {month}"),
    "snapshot-cannot-judge": N_("the snapshot cannot judge this trade: {detail}"),
    "open-period-not-alone": N_("the open period cannot be read alone"),
    "open-period-cannot-answer": N_("the open period cannot answer alone"),
    "open-period-cannot-judge": N_("the open period cannot judge this trade: {detail}"),
    "in-closed-month": N_("{day} is in a closed month"),
    "closed-month-not-alone": N_("a closed month cannot be read alone: {detail}"),
    "revision": N_("the revision {rev}"),
    "open-period-cannot-judge-write": N_(
        "the write has an entry dated {day}, before the open period"
    ),
    "before-open-period": N_("{day} is before the open period"),
    "snapshot-not-kept": N_("{detail}"),
    "along-closes-declined": N_("the closed months cannot be judged one by one: {detail}"),
}

# the cache's own words for what it cannot do (`snapshot.NeedsFullCheck`), said as
# they are when they are not here
DETAILS = (
    N_("account closings"),
    N_("dated in a period with balance assertions"),
    N_("unbalanced entry"),
    N_("trade id hash already seen"),
    N_("the files have problems"),
    N_("a bucket of the snapshot is missing"),
    N_("a bucket of the snapshot is not valid"),
    N_("no id hashes"),
    N_("id hashes of another snapshot"),
    N_("a posting a plain parse does not complete"),
    # why a write left no snapshot (`snapshot.after_change`)
    N_("other files were read than the journal folder holds"),
    N_("the change writes other files than journal files"),
    N_("a written file is not its old entries and new ones"),
    N_("a problem of the files goes away"),
    N_("the change adds another entry than a transaction"),
    N_("the change replaces a folder"),
    # why the check along the closes went back to the full read (`along_closes.Declined`)
    N_("no closed month"),
    N_("one CPU"),
    N_("no process can be forked here"),
    N_("rules.yaml or members.yaml has problems"),
    N_("a month cannot be read alone"),
    N_("an entry outside its month"),
    N_("a close does not carry its month's end"),
    N_("problems found"),
    N_("a trade id in two periods"),
    N_("a process failed"),
)

# a reason as the ledger gives it: (code, ((name, value), ...)), `Reason`'s fields
Said = tuple[str, Sequence[tuple[str, str]]]


def route_word(route: str) -> str:
    return _(ROUTES[route]) if route in ROUTES else route


def reason_text(code: str, params: Iterable[tuple[str, str]]) -> str:
    """One reason in the reader's language; a code without words is said as it is."""
    values = {name: _(value) if name == "detail" else value for name, value in params}
    if code not in REASONS:
        return " ".join([code, *values.values()])
    return _(REASONS[code]).format(**values)


def route_line(route: str, reasons: Iterable[Said] | None) -> str:
    """`read: full (no cache asked; ...)`: the route, and why the faster ones were skipped."""
    said = [reason_text(code, params) for code, params in reasons or ()]
    line = _("read: {route}").format(route=route_word(route))
    return _("{line} ({why})").format(line=line, why="; ".join(said)) if said else line


def kept_line(reason: Said | None) -> str:
    """`kept: snapshot` when a write left the snapshot current for the next
    command, else `kept: no snapshot (why)`."""
    if reason is None:
        return _("kept: snapshot")
    return _("kept: no snapshot ({why})").format(why=reason_text(*reason))


def loaded_line(how: str) -> str:
    """`loaded: full`: one read of the journal, whole or the open period only."""
    return _("loaded: {how}").format(how=route_word(how))
