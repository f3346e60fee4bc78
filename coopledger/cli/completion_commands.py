"""completion: the script that makes TAB complete coopledger's commands and options."""

from __future__ import annotations

import os
import sys

import typer

from coopledger.cli.common import app
from coopledger.model.problems import CoopError

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_COOPLEDGER_COMPLETE"

if COMPLETE_VAR in os.environ:  # the shell asks for completions: typer's classes answer
    from typer.completion import completion_init

    completion_init()


@app.command("completion")
def completion(
    shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish."),
) -> None:
    """Print the shell's completion script: coopledger completion bash >> ~/.bashrc
    (zsh: >> ~/.zshrc; fish: > ~/.config/fish/completions/coopledger.fish)."""
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        raise CoopError("bad-choice", value=shell, option="SHELL", choices=", ".join(SHELLS))
    script = get_completion_script(prog_name="coopledger", complete_var=COMPLETE_VAR, shell=shell)
    sys.stdout.write(script.rstrip("\n") + "\n")
