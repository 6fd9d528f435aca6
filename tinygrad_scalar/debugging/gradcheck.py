"""Gradient checking and the cost argument: backpropagation against central differences.

* ``gradcheck(f, inputs)`` compares backpropagation with central differences;
* ``cost_of_gradients(f, inputs)`` counts the work of numerical differentiation against one forward
  and one backward pass.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tinygrad_scalar.core.engine import Value, is_grad_enabled, no_grad, topological_order
from tinygrad_scalar.teaching.explanations import _Displayed, backward_steps
from tinygrad_scalar.transforms.functional import argument_names

__all__ = ["CostReport", "GradcheckReport", "GradcheckRow", "cost_of_gradients", "gradcheck"]

# ---- gradient checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradcheckRow:
    name: str
    analytic: float
    numerical: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numerical)

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numerical))
        return self.abs_error / scale if scale else 0.0


@dataclass(frozen=True)
class GradcheckReport(_Displayed):
    """Backpropagation against central differences, input by input. Truthy when every input passes."""

    rows: tuple[GradcheckRow, ...]
    eps: float
    rtol: float
    atol: float

    def passed(self, row: GradcheckRow) -> bool:
        if math.isnan(row.analytic) or math.isnan(row.numerical):
            return math.isnan(row.analytic) and math.isnan(row.numerical)
        return row.abs_error <= self.atol + self.rtol * abs(row.numerical)

    def __bool__(self) -> bool:
        return all(self.passed(row) for row in self.rows)

    def _table(self) -> list[list[str]]:
        return [
            [
                r.name,
                f"{r.analytic:.10g}",
                f"{r.numerical:.10g}",
                f"{r.abs_error:.2e}",
                f"{r.rel_error:.2e}",
                "pass" if self.passed(r) else "FAIL",
            ]
            for r in self.rows
        ]

    _HEADER = ("input", "analytic", "numerical", "abs error", "rel error", "result")

    def text(self) -> str:
        rows = [list(self._HEADER), *self._table()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self._HEADER))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        verdict = "all inputs pass" if self else "some inputs FAIL"
        return "\n".join([*lines, f"{verdict} (central differences, eps={self.eps:g})"])

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self._HEADER) + " |", "|" + "---|" * len(self._HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in self._table()]
        return "\n".join(lines)

    def latex(self) -> str:
        body = " \\\\ ".join(" & ".join(row) for row in self._table())
        return "\\begin{array}{llllll} " + " & ".join(self._HEADER) + " \\\\ \\hline " + body + " \\end{array}"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self._HEADER)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in self._table()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def gradcheck(
    f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7
) -> GradcheckReport:
    """Compare backpropagation with central differences ``(f(x+eps) - f(x-eps)) / 2 eps`` for every input.

    ``f`` takes one ``Value`` per input and returns a ``Value``. The report is a table (analytic,
    numerical, absolute and relative error, pass/fail per input) and is truthy when all pass.
    """
    xs = [float(x) for x in inputs]
    names = argument_names(f, len(xs))
    values = [Value(x, label=name) for x, name in zip(xs, names)]
    if not is_grad_enabled():
        raise RuntimeError("gradcheck runs a backward pass, and inside no_grad() no graph is recorded: call it outside")
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: the function must return a Value, got {type(out).__name__}")
    out.backward()
    rows = []
    for i, v in enumerate(values):

        def at(t: float, i: int = i) -> float:
            with no_grad():
                return f(*[Value(t if j == i else x) for j, x in enumerate(xs)]).data

        numerical = (at(xs[i] + eps) - at(xs[i] - eps)) / (2 * eps)
        rows.append(GradcheckRow(names[i], v.grad, numerical))
    return GradcheckReport(tuple(rows), eps, rtol, atol)


# ---- the cost argument, measured ----------------------------------------------------------------------


@dataclass(frozen=True)
class CostReport(_Displayed):
    """Operations needed for all n gradients: numerically (2n forward passes) against backprop."""

    inputs: int
    forward_ops: int  # operations in one forward pass
    numerical_passes: int  # forward passes numerical differentiation ran
    numerical_ops: int  # operations they performed in all
    backward_steps: int  # chain-rule steps of one backward pass
    backprop_ops: int  # one forward pass + one backward pass

    def text(self) -> str:
        return (
            f"{self.inputs} inputs, {self.forward_ops} operations per forward pass\n"
            f"numerical differentiation: {self.numerical_passes} forward passes = {self.numerical_ops} operations\n"
            f"backpropagation: 1 forward pass + 1 backward pass = {self.forward_ops} + {self.backward_steps} "
            f"= {self.backprop_ops} operations\n"
            f"ratio: {self.numerical_ops / self.backprop_ops:.1f}x"
        )

    def markdown(self) -> str:
        return (
            "| method | passes | operations |\n|---|---|---|\n"
            f"| numerical (central differences) | {self.numerical_passes} forward | {self.numerical_ops} |\n"
            f"| backpropagation | 1 forward + 1 backward | {self.backprop_ops} |"
        )

    def latex(self) -> str:
        return f"2n \\cdot F = {self.numerical_ops} \\quad\\text{{vs}}\\quad F + B = {self.backprop_ops}"


def _operations(root: Value) -> int:
    return sum(1 for node in topological_order(root) if node._prev)


def cost_of_gradients(f: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6) -> CostReport:
    """Count the operations both ways of computing all gradients of ``f`` at ``inputs`` perform.

    Numerical differentiation runs ``f`` twice per input (``x+eps`` and ``x-eps``); every run is
    counted, with the operations it recorded. Backpropagation runs ``f`` once and then one
    chain-rule step per operation.
    """
    xs = [float(x) for x in inputs]
    passes = 0
    numerical_ops = 0
    for i in range(len(xs)):
        for shift in (eps, -eps):
            out = f(*[Value(x + shift if j == i else x) for j, x in enumerate(xs)])
            passes += 1
            numerical_ops += _operations(out)
    out = f(*[Value(x) for x in xs])
    forward = _operations(out)
    steps = sum(1 for _ in backward_steps(out))
    return CostReport(len(xs), forward, passes, numerical_ops, steps, forward + steps)
