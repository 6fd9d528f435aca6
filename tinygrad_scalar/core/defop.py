"""Your own operation, defined once: ``defop`` adds a row to the table of derivatives.

>>> import math
>>> from tinygrad_scalar import Value, grad
>>> softplus = defop(
...     "my_softplus",
...     forward=lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),  # log(1 + e**x), never overflowing
...     derivatives=[lambda g, x, out: g * x.sigmoid()],      # d softplus(x)/dx = sigmoid(x)
...     text=["sigmoid($x)"],
...     latex=[r"\\sigma($x)"],
... )
>>> y = softplus(Value(0.0)); y.backward()
>>> round(y.data, 6), y._prev[0].grad
(0.693147, 0.5)
>>> grad(grad(lambda x: softplus(x)))(0.0)    # the derivative of the derivative, from the same row
0.25

The row then serves everything the built-in operations get: ``backward()``, ``create_graph``,
``grad`` and ``hessian``, ``trace``, forward mode (``jvp``, ``jacobian``), explanations, drawings and
anomaly detection. The derivatives are written as the built-in rows' are (see
:mod:`tinygrad_scalar.core.ops`): the *contribution* of the upstream gradient ``g`` to one input, with
``+ - * / **``, comparisons, the Values' methods (``x.exp()``, ``x.sigmoid()``), ``select`` and
``sign``, so that they can be compiled to floats and differentiated again. ``math`` functions are
for ``forward`` only: a derivative that uses one is refused when the operation is defined.
"""

from __future__ import annotations

import inspect
import re
import string
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_scalar.core import ops, rules
from tinygrad_scalar.core.engine import Constant, Value, _number, apply

__all__ = ["Operation", "defop"]


class Operation:
    """A user-defined operation: call it on Values (or numbers) to apply it; ``.op`` is its table row.

    Called on the symbols of a formula (inside another operation's derivatives), it writes itself
    into that formula, so operations compose.
    """

    def __init__(self, op: ops.Op) -> None:
        self.op = op
        self.__doc__ = f"The operation {op.name!r} (defined with defop); {op.rule}."

    def __call__(self, *inputs: Value | float, **params: float) -> Any:
        op = self.op
        if len(inputs) != op.arity:
            raise TypeError(f"{op.name} takes {op.arity} input(s) ({', '.join(op.inputs)}), got {len(inputs)}")
        unknown = set(params) - set(op.params)
        if unknown:
            raise TypeError(f"{op.name} has no parameter {sorted(unknown)[0]!r}; its parameters: {op.params or 'none'}")
        missing = [p for p in op.params if p not in params]
        if missing:
            raise TypeError(f"{op.name} needs the parameter {missing[0]}=...")
        if any(isinstance(x, ops.Code) for x in (*inputs, *params.values())):  # inside another row's formula
            return op.code(*inputs, *(params[p] for p in op.params))
        values = tuple(_number(params[p], f"{op.name}({p}=...)") for p in op.params)
        lifted = tuple(x if isinstance(x, Value) else Constant(_number(x, op.name)) for x in inputs)
        return apply(op, lifted, values)

    def __repr__(self) -> str:
        return f"<operation {self.op.name}: {', '.join(self.op.inputs)} -> {self.op.op_label()}>"


def defop(
    name: str,
    forward: Callable[..., float],
    derivatives: Sequence[Callable[..., Any]],
    *,
    text: Sequence[str] | None = None,
    latex: Sequence[str] | None = None,
    rule: str | None = None,
    label: str | None = None,
    params: Sequence[str] = (),
) -> Operation:
    """Define an operation once and get a function that applies it to Values.

    * ``name``: a Python identifier, new (redefining your own operation of the same name replaces
      it, so a notebook cell can run twice; a built-in operation's name is refused);
    * ``forward``: the float function, ``forward(*inputs, *params)``; the inputs' names are its
      parameters' names (``lambda x: ...`` has one input, ``x``);
    * ``derivatives``: for each input, its contribution ``d(g, *inputs, out, *params)``, which is
      ``g`` times the local derivative (see the module docstring);
    * ``text``, ``latex``: the teaching formula of each local derivative, with ``$x`` for the input
      named ``x`` (explanations show them); by default ``name'(x)``;
    * ``rule``: what explanations call the rule (default ``"chain rule through <name>"``);
    * ``label``: what drawings write in the operation's node (default: ``name``);
    * ``params``: names of constant parameters, given as keywords when applying it.
    """
    inputs = _input_names(forward, len(params))
    if len(derivatives) != len(inputs):
        raise ValueError(
            f"{name}: forward takes {len(inputs)} input(s) ({', '.join(inputs)}), so give as many derivatives"
        )
    one = len(inputs) == 1
    default = [f"{name}'(${inputs[0]})"] if one else [f"∂{name}/∂${i}" for i in inputs]
    default_latex = [f"{name}'(${inputs[0]})"] if one else [rf"\partial_{{${i}}} \mathrm{{{name}}}" for i in inputs]
    texts = tuple(text) if text is not None else tuple(default)
    latexes = tuple(latex) if latex is not None else tuple(default_latex)
    for what, formulas in (("text", texts), ("latex", latexes)):
        if len(formulas) != len(inputs):
            raise ValueError(f"{name}: {len(inputs)} input(s) ({', '.join(inputs)}) need {len(inputs)} {what} formulas")
        for formula in formulas:
            _check_formula(name, what, formula, (*inputs, *params))
    op = ops.Op(
        name=name,
        label=label or name,
        forward=forward,
        inputs=inputs,
        params=tuple(params),
        derivatives=tuple(derivatives),
        rule=rule or f"chain rule through {name}",
        text=texts,
        latex=latexes,
        user_defined=True,
    )
    try:
        rules.compile_row(op)  # compiles the derivatives now, so a mistake shows here
    except TypeError as error:
        raise TypeError(f"the derivatives of {name} cannot be compiled: {error}") from None
    if name in ops.OPS and ops.OPS[name].user_defined:  # the new row is good: it replaces the old one
        ops.unregister(name)
    ops.register(op)
    return Operation(op)


