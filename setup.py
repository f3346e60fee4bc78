"""Build steps: compile the gettext catalogues (.po -> .mo) with Babel, and ship
docs/*.md and the guides in other languages (docs/fr/*.md) inside the package
(coopledger/docs) for `coopledger help TOPIC`.

Everything else about the package is in pyproject.toml. The `.mo` files are not
committed; they are written next to their `.po` both in the source tree (so an
editable install, `pip install -e .`, finds them) and in the build folder (so a
wheel, `pip install .`, ships them). The docs are copied into the build folder
only: after a plain `pip install .` the members have no docs/ folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent


def compile_catalogues(into: Path | None = None) -> list[Path]:
    """Compile every coopledger/locale/*/LC_MESSAGES/*.po; return the .mo written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted((HERE / "coopledger" / "locale").glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalogue = read_po(handle)
        targets = [po.with_suffix(".mo")]
        if into is not None:
            targets.append(into / po.relative_to(HERE).with_suffix(".mo"))
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                write_mo(handle, catalogue)
            written.append(target)
    return written


class BuildWithCataloguesAndDocs(build_py):
    def run(self) -> None:
        compile_catalogues(Path(self.build_lib))
        super().run()
        target = Path(self.build_lib) / "coopledger" / "docs"
        target.mkdir(parents=True, exist_ok=True)
        for page in sorted(HERE.joinpath("docs").glob("*.md")):
            shutil.copyfile(page, target / page.name)
        for page in sorted(HERE.joinpath("docs").glob("[a-z][a-z]/*.md")):  # docs/fr/...
            (target / page.parent.name).mkdir(exist_ok=True)
            shutil.copyfile(page, target / page.parent.name / page.name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:  # type: ignore[override]
        outputs = super().get_outputs(include_bytecode)
        mos = (HERE / "coopledger" / "locale").glob("*/LC_MESSAGES/*.po")
        extra = [str(Path(self.build_lib) / po.relative_to(HERE).with_suffix(".mo")) for po in mos]
        return list(outputs) + [path for path in extra if path not in outputs]


setup(cmdclass={"build_py": BuildWithCataloguesAndDocs})
