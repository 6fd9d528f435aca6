"""Finding what went wrong: anomaly detection and gradient checks.

* :mod:`~tinygrad_scalar.debugging.anomaly`: the first operation that made a nan or an infinity;
* :mod:`~tinygrad_scalar.debugging.gradcheck`: analytic gradients against central differences.
"""
