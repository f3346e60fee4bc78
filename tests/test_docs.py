"""The documentation is run and checked, so that it cannot drift from the code.

- The shell blocks of docs/journal-format.md (```sh: must succeed; ```console:
  `$ command` lines, whose output must be exactly the lines shown) run in order,
  in one shell, in a temporary folder.
- README's "Your own cooperative" block, and the closed-months example of
  docs/pull-requests.md, run in a temporary folder.
- Every command of `coopledger --help` (and of its command groups) is named in
  README.md or docs/.
- Every key that rules.yaml and members.yaml accept is described in docs/rules.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from coopledger.cli.common import app
from coopledger.model.members import MEMBER_KEYS, STATUSES
from coopledger.model.rules import ENFORCEMENTS, LIMIT_KEYS, TOP_KEYS
from tests.conftest import blurred

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```(sh|console)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def blocks(markdown: str) -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in BLOCK.findall(markdown)]


def section(markdown: str, heading: str) -> str:
    start = markdown.index(heading)
    following = markdown.find("\n## ", start + len(heading))
    return markdown[start : following if following != -1 else len(markdown)]


def shell_env(home: Path) -> dict[str, str]:
    """A fresh machine: coopledger on the PATH, and no git identity until the docs
    set one up (`git config user.email ...` in the cooperative's repository)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    env["COLUMNS"] = "200"
    for who in ("AUTHOR", "COMMITTER"):
        env.pop(f"GIT_{who}_NAME", None)
        env.pop(f"GIT_{who}_EMAIL", None)
    return env


def run_blocks(markdown_blocks: list[tuple[str, str]], folder: Path) -> None:
    """Run ```sh blocks (must succeed) and ```console blocks (output compared) in order."""
    outputs = folder / ".outputs"
    outputs.mkdir()
    script = ["set -euo pipefail"]
    expected: list[tuple[str, list[str]]] = []
    for kind, body in markdown_blocks:
        if kind == "sh":
            script.append(body)
            continue
        for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
            command, *shown = chunk.rstrip("\n").split("\n")
            number = len(expected)
            expected.append((command, shown))
            script.append(f"{command} > {outputs}/{number}.out 2>&1 || true")
    work = folder / "work"
    work.mkdir()
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=work,
        env=shell_env(folder),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for number, (command, shown) in enumerate(expected):
        got = (outputs / f"{number}.out").read_text(encoding="utf-8").rstrip("\n").split("\n")
        assert blurred_lines(got) == blurred_lines(shown), f"$ {command}"


def blurred_lines(lines: list[str]) -> list[str]:
    """The lines with the random part of each trade id left out (`blurred`)."""
    return [blurred(line) for line in lines]


def test_journal_format_examples_run(tmp_path: Path) -> None:
    markdown = (REPO / "docs" / "journal-format.md").read_text(encoding="utf-8")
    core = markdown.split("\n## Invoices and clearings")[0]  # other sections test their own

    found = blocks(core)

    assert [kind for kind, _ in found].count("console") >= 2
    run_blocks(found, tmp_path)


def test_pull_requests_closed_months_example_runs(tmp_path: Path) -> None:
    markdown = (REPO / "docs" / "pull-requests.md").read_text(encoding="utf-8")
    found = blocks(section(markdown, "### Closed months are not read again"))

    assert [kind for kind, _ in found] == ["sh", "console"]
    run_blocks(found, tmp_path)


def test_readme_your_own_cooperative_runs(tmp_path: Path) -> None:
    markdown = (REPO / "README.md").read_text(encoding="utf-8")
    found = blocks(section(markdown, "## Your own cooperative"))

    assert found and all(kind == "sh" for kind, _ in found)
    run_blocks(found, tmp_path)
    root = tmp_path / "work" / "sel-du-canal"
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert "trade: alice → fournil 40.00 SEL — pain, novembre" in log


def documentation_text() -> str:
    paths = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def command_names() -> list[tuple[str, ...]]:
    """Every command path: ('trade',), ('member', 'add'), ..."""
    group = typer.main.get_command(app)
    names: list[tuple[str, ...]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [(name, sub) for sub in subcommands]
        else:
            names.append((name,))
    return names


@pytest.mark.parametrize("command", command_names(), ids=" ".join)
def test_every_command_is_documented(command: tuple[str, ...]) -> None:
    text = documentation_text()
    if len(command) == 1:
        pattern = rf"coopledger {command[0]}\b"
    else:  # "coopledger member add" or README's "coopledger member add/list/show"
        group, sub = command
        pattern = rf"coopledger {group} [\w/-]*\b{sub}\b"

    assert re.search(pattern, text), f"'coopledger {' '.join(command)}' is in no doc"


RULES_DOC_KEYS = [*TOP_KEYS, "enforcement", *ENFORCEMENTS, *LIMIT_KEYS, *MEMBER_KEYS, *STATUSES]


@pytest.mark.parametrize("key", RULES_DOC_KEYS)
def test_every_yaml_key_is_described_in_rules_md(key: str) -> None:
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")

    assert f"`{key}`" in text, f"docs/rules.md does not describe `{key}`"


def test_readme_en_francais_runs(tmp_path: Path) -> None:
    markdown = (REPO / "README.md").read_text(encoding="utf-8")
    found = blocks(section(markdown, "## En français"))

    assert [kind for kind, _ in found] == ["sh", "console"]
    run_blocks(found, tmp_path)


def test_the_french_treasurers_guide_runs(tmp_path: Path) -> None:
    """docs/fr/tresorier.md: every block, in order, outputs compared."""
    found = blocks((REPO / "docs" / "fr" / "tresorier.md").read_text(encoding="utf-8"))

    assert [kind for kind, _ in found].count("console") >= 2
    run_blocks(found, tmp_path)


def test_the_french_volunteers_guide_runs(tmp_path: Path) -> None:
    """docs/fr/benevoles.md: every block, in order, outputs compared (a refusal in
    French, then the books accepted, on the volunteer's and the treasurer's side)."""
    found = blocks((REPO / "docs" / "fr" / "benevoles.md").read_text(encoding="utf-8"))

    assert [kind for kind, _ in found].count("console") >= 3
    run_blocks(found, tmp_path)
    log = subprocess.run(
        ["git", "log", "--format=%ae %s", "main"],
        cwd=tmp_path / "work" / "sel-du-canal",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "alice@example.org la confiture du 3 novembre, oubliée" in log  # merged


def test_the_french_guides_are_linked_and_are_help_topics() -> None:
    readme = section((REPO / "README.md").read_text(encoding="utf-8"), "## En français")
    from coopledger.language.helptopics import topic_text, topics

    for guide in ("tresorier", "benevoles"):
        assert f"(docs/fr/{guide}.md)" in readme
        page = (REPO / "docs" / "fr" / f"{guide}.md").read_text(encoding="utf-8")
        assert guide in topics() and topic_text(guide) == page


@pytest.mark.slow
def test_federation_month_runs(tmp_path: Path) -> None:
    markdown = (REPO / "docs" / "federation.md").read_text(encoding="utf-8")
    found = blocks(section(markdown, "## A month among three SELs"))

    assert [kind for kind, _ in found].count("console") >= 3
    run_blocks(found, tmp_path)
