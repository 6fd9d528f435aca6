"""``python -m tinygrad_scalar``: the same as the ``tinygrad-scalar`` command."""

from tinygrad_scalar.cli import entry_point

if __name__ == "__main__":
    entry_point()
