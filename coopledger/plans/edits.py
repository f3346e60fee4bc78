"""Edits of members.yaml and rules.yaml by command, checked like every other write.

`plan_member_edit` rewrites one member's block (name, e-mails, kind);
`plan_rules_set` writes one value of rules.yaml in place, keeping its comments:

    >>> print(with_value("limits:\\n  person:\\n    floor: -500  # n\\n", "limits.person.floor",
    ...                  "-600"), end="")
    limits:
      person:
        floor: -600  # n

Each returns a `store.Change` only when the new files parse and the ledger has
no new error under them; otherwise CoopError, and nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from coopledger.git.gitrepo import Identity
from coopledger.model.members import MEMBERS_FILE, parse_members, with_member_replaced
from coopledger.model.plaintext import checked_text
from coopledger.model.problems import CoopError
from coopledger.model.rules import RULES_FILE, parse_rules
from coopledger.model.yamlfile import YamlMap, load_yaml, quote
from coopledger.plans.changes import _members_change, known_member, usable
from coopledger.plans.changes import validate_emails as _validate_emails
from coopledger.plans.writes import new_problems
from coopledger.storage.store import Change, Cooperative
from coopledger.validation.checks import check_ledger

_KEY_PART = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def plan_member_edit(
    coop: Cooperative,
    member_id: str,
    *,
    name: str | None,
    emails: Sequence[str] | None,
    add_emails: Sequence[str],
    kind: str | None,
    author: Identity,
) -> Change:
    """A member's name, e-mail addresses (`emails` replaces them, `add_emails` adds
    to them) or kind, changed in members.yaml."""
    rules, roster = usable(coop)
    member = known_member(roster, member_id)
    changed = member
    if name is not None:
        checked_text(name, "name")
        changed = replace(changed, name=name.strip())
    if emails is not None or add_emails:
        wanted = [*(member.emails if emails is None else emails), *add_emails]
        _validate_emails(wanted)
        unique = tuple(dict.fromkeys(e.strip() for e in wanted))
        for email in unique:
            other = roster.by_email(email)
            if other is not None and other.id != member_id:
                raise CoopError("email-taken", email=email, member=other.id)
        changed = replace(changed, emails=unique)
    if kind is not None:
        if kind not in rules.kinds:
            raise CoopError("bad-kind", kind=kind, kinds=", ".join(rules.kinds))
        changed = replace(changed, kind=kind)
    if changed == member:
        raise CoopError("edit-nothing-to-change", member=member_id)
    text = (coop.root / MEMBERS_FILE).read_text(encoding="utf-8")
    new_text = with_member_replaced(text, changed, rules.decimals)
    what = [
        field
        for field, old, new in (
            ("name", member.name, changed.name),
            ("e-mails", member.emails, changed.emails),
            ("kind", member.kind, changed.kind),
        )
        if old != new
    ]
    return _members_change(coop, new_text, f"member: edit {member_id} ({', '.join(what)})", author)


def yaml_value(value: str) -> str:
    """How `value` is written in rules.yaml: a number or a word as it is, other
    text quoted when YAML needs it."""
    if _PLAIN_NUMBER.fullmatch(value) or value in ("true", "false"):
        return value
    return quote(value)


def with_value(text: str, key: str, value: str) -> str:
    """rules.yaml `text` with the dotted `key` (limits.person.floor) set to `value`
    (already YAML), in place when it is there (its comment kept), else added at
    the end of the mapping that holds it. CoopError when `key` names a list or a
    mapping, or goes through something that is not a mapping."""
    parts = key.split(".")
    if not all(_KEY_PART.fullmatch(part) for part in parts):
        raise CoopError("rules-set-bad-key", key=key)
    doc, problems = load_yaml(text, RULES_FILE)
    if problems or not isinstance(doc, YamlMap):
        raise CoopError("change-refused", problems=tuple(problems))
    lines = text.splitlines(keepends=True)
    node: YamlMap = doc
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if part not in node:
            indent = _indent_of(lines, node, depth)
            at = _end_of(lines, node) if node is not doc else len(lines)
            missing = parts[depth:]
            added = [
                f"{' ' * (indent + 2 * n)}{p}:{'' if n < len(missing) - 1 else ' ' + value}\n"
                for n, p in enumerate(missing)
            ]
            if at and not lines[at - 1].endswith("\n"):
                lines[at - 1] += "\n"
            return "".join([*lines[:at], *added, *lines[at:]])
        child = node[part]
        if last:
            if isinstance(child, (dict, list)):
                raise CoopError("rules-set-not-a-value", key=key)
            index = node.line_of(part) - 1
            line = lines[index]
            found = re.match(rf"(\s*{re.escape(part)}\s*:\s*)(.*?)(\s+#.*)?(\r?\n)?$", line)
            if found is None:
                raise CoopError("rules-set-not-a-value", key=key)
            head, _, comment, end = found.groups()
            lines[index] = f"{head}{value}{comment or ''}{end or ''}"
            return "".join(lines)
        if not isinstance(child, YamlMap):
            raise CoopError("rules-set-not-a-value", key=".".join(parts[: depth + 1]))
        node = child
    raise AssertionError(key)  # pragma: no cover - the loop returns


def _indent_of(lines: Sequence[str], node: YamlMap, depth: int) -> int:
    """The indentation of the keys of `node`."""
    if not node:
        return 2 * depth
    first = lines[node.line_of(next(iter(node))) - 1]
    return len(first) - len(first.lstrip(" "))


def _end_of(lines: Sequence[str], node: YamlMap) -> int:
    """The index of the line after the last line of the mapping `node` (blank
    lines and comments after it are not its own)."""
    indent = _indent_of(lines, node, 0)
    end = max(node.line_of(k) for k in node)  # the line after the last key's line
    last = end
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        end += 1
        if not stripped or stripped.startswith("#"):
            continue
        inner = len(line) - len(line.lstrip(" "))
        if inner > indent or (inner == indent and stripped.startswith("-")):
            last = end
            continue
        break
    return last


def plan_rules_set(coop: Cooperative, key: str, value: str, author: Identity) -> Change:
    """rules.yaml with `key` set to `value`, when the rules, the members and the
    ledger are still right under it."""
    usable(coop)
    checked_text(value, "value")
    text = (coop.root / RULES_FILE).read_text(encoding="utf-8")
    new_text = with_value(text, key, yaml_value(value))
    if new_text == text:
        raise CoopError("rules-set-unchanged", key=key, value=value)
    rules, problems = parse_rules(new_text)
    errors = [p for p in problems if p.is_error]
    if rules is None or errors:
        raise CoopError("change-refused", problems=tuple(errors or problems))
    members_text = (coop.root / MEMBERS_FILE).read_text(encoding="utf-8")
    roster, member_problems = parse_members(members_text, rules)
    if roster is None:
        raise CoopError("change-refused", problems=tuple(member_problems))
    after = check_ledger(coop.entries, roster, rules, str(coop.root))
    new_errors, warnings = new_problems(coop, [*member_problems, *after])
    if new_errors:
        raise CoopError("change-refused", problems=tuple(new_errors))
    return Change({RULES_FILE: new_text}, f"rules: set {key} to {value}", author, tuple(warnings))
