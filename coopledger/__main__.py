"""`python -m coopledger` runs the command line."""

from coopledger.cli import entry

entry()
