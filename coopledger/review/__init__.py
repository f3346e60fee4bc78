"""The pull-request gate: who may write what, commit by commit.

`gate` holds the rules on a change (files, authors, roles, closed months);
`gatekeeper` reads git's history of a change and judges it against its base.

May import: model, validation, git, storage.
"""
