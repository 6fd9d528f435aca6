"""The core: a ``Value`` and the table of derivatives it is differentiated by.

* :mod:`~tinygrad_scalar.core.ieee`: float functions that follow IEEE-754 as PyTorch float64 does;
* :mod:`~tinygrad_scalar.core.ops`: the table of derivatives, one row per operation;
* :mod:`~tinygrad_scalar.core.rules`: the table compiled into the engine's backward and tangent rules;
* :mod:`~tinygrad_scalar.core.engine`: the ``Value``, the graph walk and the backward pass;
* :mod:`~tinygrad_scalar.core.defop`: your own operation, as one more row;
* :mod:`~tinygrad_scalar.core.expression`: expressions typed by people (``"tanh(x*w + b)"``), safely parsed;
* :mod:`~tinygrad_scalar.core.files`: atomic, durable saving;
* :mod:`~tinygrad_scalar.core.language`: the class's language: the catalogs of teaching text, numbers as the
  class writes them.

The core imports nothing from the rest of the package.
"""
