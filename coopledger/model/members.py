"""members.yaml: who belongs to the cooperative.

    members:
      - id: alice                   # lowercase handle: a-z, 0-9, hyphen
        name: Alice Martin          # any Unicode
        kind: person                # one of the kinds under `limits` in rules.yaml
        joined: 2024-03-01
        emails: [alice@example.org] # the git identities the member commits with
        roles: [treasurer]
        floor: -600                 # optional: overrides the kind's floor
        ceiling: {2024-03-01: 1000, 2026-12-01: 1500}   # or a limit that changes
        status: {2025-06-01: suspended, 2025-09-01: active}
        signing_keys:               # optional: SSH public keys the member signs with
          - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... alice@laptop

A member without `status` is active from `joined` on; `status` maps dates to
`active`, `suspended` or `left`. A member's floor above its ceiling on any
date (its own limits, or its own against its kind's) is a problem. From the day
a member is suspended or leaves, nothing they write is accepted
(`writes_refused`), whatever their roles.
`signing_keys` tie signatures to members: `check --require-signed` accepts a
commit only when it is signed with a key of the member its author e-mail names
(`allowed_signers`).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from coopledger.model.accounts import MEMBER_ID_PATTERN, is_reserved_id, member_account
from coopledger.model.money import format_amount
from coopledger.model.problems import Problem
from coopledger.model.rules import KindLimits, Rules, floor_above_ceiling
from coopledger.model.schema import FieldReader
from coopledger.model.timeline import BEGINNING, Timeline
from coopledger.model.yamlfile import YamlList, YamlMap, load_yaml, quote

MEMBERS_FILE = "members.yaml"
STATUSES = ["active", "suspended", "left"]
MEMBER_KEYS = [
    "id",
    "name",
    "kind",
    "joined",
    "emails",
    "roles",
    "floor",
    "ceiling",
    "status",
    "signing_keys",
]
NOT_JOINED = "not-joined"
NOT_WRITING = ("suspended", "left")  # statuses under which a member may no longer write
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
PRINCIPAL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+")  # no pattern characters (*?!,)


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    kind: str
    joined: datetime.date
    emails: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    floor: Timeline[Decimal] | None = None
    ceiling: Timeline[Decimal] | None = None
    status: Timeline[str] | None = None
    line: int = 0
    signing_keys: tuple[str, ...] = ()

    @property
    def account(self) -> str:
        return member_account(self.id)

    def status_at(self, day: datetime.date) -> str:
        """The member's status on `day`. The day a member leaves is still their own
        (the trade that brings the balance to zero is often dated that day): they
        have left from the next day on."""
        if day < self.joined:
            return NOT_JOINED
        status = (self.status.at(day) if self.status else None) or "active"
        if status == "left" and self.status is not None and (day, "left") in self.status.changes:
            return (
                self.status_at(day - datetime.timedelta(days=1)) if day > self.joined else "active"
            )
        return status

    @property
    def current_status(self) -> str:
        return (self.status.last if self.status else None) or "active"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def status_since(self, day: datetime.date) -> datetime.date:
        """The day the status in force on `day` began (the joining day if none)."""
        changes = [d for d, _ in (self.status.changes if self.status else ()) if d <= day]
        return max([self.joined, *changes])

    def writes_refused(self, *days: datetime.date) -> tuple[str, datetime.date] | None:
        """(status, since) if on any of `days` the member is suspended or has left,
        the first such day's; None when the member may write on all of them."""
        for day in days:
            status = self.status_at(day)
            if status in NOT_WRITING:
                return status, self.status_since(day)
        return None

    def with_status(self, day: datetime.date, status: str) -> Member:
        timeline = self.status or Timeline(())
        return replace(self, status=timeline.changed(day, status))


