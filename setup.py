"""Build hook: a wheel (and `pip install .`) carries templates/, static/, seed/, migrations/ and gunicorn.conf.py
inside the package as matchmaker/_share/, so an installed copy finds them without the checkout
(matchmaker/config.py looks there first), and compiles the translation catalogues (.po -> .mo; the .mo files are
never committed). Metadata and dependencies live in setup.cfg."""
import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHARED = ("templates", "static", "seed", "migrations", "gunicorn.conf.py")


def _compile_catalogues(target: Path | None) -> None:
    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location("_catalogues", here / "matchmaker" / "catalogues.py")
    catalogues = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalogues)
    catalogues.compile_all(here / "matchmaker" / "translations", target)


class build_py_with_share(build_py):
    def run(self):
        super().run()
        here = Path(__file__).resolve().parent
        if self.editable_mode:  # an editable install reads the folders (and the catalogues) from the checkout
            _compile_catalogues(None)
            return
        _compile_catalogues(Path(self.build_lib) / "matchmaker" / "translations")
        target = Path(self.build_lib) / "matchmaker" / "_share"
        for name in SHARED:
            source, dest = here / name, target / name
            if source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)


setup(cmdclass={"build_py": build_py_with_share})
