"""Ready CI configurations for a cooperative's repository.

`coopledger ci github` (or `init --ci github`) writes
`.github/workflows/coopledger.yml`; `coopledger ci gitlab` writes
`.gitlab-ci.yml`. Both install coopledger and run, on every pull (merge)
request, `coopledger check --since <base of the request>`: the full check plus
the gate of `coopledger.gate`. On the main branch they run `coopledger check`.
Both also come with `.pre-commit-config.yaml`, a hook running `coopledger check`
before each commit.

The shell command is the same on both platforms: `BASE` holds the base commit
of the request, empty outside a request.
"""

from __future__ import annotations

from coopledger import __version__

PLATFORMS = ("github", "gitlab")
GITHUB_FILE = ".github/workflows/coopledger.yml"
GITLAB_FILE = ".gitlab-ci.yml"
PRE_COMMIT_FILE = ".pre-commit-config.yaml"
INSTALL_SPEC = f"coopledger=={__version__}"

CHECK_COMMAND = (
    'if [ -n "$BASE" ]; then coopledger check --since "$BASE"; else coopledger check; fi'
)

GITHUB = f"""\
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
      COOPLEDGER: "{INSTALL_SPEC}"   # or a git URL: git+https://...
      BASE: ${{{{ github.event.pull_request.base.sha }}}}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0             # the gate reads every commit of the request
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: install coopledger
        run: pip install "$COOPLEDGER"
      - name: coopledger check
        run: {CHECK_COMMAND}
"""

GITLAB = f"""\
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
    COOPLEDGER: "{INSTALL_SPEC}"   # or a git URL: git+https://...
  script:
    - pip install "$COOPLEDGER"
    - BASE="$CI_MERGE_REQUEST_DIFF_BASE_SHA"
    - {CHECK_COMMAND}
"""

PRE_COMMIT = """\
# Written by `coopledger ci`. With pre-commit installed (pip install pre-commit;
# pre-commit install), `coopledger check` runs before each commit.
repos:
  - repo: local
    hooks:
      - id: coopledger-check
        name: coopledger check
        entry: coopledger check
        language: system
        pass_filenames: false
        files: ^(journal/|members\\.yaml$|rules\\.yaml$)
"""


def ci_files(platform: str) -> dict[str, str]:
    """The files `coopledger ci PLATFORM` writes (relative path: text)."""
    main = {"github": (GITHUB_FILE, GITHUB), "gitlab": (GITLAB_FILE, GITLAB)}[platform]
    return {main[0]: main[1], PRE_COMMIT_FILE: PRE_COMMIT}
