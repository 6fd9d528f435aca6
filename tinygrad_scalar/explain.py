"""Explanations of the backward pass, gathered in one place (the import path of earlier versions).

* :mod:`tinygrad_scalar.explanations`: ``backward_steps``, ``explain_grad``, ``worked_solution``;
* :mod:`tinygrad_scalar.stepper`: the HTML stepper;
* :mod:`tinygrad_scalar.gradcheck`: ``gradcheck`` and ``cost_of_gradients``.
"""

from tinygrad_scalar.explanations import (
    MAX_PATHS,
    BackwardPass,
    Derivation,
    GradExplanation,
    ParentUpdate,
    Path,
    Step,
    backward_steps,
    explain_grad,
    node_names,
    num,
    rule_name,
    worked_solution,
)
from tinygrad_scalar.gradcheck import CostReport, GradcheckReport, GradcheckRow, cost_of_gradients, gradcheck
from tinygrad_scalar.stepper import CURRENT_COLOR, MAX_STEPPER_NODES, PARENT_COLOR, Stepper, stepper

__all__ = [
    "CURRENT_COLOR",
    "MAX_PATHS",
    "MAX_STEPPER_NODES",
    "PARENT_COLOR",
    "BackwardPass",
    "CostReport",
    "Derivation",
    "GradExplanation",
    "GradcheckReport",
    "GradcheckRow",
    "ParentUpdate",
    "Path",
    "Step",
    "Stepper",
    "backward_steps",
    "cost_of_gradients",
    "explain_grad",
    "gradcheck",
    "node_names",
    "num",
    "rule_name",
    "stepper",
    "worked_solution",
]
