"""The original Cello's `cello.validation` module: The validation module is not available in this version. Its names
import (so an app written for the original loads); using one raises NotImplementedError."""
from ._elsewhere import Submodule

__getattr__ = Submodule("The validation module")
