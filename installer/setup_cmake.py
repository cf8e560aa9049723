"""A setuptools build_ext that builds the _cello extension with the project's own CMake build (the
engine, its dependencies and the docs pages' files are CMake's business), then puts the extension
and the API pages' files into the wheel's cello package."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent


class CMakeExtension(Extension):
    """An extension whose sources CMake knows (none listed here)."""

    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                     f"-DPython_EXECUTABLE={sys.executable}", "-DCELLO_BUILD_TESTS=OFF", "-DCELLO_BUILD_STUDIO=OFF"]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_cello", "-j", jobs], check=True)
        built = build_dir / "python" / "cello"
        target = Path(self.get_ext_fullpath(ext.name)).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        extension = next(built.glob("_cello*.so"))
        shutil.copy2(extension, target.parent / extension.name)
        if (built / "docs_ui").is_dir():  # Swagger UI and ReDoc (tools/docs_ui.py fetched them)
            shutil.copytree(built / "docs_ui", target.parent / "docs_ui", dirs_exist_ok=True)
