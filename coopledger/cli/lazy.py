"""Heavy core modules, imported when a command first uses them.

`coopledger.cli` imports every command module to register its commands, so a
module-level `from coopledger import store` in any of them would make every
command, and `coopledger --help`, pay for beancount and GitPython. Command
modules bind such modules with `lazy_module` (and the real module for the type
checker) and import names from them inside the functions that use them:

    if TYPE_CHECKING:
        from coopledger.git import gitrepo
        from coopledger.storage import store
    else:
        gitrepo = lazy_module("coopledger.git.gitrepo")
        store = lazy_module("coopledger.storage.store")

`tests/test_lazy_imports.py` fails when a cheap command imports beancount or git.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for a module; the first attribute read imports it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        # after the first use this is a lookup in sys.modules
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for module `name` that imports it on first attribute access."""
    return LazyModule(name)