@dataclass(frozen=True)
class Roster:
    """All members, in file order, with the item lines to edit the file in place."""

    members: tuple[Member, ...]
    by_id: dict[str, Member] = field(default_factory=dict)

    @classmethod
    def of(cls, members: list[Member]) -> Roster:
        return cls(tuple(members), {m.id: m for m in members})

    def get(self, member_id: str) -> Member | None:
        return self.by_id.get(member_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def by_email(self, email: str) -> Member | None:
        wanted = email.strip().lower()
        for member in self.members:
            if wanted in (e.lower() for e in member.emails):
                return member
        return None

    def with_role(self, role: str) -> list[Member]:
        return [m for m in self.members if m.has_role(role)]


def parse_members(
    text: str, rules: Rules | None, filename: str = MEMBERS_FILE
) -> tuple[Roster | None, list[Problem]]:
    """Read members.yaml; return the roster, or None with every problem found."""
    doc, problems = load_yaml(text, filename)
    if problems:
        return None, problems
    reader = FieldReader(filename)
    if doc is None:
        doc = YamlMap(members=YamlList())
        doc.line, doc.key_lines, doc["members"].item_lines = 1, {}, []
    if not isinstance(doc, YamlMap):
        reader.problem("yaml-not-a-mapping", 1, what="members")
        return None, reader.problems
    reader.check_keys(doc, ["members"], "members.yaml")
    items = doc.get("members")
    if items is None:
        items = YamlList()
        items.line, items.item_lines = doc.line, []
    if not isinstance(items, YamlList):
        reader.problem("yaml-wrong-type", doc.line_of("members"), key="members", expected="list")
        return None, reader.problems
    decimals = rules.decimals if rules else None
    members: list[Member] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, str] = {}
    for index, item in enumerate(items):
        line = items.line_of(index)
        if not isinstance(item, YamlMap):
            reader.problem("yaml-wrong-type", line, key="members", expected="mapping")
            continue
        member = _read_member(reader, item, rules, decimals)
        if member is None:
            continue
        if is_reserved_id(member.id):
            reader.problem("member-id-reserved", item.line_of("id"), member=member.id)
            continue
        if member.id in seen_ids:
            reader.problem(
                "member-duplicate-id",
                item.line_of("id"),
                member=member.id,
                first_line=str(seen_ids[member.id]),
            )
            continue
        seen_ids[member.id] = item.line_of("id")
        for email in member.emails:
            owner = seen_emails.get(email.lower())
            if owner is not None and owner != member.id:
                reader.problem(
                    "member-duplicate-email",
                    item.line_of("emails"),
                    email=email,
                    member=member.id,
                    other=owner,
                )
            seen_emails[email.lower()] = member.id
        members.append(member)
    if reader.problems:
        return None, reader.problems
    return Roster.of(members), []


def _read_member(
    reader: FieldReader, item: YamlMap, rules: Rules | None, decimals: int | None
) -> Member | None:
    before = len(reader.problems)
    reader.check_keys(item, MEMBER_KEYS, "a member")
    member_id = reader.text(item, "id", pattern=MEMBER_ID_PATTERN)
    name = reader.text(item, "name")
    kinds = rules.kinds if rules else None
    kind = reader.choice(item, "kind", kinds) if kinds else reader.text(item, "kind")
    joined = reader.day(item, "joined")
    emails = _text_list(reader, item, "emails")
    roles = _text_list(reader, item, "roles")
    floor = reader.amount_timeline(item, "floor", decimals, required=False)
    ceiling = reader.amount_timeline(item, "ceiling", decimals, required=False)
    status = _status_timeline(reader, item)
    signing_keys = _text_list(reader, item, "signing_keys")
    for key in signing_keys:
        if ssh_public_key(key) is None:
            reader.problem("member-bad-signing-key", item.line_of("signing_keys"), value=key)
    if len(reader.problems) > before:
        return None
    if floor is not None or ceiling is not None:
        kind_limits = rules.limits.get(str(kind)) if rules else None
        _check_own_limits(reader, item, str(member_id), floor, ceiling, kind_limits)
    assert member_id and name and kind and joined
    return Member(
        id=member_id,
        name=name,
        kind=kind,
        joined=joined,
        emails=tuple(emails),
        roles=tuple(roles),
        floor=floor,
        ceiling=ceiling,
        status=status,
        line=item.line,
        signing_keys=tuple(signing_keys),
    )


def _check_own_limits(
    reader: FieldReader,
    item: YamlMap,
    member_id: str,
    floor: Timeline[Decimal] | None,
    ceiling: Timeline[Decimal] | None,
    kind: KindLimits | None,
) -> None:
    """A problem when the member's floor is above its ceiling on some date, its
    own limits winning over its kind's from the first date they are set."""
    low = _merged(floor, kind.floor if kind else None)
    high = _merged(ceiling, kind.ceiling if kind else None)
    crossed = floor_above_ceiling(low, high) if low and high else None
    if crossed is not None:
        day, low_value, high_value = crossed
        reader.problem(
            "limits-floor-above-ceiling",
            item.line_of("floor" if floor is not None else "ceiling"),
            who=f"the member '{member_id}'",
            floor=str(low_value),
            ceiling=str(high_value),
            date="from the beginning" if day == BEGINNING else f"from {day.isoformat()}",
        )


def _merged(
    own: Timeline[Decimal] | None, kind: Timeline[Decimal] | None
) -> Timeline[Decimal] | None:
    """The limit in force (as `coopledger.model.limits`): the kind's until the member's own
    first date, then the member's own."""
    if own is None or not own.changes:
        return kind
    start = own.changes[0][0]
    before = tuple(c for c in (kind.changes if kind else ()) if c[0] < start)
    return Timeline((*before, *own.changes))


def ssh_public_key(text: str) -> str | None:
    """`TYPE BASE64` of an SSH public key line (`ssh-ed25519 AAAA... comment`, as
    in a `.pub` file), its comment dropped; None when `text` is no such key."""
    parts = text.split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    size = int.from_bytes(blob[:4], "big") if len(blob) > 4 else 0
    if blob[4 : 4 + size] != parts[0].encode("ascii"):  # the blob names its own type
        return None
    return f"{parts[0]} {parts[1]}"


