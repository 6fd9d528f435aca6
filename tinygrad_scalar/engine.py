"""micrograd's import path: ``from tinygrad_scalar.engine import Value`` works as ``from micrograd.engine
import Value`` does. The engine itself lives in :mod:`tinygrad_scalar.core.engine`."""

from tinygrad_scalar.core.engine import *  # noqa: F403 - the same names, by micrograd's path
from tinygrad_scalar.core.engine import __all__ as __all__
