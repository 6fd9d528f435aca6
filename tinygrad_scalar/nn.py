"""micrograd's import path: ``from tinygrad_scalar.nn import MLP`` works as ``from micrograd.nn import MLP``
does. The building blocks themselves live in :mod:`tinygrad_scalar.training.nn`."""

from tinygrad_scalar.training.nn import *  # noqa: F403 - the same names, by micrograd's path
from tinygrad_scalar.training.nn import __all__ as __all__