def allowed_signers(member: Member | None, email: str) -> str:
    """git's allowed-signers text that lets `email`, one of `member`'s addresses,
    sign with the member's `signing_keys` and with nothing else ("" when none)."""
    if member is None:
        return ""
    wanted = email.strip().lower()
    principals = [e for e in member.emails if e.lower() == wanted and PRINCIPAL.fullmatch(e)]
    keys = [k for k in (ssh_public_key(text) for text in member.signing_keys) if k]
    return "".join(f'{p} namespaces="git" {k}\n' for p in principals for k in keys)


def _text_list(reader: FieldReader, item: YamlMap, key: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, YamlList) or not all(isinstance(v, str) for v in value):
        reader.problem("yaml-wrong-type", item.line_of(key), key=key, expected="list of text")
        return []
    return [v.strip() for v in value]


def _status_timeline(reader: FieldReader, item: YamlMap) -> Timeline[str] | None:
    value = item.get("status")
    if value is None:
        return None
    if isinstance(value, str):
        if value not in STATUSES:
            reader.problem(
                "yaml-bad-choice",
                item.line_of("status"),
                key="status",
                value=value,
                choices=", ".join(STATUSES),
            )
            return None
        joined = item.get("joined")
        day = joined if isinstance(joined, datetime.date) else datetime.date(1, 1, 1)
        return Timeline(((day, value),))
    if not isinstance(value, YamlMap):
        reader.problem("yaml-wrong-type", item.line_of("status"), key="status", expected="mapping")
        return None
    changes: list[tuple[datetime.date, str]] = []
    for when, status in value.items():
        line = value.line_of(when)
        if isinstance(when, datetime.datetime) or not isinstance(when, datetime.date):
            reader.problem("yaml-bad-date", line, key="status", value=str(when))
        elif status not in STATUSES:
            reader.problem(
                "yaml-bad-choice",
                line,
                key="status",
                value=str(status),
                choices=", ".join(STATUSES),
            )
        else:
            changes.append((when, str(status)))
    return Timeline(tuple(sorted(changes, key=lambda c: c[0])))


def _render_timeline(timeline: Timeline[Decimal], decimals: int) -> str:
    if timeline.is_constant:
        return format_amount(timeline.changes[0][1], decimals)
    inner = ", ".join(f"{d.isoformat()}: {format_amount(v, decimals)}" for d, v in timeline.changes)
    return "{" + inner + "}"


def render_member(member: Member, decimals: int) -> str:
    """The canonical YAML block of one member, as `coopledger member` writes it."""
    lines = [
        f"  - id: {member.id}",
        f"    name: {quote(member.name)}",
        f"    kind: {member.kind}",
        f"    joined: {member.joined.isoformat()}",
    ]
    if member.emails:
        lines.append(f"    emails: [{', '.join(quote(e) for e in member.emails)}]")
    if member.roles:
        lines.append(f"    roles: [{', '.join(quote(r) for r in member.roles)}]")
    if member.floor is not None:
        lines.append(f"    floor: {_render_timeline(member.floor, decimals)}")
    if member.ceiling is not None:
        lines.append(f"    ceiling: {_render_timeline(member.ceiling, decimals)}")
    if member.status is not None and member.status.changes:
        inner = ", ".join(f"{d.isoformat()}: {s}" for d, s in member.status.changes)
        lines.append(f"    status: {{{inner}}}")
    if member.signing_keys:
        lines.append("    signing_keys:")
        lines.extend(f"      - {quote(key)}" for key in member.signing_keys)
    return "\n".join(lines) + "\n"


def members_header(coop_name: str) -> str:
    return (
        f"# Members of {coop_name}. Change them with `coopledger member ...`,\n"
        "# or by hand: see 'coopledger help rules' for every key.\n"
        "members:\n"
    )


def with_member_added(text: str, member: Member, decimals: int) -> str:
    """members.yaml text with `member` appended at the end of the list."""
    body = text if text.endswith("\n") or not text else text + "\n"
    if "members:" not in body:
        body += "members:\n"
    body = body.replace("members: []\n", "members:\n")
    return body + render_member(member, decimals)


def with_member_replaced(text: str, member: Member, decimals: int) -> str:
    """members.yaml text with the block of `member.id` rewritten in place.

    Comments and other members' blocks are kept as they are.
    """
    doc, _ = load_yaml(text, MEMBERS_FILE)
    items: YamlList = doc["members"]
    lines = text.splitlines(keepends=True)
    for index, item in enumerate(items):
        if isinstance(item, YamlMap) and item.get("id") == member.id:
            start = items.line_of(index) - 1
            end = items.item_lines[index + 1] - 1 if index + 1 < len(items) else len(lines)
            # keep trailing comments and blank lines that follow the block
            while end > start + 1 and (
                not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
            ):
                end -= 1
            return "".join([*lines[:start], render_member(member, decimals), *lines[end:]])
    raise KeyError(member.id)
