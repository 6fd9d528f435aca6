"""Training neural networks: building blocks, losses, optimizers and ``fit``.

* :mod:`~tinygrad_scalar.training.nn`: ``Module``, ``Neuron``, ``Layer``, ``MLP``, saving and loading;
* :mod:`~tinygrad_scalar.training.losses`, :mod:`~tinygrad_scalar.training.optim`,
  :mod:`~tinygrad_scalar.training.data`;
* :mod:`~tinygrad_scalar.training.fit`: the training loop, define-by-run or traced;
* :mod:`~tinygrad_scalar.training.watch`: what training tells those who watch it.

Training draws nothing: it imports no view.
"""
