"""setuptools' entry for `pip install .`: the package from pyembed/python/cello, the extension
built by CMake (installer/setup_cmake.py)."""
import sys
from pathlib import Path

from setuptools import setup

sys.path.insert(0, str(Path(__file__).resolve().parent / "installer"))
from setup_cmake import CMakeBuild, CMakeExtension  # noqa: E402

setup(
    packages=["cello"],
    package_dir={"cello": "pyembed/python/cello"},
    ext_modules=[CMakeExtension("cello._cello")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
    options={"build": {"build_base": "build-pip"}},  # beside, not inside, the CMake build/ tree
)
