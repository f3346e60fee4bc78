"""Who may write: the git identity, `--as`, members' status, signing keys.

coopledger commits as the member git is set up as on the machine (git's own
rules: GIT_AUTHOR_* in the environment, then the configuration), never as a
stranger and never as the treasurer by default. A member suspended or gone may
no longer write, through coopledger or through a pull request. With
`--require-signed`, a commit must be signed with a key its author's member
lists in members.yaml.

The `coop` fixture's repository is set up as tresa, the treasurer; each test
sets up the identity it needs (`identity`), or none (`no_identity`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Coop, no_identity

TRESA = ("Trésorière", "tresa@example.org")
ALICE = ("Alice Martin", "alice@example.org")
BOB = ("Bob Durand", "bob@example.org")
EVE = ("Eve", "eve@example.org")
BASE_DATE = "2026-11-25T12:00:00+00:00"  # the base of a pull request, made "today"


def identity(coop: Coop, who: tuple[str, str]) -> None:
    """Set git up as `who` in the cooperative's repository."""
    coop.git("config", "user.name", who[0])
    coop.git("config", "user.email", who[1])


def head(coop: Coop) -> str:
    return coop.git("rev-parse", "HEAD").strip()


def authors(coop: Coop, rev: str = "HEAD") -> tuple[str, str]:
    """(author e-mail, committer e-mail) of a commit."""
    author, committer = coop.git("log", "-1", "--format=%ae%n%ce", rev).splitlines()
    return author, committer


def commit_as(
    coop: Coop, who: tuple[str, str], message: str = "change", date: str | None = None, *extra: str
) -> str:
    """Commit everything by hand as `who` (dated `date`, author and committer alike)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1]}
    env |= {"GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1]}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "add", "-A"], cwd=coop.root, check=True)
    subprocess.run(
        ["git", *extra, "commit", "-qm", message], cwd=coop.root, env=env, check=True
    )  # fmt: skip
    return head(coop)


def branch(coop: Coop) -> str:
    """Start a pull request's branch; return its base, a commit dated `BASE_DATE`."""
    dated = {**os.environ, "GIT_AUTHOR_DATE": BASE_DATE, "GIT_COMMITTER_DATE": BASE_DATE}
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "base"], cwd=coop.root, env=dated, check=True
    )
    base = head(coop)
    coop.git("switch", "-qc", "pr")
    return base


def trade_text(day: str, payer: str, payee: str, amount: str) -> str:
    return (
        f'\n{day} * "by hand"\n'
        f"  Assets:Members:{payer.capitalize()}  -{amount} SEL\n"
        f"  Assets:Members:{payee.capitalize()}   {amount} SEL\n"
    )


def set_status(coop: Coop, member: str, status: str) -> None:
    """Give `member` a status line in members.yaml, by hand, committed by tresa."""
    text = coop.read("members.yaml")
    start = text.index(f"  - id: {member}\n")
    end = text.find("  - id: ", start + 1)
    end = len(text) if end == -1 else end
    coop.write("members.yaml", text[:end] + f"    status: {status}\n" + text[end:])
    commit_as(coop, TRESA, f"{member}: {status}")


# ---------------------------------------------------------------- the git identity


@pytest.mark.parametrize(
    "command",
    [
        ("trade", "alice", "bob", "5"),
        ("member", "add", "carol", "--name", "Carol", "--email", "carol@example.org"),
        ("member", "limit", "alice", "--floor", "-600", "--from", "2026-11-20"),
    ],
    ids=["trade", "member add", "member limit"],
)
def test_a_stranger_git_identity_is_refused_with_the_fix_and_nothing_committed(
    coop: Coop, command: tuple[str, ...]
) -> None:
    identity(coop, EVE)
    before = coop.log()

    result = coop.run(*command)

    assert result.code == 1
    assert result.err.startswith(
        "error: git is set up as eve@example.org here, which is no member's e-mail\n"
        "  → commit as a member: git config user.email ADDRESS (an address of yours in "
        "members.yaml), or ask a treasurer to add eve@example.org to your entry in "
        "members.yaml; --as MEMBER is for a machine where git has no identity"
    )
    assert coop.log() == before
    assert coop.status() == ""


