"""Build hook: take the repository's ``fonts/`` folder, return a wheel that carries it.

The bundled fonts live in ``fonts/`` at the top of the repository (an editable
install reads them there); a wheel or a plain ``pip install .`` copies them into
the package as ``offer_render/_fonts``, where ``offer_render.config`` looks when
``fonts/`` is not beside the package. Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FONTS = Path(__file__).resolve().parent / "fonts"


class BuildWithFonts(build_py):
    """``build_py`` that also copies ``fonts/`` (fonts and their licences) into the package."""

    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "offer_render" / "_fonts"
            shutil.copytree(FONTS, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithFonts})
