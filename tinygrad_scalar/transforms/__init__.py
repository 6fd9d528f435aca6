"""Transformations of a function of Values, built on the core.

* :mod:`~tinygrad_scalar.transforms.functional`: ``grad``, ``hessian``, ``jvp``, ``jacobian``;
* :mod:`~tinygrad_scalar.transforms.checkpoint`: recompute a segment instead of keeping it;
* :mod:`~tinygrad_scalar.transforms.reads`: where a computation looks at the numbers of its Values;
* :mod:`~tinygrad_scalar.transforms.trace`: trace once, replay on plain floats.
"""
