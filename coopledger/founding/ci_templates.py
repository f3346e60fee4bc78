"""Ready CI configurations for a cooperative's repository.

`coopledger ci github` (or `init --ci github`) writes
`.github/workflows/coopledger.yml`; `coopledger ci gitlab` writes
`.gitlab-ci.yml`. Both install coopledger and run, on every pull (merge)
request, `coopledger check --since <base of the request>`: the full check plus
the gate of `coopledger.review.gate`. On the main branch they run `coopledger check`.
Both also come with `.pre-commit-config.yaml`, a hook running
`coopledger check --staged` before each commit: the check of what is staged,
and the gate of the staged change, nothing else.

The CI installs coopledger from a source pinned to exact code, never by a name
on a package index (whoever publishes that name first would run their code in
the cooperative's CI). `pinned_source` takes it from `--source`, or from where
this coopledger was installed (pip records it, PEP 610):

    git+https://example.org/coop/coopledger@<40-hex commit>     accepted
    https://example.org/coopledger-0.1.0.tar.gz#sha256=<hex>      accepted
    an editable folder, a folder or file:// URL of this machine,
    a package index version, a VCS URL with a branch or tag     refused

The shell command is the same on both platforms: `BASE` holds the base commit
of the request, empty outside a request.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from coopledger.model.problems import CoopError

PLATFORMS = ("github", "gitlab")
GITHUB_FILE = ".github/workflows/coopledger.yml"
GITLAB_FILE = ".gitlab-ci.yml"
PRE_COMMIT_FILE = ".pre-commit-config.yaml"
DISTRIBUTION = "coopledger"

CHECK_COMMAND = (
    'if [ -n "$BASE" ]; then coopledger check --since "$BASE"; else coopledger check; fi'
)
INSTALL_COMMAND = 'pip install "$COOPLEDGER"'
HOOK_COMMAND = "coopledger check --staged"
# The staged files for which pre-commit runs the hook: the ledger's files and every
# file the gate protects, in any case (tests/test_ci_safety.py holds it to
# coopledger.review.gate's lists).
HOOK_FILES = (
    r"(?i)^(journal/|members\.yaml$|rules\.yaml$|partners\.yaml$|\.pre-commit-config\.ya?ml$"
    r"|\.gitlab-ci\.yml$|\.travis\.yml$|\.drone\.yml$|\.woodpecker\.ya?ml$|\.build\.yml$"
    r"|\.?appveyor\.yml$|azure-pipelines\.yml$|bitbucket-pipelines\.yml$|jenkinsfile$"
    r"|(docs/)?codeowners$"
    r"|\.(github|gitlab|gitea|forgejo|circleci|woodpecker|buildkite|builds)/)"
    r"|(^|/)\.gitattributes$"
)

# The GitHub actions the workflow uses, each at the commit of a release.
CHECKOUT_ACTION = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262"
CHECKOUT_VERSION = "v4.4.0"
SETUP_PYTHON_ACTION = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"
SETUP_PYTHON_VERSION = "v5.6.0"

# A source is written into YAML and a shell line: only the characters a URL needs,
# and none that YAML, the shell or the platforms' own expressions (${{ }}, $VAR) read.
SAFE_SOURCE = re.compile(r"[A-Za-z0-9._~:/?#@!&+,;=%-]+")
COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
ARCHIVE_HASH = re.compile(r"sha256=[0-9a-f]{64}")
VCS_SCHEMES = ("git+https", "git+ssh", "git+http", "git+git", "git+file")


def check_source(source: str, option: str = "--source") -> str:
    """`source` if it is a pip requirement pinned to exact code, else CoopError:
    a VCS URL whose revision is a full commit id, or an archive URL with its sha256."""
    from urllib.parse import urlsplit

    if not SAFE_SOURCE.fullmatch(source):
        raise CoopError("ci-source-bad", option=option, source=source)
    url, _, fragment = source.partition("#")
    parts = urlsplit(url)
    if parts.password:
        raise CoopError(
            "ci-source-secret", option=option, source=source.replace(parts.password, "***")
        )
    if parts.scheme in VCS_SCHEMES:
        place, at, revision = parts.path.rpartition("@")
        if not at or not place:
            raise CoopError("ci-source-no-commit", option=option, source=source)
        if not COMMIT.fullmatch(revision):
            raise CoopError("ci-source-no-commit", option=option, source=source)
        return source
    if parts.scheme == "https" and parts.netloc:
        if not ARCHIVE_HASH.fullmatch(fragment):
            raise CoopError("ci-source-no-commit", option=option, source=source)
        return source
    raise CoopError("ci-source-bad", option=option, source=source)


def installed_source(option: str = "--source") -> str:
    """The pinned source this coopledger was installed from (pip's `direct_url.json`),
    or CoopError saying why it cannot be pinned."""
    record = _direct_url()
    if record is None:
        from importlib import metadata

        try:
            version = metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            version = "?"
        raise CoopError("ci-source-index", option=option, version=version)
    return source_of(record, option)


def source_of(record: dict[str, Any], option: str = "--source") -> str:
    """The pip requirement of a PEP 610 record, if it pins code the CI can reach."""
    url = str(record.get("url", ""))
    if url.startswith("file:"):
        editable = bool((record.get("dir_info") or {}).get("editable"))
        raise CoopError(
            "ci-source-editable" if editable else "ci-source-local", option=option, path=url
        )
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict):
        commit = str(vcs.get("commit_id", ""))
        if vcs.get("vcs") != "git" or not COMMIT.fullmatch(commit):
            raise CoopError("ci-source-no-commit", option=option, source=url)
        return check_source(f"git+{url}@{commit}", option)
    archive = record.get("archive_info")
    if isinstance(archive, dict):
        digest = str(archive.get("hash") or (archive.get("hashes") or {}).get("sha256", ""))
        digest = digest if digest.startswith("sha256=") else f"sha256={digest}"
        return check_source(f"{url}#{digest}", option)
    raise CoopError("ci-source-bad", option=option, source=url)


def _direct_url() -> dict[str, Any] | None:
    """pip's record of where the running coopledger came from: the `direct_url.json`
    of the installed distribution that holds this very code; None when that one
    came from a package index. Code that no installation describes (a source tree
    on PYTHONPATH) is recorded as its folder."""
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlsplit

    import coopledger

    here = Path(coopledger.__file__).resolve().parent
    from_index = False
    for dist in metadata.distributions(name=DISTRIBUTION):
        try:
            record = json.loads(dist.read_text("direct_url.json") or "null")
        except ValueError:
            record = None
        installed = Path(str(dist.locate_file("coopledger/__init__.py"))).resolve().parent
        if not isinstance(record, dict):
            # an installer's record without a URL: from an index (a source tree's own
            # coopledger.egg-info names no installer, and says nothing)
            from_index = from_index or (installed == here and bool(dist.read_text("INSTALLER")))
            continue
        url = str(record.get("url", ""))
        editable = bool((record.get("dir_info") or {}).get("editable"))
        if installed == here or (
            editable
            and url.startswith("file:")
            and here.is_relative_to(Path(unquote(urlsplit(url).path)).resolve())
        ):
            return record
    return None if from_index else {"url": here.parent.as_uri(), "dir_info": {}}


def pinned_source(source: str | None, option: str = "--source") -> str:
    """What the CI installs coopledger from: `source` (checked), or where this
    coopledger was installed from; CoopError when neither pins exact code."""
    return check_source(source, option) if source is not None else installed_source(option)


def github(source: str) -> str:
    return f"""\
# Written by `coopledger ci github`. Every pull request is checked by
# `coopledger check --since <base>`: the ledger's rules, and who may write what
# (docs/pull-requests.md). Make this check required in the branch protection of
# main, and protect .github/ with CODEOWNERS so that only treasurers change it.
name: coopledger
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    env:
      # coopledger pinned to one commit: `coopledger ci github --force --source ...`
      # writes another one.
      COOPLEDGER: "{source}"
      BASE: ${{{{ github.event.pull_request.base.sha }}}}
    steps:
      # each action at the commit of a release: a tag can be moved to other code
      - uses: {CHECKOUT_ACTION}  # {CHECKOUT_VERSION}
        with:
          fetch-depth: 0             # the gate reads every commit of the request
          persist-credentials: false
      - uses: {SETUP_PYTHON_ACTION}  # {SETUP_PYTHON_VERSION}
        with:
          python-version: "3.11"
      - name: install coopledger
        run: {INSTALL_COMMAND}
      - name: coopledger check
        run: {CHECK_COMMAND}
"""


def gitlab(source: str) -> str:
    return f"""\
# Written by `coopledger ci gitlab`. Every merge request is checked by
# `coopledger check --since <base>`: the ledger's rules, and who may write what
# (docs/pull-requests.md). Set "Pipelines must succeed" for merge requests, and
# protect this file with CODEOWNERS so that only treasurers change it.
coopledger:
  image: python:3.11
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  variables:
    GIT_DEPTH: "0"                 # the gate reads every commit of the request
    # coopledger pinned to one commit: `coopledger ci gitlab --force --source ...`
    # writes another one.
    COOPLEDGER: "{source}"
  script:
    - {INSTALL_COMMAND}
    - BASE="$CI_MERGE_REQUEST_DIFF_BASE_SHA"
    - {CHECK_COMMAND}
"""


PRE_COMMIT = f"""\
# Written by `coopledger ci`. With pre-commit installed (pip install pre-commit;
# pre-commit install), `{HOOK_COMMAND}` runs before each commit: the check of
# what is staged (git's index, not the working tree), and who may make the change.
repos:
  - repo: local
    hooks:
      - id: coopledger-check
        name: coopledger check --staged
        entry: {HOOK_COMMAND}
        language: system
        pass_filenames: false
        files: '{HOOK_FILES}'
"""


def ci_files(platform: str, source: str) -> dict[str, str]:
    """The files `coopledger ci PLATFORM` writes (relative path: text), installing
    coopledger from `source` (a pinned pip requirement, see `pinned_source`)."""
    main = {"github": (GITHUB_FILE, github), "gitlab": (GITLAB_FILE, gitlab)}[platform]
    return {main[0]: main[1](check_source(source)), PRE_COMMIT_FILE: PRE_COMMIT}