def test_a_stranger_cannot_pass_as_a_member_either(coop: Coop) -> None:
    identity(coop, EVE)
    before = coop.log()

    result = coop.run("trade", "alice", "bob", "5", "--as", "tresa")

    assert result.code == 1
    assert "git is set up as eve@example.org here" in result.err
    assert coop.log() == before


def test_an_identity_only_in_the_environment_signs_as_that_member(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_identity(coop)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Alice M.")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "alice@example.org")

    result = coop.run("trade", "alice", "bob", "5")

    assert result.code == 0, result.text
    assert authors(coop) == ("alice@example.org", "alice@example.org")
    assert coop.git("log", "-1", "--format=%an").strip() == "Alice Martin"


def test_the_environment_wins_over_the_configuration_as_in_git(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Bob")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "bob@example.org")

    result = coop.run("trade", "bob", "alice", "5")

    assert result.code == 0, result.text
    assert authors(coop) == ("bob@example.org", "tresa@example.org")  # tresa is at the keyboard


def test_no_identity_and_no_as_is_refused_with_the_fix(coop: Coop) -> None:
    no_identity(coop)
    before = coop.log()

    result = coop.run("trade", "alice", "bob", "5")

    assert result.code == 1
    assert result.err == (
        "error: git has no identity here, so no member signs the commit\n"
        "  → say who you are: git config user.email ADDRESS (an address of yours in "
        "members.yaml), or GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL in the environment, "
        "or --as MEMBER\n"
    )
    assert coop.log() == before
    assert coop.status() == ""


def test_as_on_a_machine_without_identity_signs_as_that_member(coop: Coop) -> None:
    no_identity(coop)

    result = coop.run("trade", "alice", "bob", "5", "--as", "alice")

    assert result.code == 0, result.text
    assert authors(coop) == ("alice@example.org", "alice@example.org")


@pytest.mark.parametrize("other", ["bob", "tresa"])
def test_as_another_member_by_a_member_who_is_no_treasurer_is_refused(
    coop: Coop, other: str
) -> None:
    identity(coop, ALICE)
    before = coop.log()

    result = coop.run("trade", "bob", "alice", "5", "--as", other)

    assert result.code == 1
    assert result.err.startswith(
        "error: git is set up as alice@example.org here (alice), who is no treasurer and "
        f"cannot write as '{other}'\n  → leave out --as to write as alice"
    )
    assert coop.log() == before
    assert coop.status() == ""


def test_a_treasurer_may_record_for_a_member_with_as(coop: Coop) -> None:
    result = coop.run("trade", "alice", "bob", "5", "--as", "alice")

    assert result.code == 0, result.text
    assert authors(coop) == ("alice@example.org", "tresa@example.org")


def test_a_member_recording_a_trade_paid_by_another_is_warned_and_the_trade_is_written(
    coop: Coop,
) -> None:
    identity(coop, ALICE)

    result = coop.run("trade", "bob", "alice", "5")

    assert result.code == 0, result.text
    assert (
        f"{coop.last_written()}:1: warning: alice records an entry that takes units "
        "from bob's account: the pull-request gate (check --since) will refuse this commit; "
        "only bob or a treasurer may add it; ask them to record it"
    ) in result.err
    assert coop.log()[0].startswith("trade: bob → alice 5.00 SEL")
    assert authors(coop)[0] == "alice@example.org"


def test_no_warning_for_a_members_own_payment_or_a_treasurer(coop: Coop) -> None:
    identity(coop, ALICE)
    assert "warning" not in coop.run("trade", "alice", "bob", "5").err
    identity(coop, TRESA)
    assert "warning" not in coop.run("trade", "bob", "alice", "5").err


def test_a_member_changing_members_yaml_is_warned(coop: Coop) -> None:
    identity(coop, ALICE)

    result = coop.run("member", "limit", "alice", "--floor", "-600", "--from", "2026-11-20")

    assert result.code == 0, result.text
    assert (
        "members.yaml: warning: alice changes a file only a treasurer may change: the "
        "pull-request gate (check --since) will refuse this commit"
    ) in result.err


# ---------------------------------------------------------------- status, through coopledger


def test_a_treasurer_who_has_left_can_no_longer_change_limits(coop: Coop) -> None:
    assert coop.run("member", "leave", "tresa", "--date", "2026-11-01").code == 0
    before = coop.log()

    result = coop.run("member", "limit", "alice", "--floor", "-600", "--from", "2026-11-20")

    assert result.code == 1
    assert result.err.startswith(
        "error: 'tresa' is no longer a member since 2026-11-01, and may no longer write to "
        "the books\n  → ask an active member or a treasurer to record it"
    )
    assert coop.log() == before
    assert coop.status() == ""
    assert coop.run("trade", "alice", "bob", "5", "--as", "alice").code == 1  # nor act for one


def test_a_suspended_member_cannot_trade_even_back_dated(coop: Coop) -> None:
    assert coop.run("member", "suspend", "alice", "--date", "2026-11-01").code == 0
    identity(coop, ALICE)
    before = coop.log()

    result = coop.run("trade", "alice", "bob", "5", "--date", "2026-10-20")

    assert result.code == 1
    assert "error: 'alice' is suspended since 2026-11-01, and may no longer write" in result.err
    assert coop.log() == before
    identity(coop, TRESA)  # nor through a treasurer writing as her
    assert coop.run("trade", "bob", "fournil", "5", "--as", "alice").code == 1


# ---------------------------------------------------------------- status, through a pull request


def test_gate_refuses_a_treasurer_who_has_left_editing_limits(coop: Coop) -> None:
    set_status(coop, "tresa", "{2026-11-01: left}")
    base = branch(coop)
    coop.write("members.yaml", coop.read("members.yaml").replace("floor: -2000", "floor: -9000"))
    sha = commit_as(coop, TRESA, "raise fournil's floor", "2026-11-26T10:00:00+00:00")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert result.out.startswith(
        f"members.yaml:26: error: commit {sha[:8]} by Trésorière <tresa@example.org> is by "
        "tresa, who is no longer a member since 2026-11-01 (at 2026-11-26, by members.yaml at "
        "the base of the change); a member who is suspended or has left may no longer write: "
        "drop the commit and ask an active member or a treasurer to make the change"
    )


def test_gate_refuses_a_member_who_has_left_back_dating_a_payment(coop: Coop) -> None:
    set_status(coop, "alice", "{2026-11-01: left}")
    base = branch(coop)
    path = "journal/2026/10/alice.beancount"
    coop.append(path, trade_text("2026-10-20", "alice", "bob", "5.00"))
    sha = commit_as(coop, ALICE, "an old payment", "2026-10-20T10:00:00+00:00")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert result.out.startswith(
        f"{path}:1: error: commit {sha[:8]} by Alice Martin <alice@example.org> is by alice, "
        "who is no longer a member since 2026-11-01 (at 2026-11-25, by members.yaml at the "
        "base of the change); a member who is suspended or has left may no longer write"
    )
    # an audit of the range judges by the base's own day, here after alice left too
    assert coop.run("check", "--rev", f"{base}..{sha}").code == 1


def test_gate_refuses_a_suspended_members_trade_dated_after_a_future_reactivation(
    coop: Coop,
) -> None:
    set_status(coop, "bob", "{2026-11-01: suspended, 2026-12-20: active}")
    base = branch(coop)
    path = "journal/2026/10/bob.beancount"
    coop.append(path, trade_text("2026-10-28", "bob", "alice", "5.00"))
    sha = commit_as(coop, BOB, "as if from the future", "2026-12-21T10:00:00+00:00")

    result = coop.run("check", "--since", base)

    assert result.code == 1
    assert result.out.startswith(
        f"{path}:1: error: commit {sha[:8]} by Bob Durand <bob@example.org> is by bob, who is "
        "suspended since 2026-11-01 (at 2026-11-25, by members.yaml at the base of the change)"
    )


def test_gate_accepts_an_active_members_commit_and_a_member_back_from_suspension(
    coop: Coop,
) -> None:
    set_status(coop, "bob", "{2026-06-01: suspended, 2026-09-01: active}")
    base = branch(coop)
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-20", "bob", "alice", "5.00"))
    commit_as(coop, BOB, "a payment", "2026-11-25T13:00:00+00:00")

    result = coop.run("check", "--since", base)

    assert result.code == 0, result.text


# ---------------------------------------------------------------- signing keys


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """An SSH key pair each for alice and tresa (private key paths)."""
    assert shutil.which("ssh-keygen"), "the signature tests need ssh-keygen (openssh-client)"
    made = {}
    for name in ("alice", "tresa"):
        path = tmp_path / "keys" / name
        path.parent.mkdir(exist_ok=True)
        made_by = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@laptop"]
        subprocess.run([*made_by, "-f", str(path)], check=True)
        made[name] = path
    return made


def public(key: Path) -> str:
    return key.with_suffix(".pub").read_text(encoding="utf-8").strip()


def give_keys(coop: Coop, keys: dict[str, Path]) -> None:
    """members.yaml lists alice's and tresa's public keys; the machine's own git
    configuration trusts both keys for anyone (as a CI given every key would)."""
    text = coop.read("members.yaml")
    for name in ("alice", "tresa"):
        start = text.index(f"  - id: {name}\n")
        end = text.find("  - id: ", start + 1)
        key_lines = f'    signing_keys:\n      - "{public(keys[name])}"\n'
        text = text[:end] + key_lines + text[end:]
    coop.write("members.yaml", text)
    commit_as(coop, TRESA, "members' signing keys")
    anyone = coop.root.parent / "anyone_signers"
    anyone.write_text(
        "".join(f'* namespaces="git" {public(k)}\n' for k in keys.values()), encoding="utf-8"
    )
    coop.git("config", "gpg.ssh.allowedSignersFile", str(anyone))


def signed_commit(coop: Coop, who: tuple[str, str], key: Path) -> str:
    signing = ("-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "-c", "commit.gpgsign=true")
    return commit_as(coop, who, "signed", "2026-11-25T13:00:00+00:00", *signing)


def test_a_commit_signed_with_another_members_key_is_refused(
    coop: Coop, keys: dict[str, Path]
) -> None:
    give_keys(coop, keys)
    base = branch(coop)
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-20", "bob", "alice", "5.00"))
    sha = signed_commit(coop, TRESA, keys["alice"])

    result = coop.run("check", "--since", base, "--require-signed")

    assert result.code == 1
    assert result.out.startswith(
        f"journal/2026/11/bob.beancount: error: commit {sha[:8]} by Trésorière "
        "<tresa@example.org> is signed, but not with a key of tresa (signing_keys in "
        "members.yaml at the base of the change); sign with your own key"
    )


def test_a_commit_signed_with_its_authors_own_key_is_accepted(
    coop: Coop, keys: dict[str, Path]
) -> None:
    give_keys(coop, keys)
    base = branch(coop)
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-20", "bob", "alice", "5.00"))
    signed_commit(coop, TRESA, keys["tresa"])

    result = coop.run("check", "--since", base, "--require-signed")

    assert result.code == 0, result.text


def test_a_key_added_in_the_pull_request_itself_grants_nothing(
    coop: Coop, keys: dict[str, Path]
) -> None:
    base = branch(coop)  # no keys at the base
    give_keys(coop, keys)  # tresa adds them in the request, then signs with hers
    coop.git("config", "--unset", "gpg.ssh.allowedSignersFile")
    coop.append("journal/2026/11/bob.beancount", trade_text("2026-11-20", "bob", "alice", "5.00"))
    sha = signed_commit(coop, TRESA, keys["tresa"])

    result = coop.run("check", "--since", base, "--require-signed")

    assert result.code == 1
    assert f"commit {sha[:8]} by Trésorière <tresa@example.org> is signed, but not" in result.out


def test_coopledger_signs_its_commits_when_git_is_set_up_to(
    coop: Coop, keys: dict[str, Path]
) -> None:
    give_keys(coop, keys)
    base = branch(coop)
    identity(coop, ALICE)
    coop.git("config", "gpg.format", "ssh")
    coop.git("config", "user.signingkey", str(keys["alice"]))
    coop.git("config", "commit.gpgsign", "true")

    assert coop.run("trade", "alice", "bob", "5").code == 0
    assert coop.run("trade", "alice", "bob", "6", "--no-cache").code == 0

    result = coop.run("check", "--since", base, "--require-signed")
    assert result.code == 0, result.text
    assert coop.git("log", "-2", "--format=%G?") == "G\nG\n"


def test_a_bad_signing_key_is_a_problem_with_its_line(coop: Coop) -> None:
    text = coop.read("members.yaml").replace(
        "  - id: alice\n", "  - id: alice\n    signing_keys: [ssh-ed25519 not-base64!]\n"
    )
    coop.write("members.yaml", text)

    result = coop.run("check")

    assert result.code == 1
    assert (
        "members.yaml:11: error: 'ssh-ed25519 not-base64!' under signing_keys is not an SSH "
        "public key; paste the whole line of the member's .pub file"
    ) in result.out


def test_signing_keys_are_kept_when_coopledger_rewrites_the_member(
    coop: Coop, keys: dict[str, Path]
) -> None:
    give_keys(coop, keys)

    assert coop.run("member", "limit", "alice", "--floor", "-600", "--from", "2026-11-20").code == 0

    assert public(keys["alice"]) in coop.read("members.yaml")
    assert coop.run("check").code == 0


def test_an_email_without_a_name_is_an_identity(coop: Coop) -> None:
    no_identity(coop)
    coop.git("config", "user.email", "alice@example.org")

    result = coop.run("trade", "alice", "bob", "5")

    assert result.code == 0, result.text
    assert authors(coop)[0] == "alice@example.org"


def test_only_a_cooperative_without_treasurer_lets_a_new_treasurer_sign_their_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = Coop(tmp_path / "tp", capsys)
    new.root.mkdir()
    new.git("init", "-q")
    identity(new, ("Someone", "someone@example.org"))
    assert new.run("init", str(new.root), "--name", "Temps partagé").code == 0

    first = new.run("member", "add", "tresa", "--name", "T", "--email", "t@example.org",
                    "--role", "treasurer")  # fmt: skip
    assert first.code == 0, first.text
    assert authors(new)[0] == "t@example.org"

    second = new.run("member", "add", "eve", "--name", "E", "--email", "e@example.org",
                     "--role", "treasurer")  # fmt: skip
    assert second.code == 1
    assert "git is set up as someone@example.org here, which is no member's" in second.err


def test_a_member_recording_an_invoice_for_another_creditor_is_warned(coop: Coop) -> None:
    identity(coop, ALICE)

    result = coop.run("invoice", "alice", "bob", "10", "--ref", "F-1")

    assert result.code == 0, result.text
    assert (
        "warning: alice records an invoice whose creditor is bob: the pull-request gate "
        "(check --since) will refuse this commit"
    ) in result.err