MATH_COMMANDS = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho
    varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
    Psi Omega frac dfrac tfrac sqrt cdot times div pm mp le leq ge geq lt gt ne neq approx equiv infty partial
    nabla exp log ln lg sin cos tan sec csc cot arcsin arccos arctan sinh cosh tanh coth max min sup inf arg sgn
    operatorname mathrm mathbf mathit mathsf mathcal text left right bigl bigr Bigl Bigr big Big lvert rvert
    lVert rVert vert Vert langle rangle lfloor rfloor lceil rceil quad qquad cdots ldots dots prime circ d
    displaystyle textstyle mid in notin sum prod int lim to mapsto""".split()  # noqa: SIM905 - a word list
)
"""The commands a ``latex=`` formula may use: maths only. Anything else (``\\input``, ``\\InputIfFileExists``,
``\\csname``, a definition) is refused when the operation is defined, whatever its spelling."""

_COMMAND = re.compile(r"\\([A-Za-z]+|.?)", re.DOTALL)


def _unsafe_latex(formula: str) -> str | None:
    """What in ``formula`` is not plain maths (a command off ``MATH_COMMANDS``, TeX's ``^^`` character codes, a
    catcode trick), or None."""
    if "^^" in formula:
        return "^^ (TeX's way of writing any character, commands included)"
    for match in _COMMAND.finditer(formula):
        command = match.group(1)
        if command not in MATH_COMMANDS and command not in (",", ";", "!", ":", " ", "{", "}", "|", "\\", "%"):
            return "\\" + command
    return None


def _check_formula(name: str, what: str, formula: str, names: Sequence[str]) -> None:
    """Refuse, when the operation is defined, a formula that would fail or misbehave when shown: a ``$``
    that names no input or parameter, and in LaTeX a command that reads or writes files."""
    if not isinstance(formula, str):
        raise TypeError(f"{name}: a {what} formula is a string with $name for each input, got {type(formula).__name__}")
    unsafe = _unsafe_latex(formula) if what == "latex" else None
    if unsafe is not None:
        raise ValueError(
            f"{name}: the latex formula {formula!r} uses {unsafe}, which is not a maths command; a formula may use "
            f"maths commands only (\\frac, \\sigma, \\exp, ...: defop.MATH_COMMANDS)"
        )
    try:
        string.Template(formula).substitute(dict.fromkeys((*names, "out"), "x"))
    except KeyError as error:
        raise ValueError(
            f"{name}: the {what} formula {formula!r} uses ${error.args[0]}, which is not an input or parameter; "
            f"the names are: {', '.join(f'${n}' for n in (*names, 'out'))}"
        ) from None
    except ValueError:
        raise ValueError(
            f"{name}: the {what} formula {formula!r} has a $ that names nothing; write $name for an input "
            f"({', '.join(f'${n}' for n in names)}), and $$ for a dollar sign"
        ) from None


def _input_names(forward: Callable[..., float], n_params: int) -> tuple[str, ...]:
    try:
        names = [
            p.name
            for p in inspect.signature(forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError) as error:
        raise TypeError("defop needs a forward function whose parameters it can read (a def or a lambda)") from error
    inputs = names[: len(names) - n_params] if n_params else names
    if not inputs:
        raise ValueError("the forward function takes no inputs")
    return tuple(inputs)
