"""Ship docs/*.md inside the package (coopledger/docs), for `coopledger help TOPIC`
after a plain `pip install .`: the cooperative's members have no docs/ folder."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithDocs(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "coopledger" / "docs"
        target.mkdir(parents=True, exist_ok=True)
        for page in sorted(Path(__file__).parent.joinpath("docs").glob("*.md")):
            shutil.copyfile(page, target / page.name)


setup(cmdclass={"build_py": BuildWithDocs})
