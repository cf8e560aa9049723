"""The original Cello's `cello.messaging` module: Messaging is not available in this version. Its names
import (so an app written for the original loads); using one raises NotImplementedError."""
from ._elsewhere import Submodule

__getattr__ = Submodule("Messaging")
