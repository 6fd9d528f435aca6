"""The table of derivatives: every operation of the engine, defined once.

Each ``Op`` below is one row of the table a calculus book prints: the operation's name, its
forward function on floats, the local derivative with respect to each input, and the formula a
teacher writes for it. Everything else in the package is *derived* from these rows:

* :mod:`tinygrad_scalar.core.rules` compiles each row's derivatives into the engine's float backward
  rule (``parent.grad += contribution``) and forward mode's tangent rule;
* higher-order derivatives (``create_graph``, ``grad``, ``hessian``) evaluate the same derivatives
  on ``Value`` objects, so that the gradient has a graph of its own;
* ``trace`` writes them into its generated program, forward mode (``jvp``) pushes tangents through
  them, and explanations, drawings and anomaly detection read the names and formulas.

A derivative is written as the *contribution* of the upstream gradient ``g`` to one input, a
function of ``g``, the inputs, the result ``out`` and the operation's parameters::

    tanh:  d(tanh x)/dx = 1 - tanh(x)**2      contribution  g * ((1.0 - out) * (1.0 + out))

It uses only ``+ - * / **``, comparisons and the operations' methods (``x.exp()``, ``x.cos()``),
plus :func:`select` for a choice made on the numbers (ReLU's flat side) and :func:`sign`. That is
what lets one definition run three ways: on floats, on ``Value`` objects, and as Python source
code (the :class:`Code` objects below), which the engine and ``trace`` compile. Contributions are
linear in ``g``; forward mode relies on that (for one output, pushing a tangent ``t`` forward
through an input is the same formula with ``g = t``).

Each formula is PyTorch's (the same operations in the same order), so gradients agree with
``torch.float64`` down to the special values: where PyTorch selects zero (ReLU's flat side,
``x**0``), the contribution is *selected* away, so an ``inf`` or ``nan`` upstream gradient still
gives 0 there, never ``0 * inf = nan``.

Your own operation is one more row: see :func:`tinygrad_scalar.defop` (in :mod:`tinygrad_scalar.core.defop`).
"""

from __future__ import annotations

import math
import operator
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tinygrad_scalar.core import ieee
from tinygrad_scalar.core.language import N_, language, number_text

__all__ = [
    "OPS",
    "Code",
    "Op",
    "compile_function",
    "equal",
    "register",
    "select",
    "sign",
    "source",
]

Formula = str | Callable[..., str]
"""A teaching formula: a ``string.Template`` over the inputs' names, ``$out`` and the parameters
(``'1 - tanh($x)^2'``), or a function of the same names (as strings) returning the text."""


# ---- symbolic evaluation: a formula as Python source -------------------------------------------------


def source(x: object) -> str:
    """The Python source of a number or a ``Code`` inside a generated expression."""
    if isinstance(x, Code):
        return x.src
    if isinstance(x, bool):
        return repr(x)
    if isinstance(x, (int, float)):
        x = float(x)
        if math.isnan(x):
            return "NAN"
        if math.isinf(x):
            return "INF" if x > 0 else "(-INF)"
        return repr(x) if x >= 0 else f"({x!r})"
    raise TypeError(
        f"a derivative formula met a {type(x).__name__} ({x!r}); formulas are written with numbers, "
        f"+ - * / **, comparisons, the operations' methods (x.exp(), x.cos(), ...), select() and sign()"
    )


class Code:
    """A Python expression under construction: what a formula of the table computes, as source.

    Evaluating a derivative on ``Code`` symbols writes it out: ``g * x.cos()`` on the symbols
    ``g`` and ``p0.data`` gives ``Code('(g * cos(p0.data))')``. The engine and ``trace`` compile
    that source, so the formula is computed with the same float operations, in the same order, as
    on ``Value`` objects. ``number=True`` marks a symbol that stands for a constant (an operation's
    parameter, such as the ``k`` of ``x**k``), so that ``x ** k`` is written as ``x**k`` with a
    constant exponent, as on a ``Value``.

    ``nonzero_if`` is set on a contribution made by :func:`select` with a zero branch: the condition
    under which it is not zero, and the expression it is then, so that a program can skip the
    addition instead of adding 0 (which is also what keeps an ``inf`` upstream gradient from giving
    ``nan``).
    """

    __slots__ = ("src", "number", "nonzero_if")

    def __init__(self, src: str, number: bool = False, nonzero_if: tuple[str, str] | None = None) -> None:
        self.src = src
        self.number = number
        self.nonzero_if = nonzero_if

    def __repr__(self) -> str:
        return f"Code({self.src!r})"

    def _binary(self, other: object, template: str, reflected: bool = False) -> Code:
        a, b = (source(other), self.src) if reflected else (self.src, source(other))
        number = self.number and (not isinstance(other, Code) or other.number)
        return Code(template.format(a, b), number)

    def __add__(self, other: object) -> Code:
        return self._binary(other, "({} + {})")

    def __radd__(self, other: object) -> Code:
        return self._binary(other, "({} + {})", reflected=True)

    def __sub__(self, other: object) -> Code:
        return self._binary(other, "({} - {})")

    def __rsub__(self, other: object) -> Code:
        return self._binary(other, "({} - {})", reflected=True)

    def __mul__(self, other: object) -> Code:
        return self._binary(other, "({} * {})")

    def __rmul__(self, other: object) -> Code:
        return self._binary(other, "({} * {})", reflected=True)

    def __truediv__(self, other: object) -> Code:
        return self._binary(other, "div({}, {})")

    def __rtruediv__(self, other: object) -> Code:
        return self._binary(other, "div({}, {})", reflected=True)

    def __pow__(self, other: object) -> Code:
        constant = not isinstance(other, Code) or other.number  # x ** number: a constant exponent
        return self._binary(other, "power({}, {})" if constant else "pow({}, {})")

    def __rpow__(self, other: object) -> Code:
        return self._binary(other, "pow({}, {})", reflected=True)

    def __neg__(self) -> Code:
        return Code(f"(-{self.src})", self.number)

    def __abs__(self) -> Code:
        return OPS["abs"].code(self)

    # Comparisons make conditions (for select); they compare the numbers, as on a Value. Write
    # equality as equal(a, b): == on Values compares identity.
    def __lt__(self, other: object) -> Code:
        return self._binary(other, "({} < {})")

    def __le__(self, other: object) -> Code:
        return self._binary(other, "({} <= {})")

    def __gt__(self, other: object) -> Code:
        return self._binary(other, "({} > {})")

    def __ge__(self, other: object) -> Code:
        return self._binary(other, "({} >= {})")

    def __eq__(self, other: object) -> Code:  # type: ignore[override]
        return self._binary(other, "({} == {})")

    def __ne__(self, other: object) -> Code:  # type: ignore[override]
        return self._binary(other, "({} != {})")

    def __and__(self, other: object) -> Code:
        return self._binary(other, "({} and {})")

    def __or__(self, other: object) -> Code:
        return self._binary(other, "({} or {})")

    __hash__ = None  # type: ignore[assignment]  # == builds a condition

    def __bool__(self) -> bool:
        raise TypeError(
            "a derivative formula used a condition in Python's 'if', 'and', 'or' or 'not'; "
            "write select(condition, then, otherwise), and & or | between conditions"
        )

    def __float__(self) -> float:
        raise TypeError(
            "a derivative formula called a function of the math module; write the operation's method "
            "instead (x.exp(), x.log(), x.tanh(), ...), so that it can be differentiated again"
        )

    def __getattr__(self, name: str) -> Callable[..., Code]:
        """``x.tanh()`` and every other method of an operation in the table, written as a call."""
        op = _BY_METHOD.get(name)
        if op is None:
            raise AttributeError(f"no operation has a method {name!r}; the operations are: {', '.join(sorted(OPS))}")
        return lambda *args, **params: op.code(self, *args, **params)


def select(condition: Any, then: Any, otherwise: Any) -> Any:
    """``then`` where ``condition`` holds, else ``otherwise``: a choice made on the numbers.

    On ``Value`` objects the condition is a ``bool`` (comparisons of Values compare their data), and
    the chosen branch is returned; in generated code it is Python's ``then if condition else
    otherwise``. The chosen branch is the derivative: the choice itself has none (ReLU's derivative
    is ``select(out <= 0.0, 0.0, g)``).
    """
    if isinstance(condition, Code):
        src = f"({source(then)} if {condition.src} else {source(otherwise)})"
        nonzero_if = None
        if is_zero(then):  # zero where the condition holds
            nonzero_if = (f"not {condition.src}", source(otherwise))
        elif is_zero(otherwise):
            nonzero_if = (condition.src, source(then))
        return Code(src, nonzero_if=nonzero_if)
    if not isinstance(condition, bool):
        raise TypeError(f"select takes a condition (a comparison), got {type(condition).__name__}")
    return then if condition else otherwise


def equal(a: Any, b: Any) -> Any:
    """``a == b`` on the numbers: a condition for :func:`select` (``==`` on Values compares identity)."""
    if isinstance(a, Code) or isinstance(b, Code):
        return Code(f"({source(a)} == {source(b)})")
    return getattr(a, "data", a) == getattr(b, "data", b)


def is_zero(x: object) -> bool:
    return not isinstance(x, Code) and isinstance(x, (int, float)) and x == 0.0


def sign(x: Any) -> Any:
    """1, -1 or 0 (also for nan) by the sign of ``x``'s number: a constant, with no derivative."""
    if isinstance(x, Code):
        return Code(f"sign({x.src})")
    return ieee.sign(x.data)


# ---- an operation ------------------------------------------------------------------------------------------


@dataclass(eq=False, kw_only=True, slots=True)
class Op:
    """One row of the table of derivatives. See the module docstring.

    * ``name``: what programs, errors and forward mode call it, and the method's name (``x.tanh()``);
    * ``label``: what a drawing's operation node shows and ``node._op`` holds (``'*'``, ``'ReLU'``);
      a function of the parameters for an operation that has some (``'**2'``);
    * ``forward``: the float function, inputs first, then parameters, following IEEE-754 as
      PyTorch float64 does (:mod:`tinygrad_scalar.core.ieee`);
    * ``inputs``, ``params``: the names of the inputs and parameters in formulas;
    * ``derivatives``: one contribution per input, ``d(g, *inputs, out, *params)``;
    * ``rule``: the rule's name in explanations (``'product rule'``), or one name per input where the inputs
      follow different rules (``a**b``: the power rule for ``a``, the exponential rule for ``b``);
    * ``text``, ``latex``: the teaching formula of each local derivative, in the inputs' names;
    * ``written``: how a teacher writes the operation applied to its inputs, in text and LaTeX
      (``'$a·$b'`` and its LaTeX); by default ``name(x)``;
    * ``inline``: how generated programs write the forward computation (``'({0} * {1})'``);
      without it, a call of ``forward``;
    * ``tangent``: forward mode's formula, ``tangent(*tangents, *inputs, out, *params)``, where it is not
      the sum of the contributions with ``g`` set to each input's tangent (PyTorch's ``a / b`` moves by
      ``(ta - tb·(a/b)) / b``, which stays finite where ``tb·a/b**2`` overflows);
    * ``expand``: for an operation defined by a function of Values instead of derivatives
      (``checkpoint``), ``expand(inputs, params)`` builds its result as a graph; the consumers
      differentiate through that graph.

    ``backward``, the float rule ``backward(node, g)`` that ``Value.backward()`` runs, is compiled from
    the row by :mod:`tinygrad_scalar.core.rules` (or, for an expanded operation, written by its module).
    """

    name: str
    label: str | Callable[..., str]
    forward: Callable[..., float]
    inputs: tuple[str, ...] = ("x",)
    params: tuple[str, ...] = ()
    derivatives: tuple[Callable[..., Any], ...]
    rule: str | tuple[str, ...]
    text: tuple[Formula, ...]
    latex: tuple[Formula, ...]
    written: tuple[Formula, Formula] | None = None
    inline: str | None = None
    tangent: Callable[..., Any] | None = None
    expand: Callable[[Sequence[Any], tuple[Any, ...]], Any] | None = None
    user_defined: bool = False
    backward: Callable[[Any, float], None] = field(init=False, repr=False)
    compiled: dict[str, Any] = field(default_factory=dict, repr=False)  # forward mode's rules, made on first use

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"an operation's name is a Python identifier, got {self.name!r}")
        n = len(self.inputs)
        rules = self.rule if isinstance(self.rule, tuple) else (self.rule,) * n
        for what, items in (
            ("derivatives", self.derivatives),
            ("text", self.text),
            ("latex", self.latex),
            ("rule", rules),
        ):
            if len(items) != n:
                raise ValueError(f"operation {self.name!r}: {n} inputs need {n} {what}, got {len(items)}")

    def __call__(self, *args: Any) -> Any:
        """The row applied inside another row's formula: written out on ``Code``, a new node on Values (made by
        the Value's ``_apply_row``), the number on floats. Inputs first, then parameters."""
        if any(isinstance(a, Code) for a in args):
            return self.code(*args)
        for a in args:
            make = getattr(a, "_apply_row", None)
            if make is not None:
                return make(self, args)
        return self.forward(*args)

    @property
    def arity(self) -> int:
        """How many inputs the operation takes."""
        return len(self.inputs)

    def rule_of(self, i: int) -> str:
        """The name of the rule d(out)/d(input ``i``) follows."""
        return self.rule[i] if isinstance(self.rule, tuple) else self.rule

    def op_label(self, params: Sequence[Any] = ()) -> str:
        """What ``node._op`` holds for this operation with these parameters."""
        return self.label(*params) if callable(self.label) else self.label

    def code(self, *args: Any, **params: Any) -> Code:
        """The forward computation on ``Code`` inputs (and parameters), as source."""
        values = [*args, *(params[p] for p in self.params if p in params)]
        if len(values) != self.arity + len(self.params):
            raise TypeError(f"{self.name} takes {self.arity} inputs and the parameters {self.params}")
        sources = [source(v) for v in values]
        if self.inline is not None:
            return Code(self.inline.format(*sources))
        return Code(f"{self.name}({', '.join(sources)})")

    def formula(self, i: int, names: Sequence[str], out: str, params: Sequence[Any], latex: bool = False) -> str:
        """The teaching formula of d(out)/d(input ``i``), written with ``names`` for the inputs."""
        return self._fill((self.latex if latex else self.text)[i], names, out, params, latex)

    def writing(self, names: Sequence[str], params: Sequence[Any], latex: bool = False) -> str:
        """The operation applied to inputs called ``names``, as a teacher writes it: ``tanh(n)``, ``a·b``."""
        if self.written is None:
            args = ", ".join([*(f"${i}" for i in self.inputs), *(f"${p}" for p in self.params)])
            escaped = self.name.replace("_", r"\_")
            template: Formula = rf"\operatorname{{{escaped}}}({args})" if latex else f"{self.name}({args})"
        else:
            template = self.written[1 if latex else 0]
        return self._fill(template, names, "", params, latex)

    def _fill(self, template: Formula, names: Sequence[str], out: str, params: Sequence[Any], latex: bool) -> str:
        """A formula with the inputs' names and the parameters' numbers, written in the language in use: a
        decimal comma where that is the custom, and then arguments separated by semicolons, ``max(a; 0,5)``.
        A formula written as a function gets the numbers as Python writes them (it computes with them) and
        writes them itself with ``number_text``."""
        mapping = dict(zip(self.inputs, names)) | {"out": out}
        numbers = {p: _number_text(v) for p, v in zip(self.params, params)}
        if callable(template):
            return template(**mapping, **numbers)
        mapping |= {p: number_text(v, latex) for p, v in numbers.items()}
        return string.Template(template.replace(", ", language().separator)).substitute(mapping)

    def contributions_code(self, g: Any, inputs: Sequence[Any], out: Any, params: Sequence[Any]) -> list[Any]:
        """Each input's contribution: evaluated on ``Code`` symbols, as ``Code`` (or the number 0.0 where
        there is none); on Values, as Values (or numbers)."""
        return [d(g, *inputs, out, *params) for d in self.derivatives]

    def __repr__(self) -> str:
        rules = "; ".join(dict.fromkeys(self.rule)) if isinstance(self.rule, tuple) else self.rule
        return f"<Op {self.name}: {rules}>"


def _number_text(x: Any) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return str(x)


def statement(target: str, contribution: Any) -> str | None:
    """The Python statement adding ``contribution`` to ``target`` (None when it is the number 0)."""
    if is_zero(contribution):
        return None
    if isinstance(contribution, Code) and contribution.nonzero_if is not None:
        condition, expression = contribution.nonzero_if
        return f"if {condition}: {target} += {expression}"
    return f"{target} += {source(contribution)}"


OPS: dict[str, Op] = {}
"""Every operation, by name: the table below, then the ones added with ``register`` (``defop``)."""

_BY_METHOD: dict[str, Op] = {}

NAMESPACE: dict[str, Any] = {"sign": ieee.sign}  # div, pow, power: the rows of those names below
NAMESPACE.update({"INF": math.inf, "NAN": math.nan})
"""What generated code may call: each operation's forward function under its name, and helpers."""


def unregister(name: str) -> None:
    """Take the row ``name`` out of the table (``defop`` does, to replace your own operation)."""
    OPS.pop(name, None)
    _BY_METHOD.pop(name, None)
    NAMESPACE.pop(name, None)


def register(op: Op) -> Op:
    """Add ``op`` to the table; its name must be new."""
    if op.name in OPS or op.name in NAMESPACE:
        raise ValueError(f"there is an operation called {op.name!r} already; choose another name")
    OPS[op.name] = op
    _BY_METHOD[op.name] = op
    NAMESPACE[op.name] = op.forward
    return op


def compile_function(source: str, name: str, filename: str) -> Callable[..., Any]:
    """Compile generated ``source`` (over the operations' forward functions, in ``NAMESPACE``) and
    return its function ``name``."""
    namespace = dict(NAMESPACE)
    exec(compile(source, filename, "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function


def _power_label(k: float) -> str:
    return f"**{_number_text(k)}"


def _power_parts(k: str) -> tuple[str, str]:
    """The coefficient and exponent of d(x^k)/dx = k x^(k-1), as written: 2·y, not 2·y^1."""
    number = re.fullmatch(r"-?[\d.]+(e-?\d+)?|-?inf|nan", k)
    minus_1 = _number_text(float(k) - 1.0) if number else f"{k} - 1"
    return k, minus_1


def _power_text(x: str, out: str, k: str) -> str:
    k, k_minus_1 = _power_parts(k)
    if k_minus_1 == "0":
        return f"({number_text(k)})" if k.startswith("-") else number_text(k)
    coefficient = f"({number_text(k)})" if k.startswith("-") else number_text(k)
    shown = number_text(k_minus_1)
    power = x if k_minus_1 == "1" else f"{x}^{shown}" if not k_minus_1.startswith("-") else f"{x}^({shown})"
    return f"{coefficient}·{power}"


def _power_latex(x: str, out: str, k: str) -> str:
    k, k_minus_1 = _power_parts(k)
    if k_minus_1 == "0":
        return number_text(k, latex=True)
    power = x if k_minus_1 == "1" else f"{x}^{{{number_text(k_minus_1, latex=True)}}}"
    return f"{number_text(k, latex=True)} {power}"


def _power_written(x: str, out: str, k: str) -> str:
    return f"{x}^{number_text(k)}" if not k.startswith("-") else f"{x}^({number_text(k)})"


def _power_written_latex(x: str, out: str, k: str) -> str:
    return f"{x}^{{{number_text(k, latex=True)}}}"


# ---- the table -------------------------------------------------------------------------------------------
# Primitives first, then the activations. Each derivative is the contribution of the upstream gradient g,
# with the local derivative it multiplies written beside it as math.

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # as PyTorch writes erf's derivative
GELU_ALPHA = (2.0 / math.sqrt(math.pi)) * ieee.SQRT1_2 * 0.5  # 1/sqrt(2 pi), as PyTorch writes it

ADD = register(
    Op(
        name="add",
        label="+",
        forward=operator.add,
        inputs=("a", "b"),
        derivatives=(
            lambda g, a, b, out: g,  # d(a + b)/da = 1
            lambda g, a, b, out: g,  # d(a + b)/db = 1
        ),
        rule=N_("sum rule"),
        text=("1", "1"),
        latex=("1", "1"),
        written=("$a + $b", "$a + $b"),
        inline="({0} + {1})",
    )
)
MUL = register(
    Op(
        name="mul",
        label="*",
        forward=operator.mul,
        inputs=("a", "b"),
        derivatives=(
            lambda g, a, b, out: g * b,  # d(a b)/da = b
            lambda g, a, b, out: g * a,  # d(a b)/db = a
        ),
        rule=N_("product rule"),
        text=("$b", "$a"),
        latex=("$b", "$a"),
        written=("$a·$b", r"$a \cdot $b"),
        inline="({0} * {1})",
    )
)
DIV = register(
    Op(
        name="div",
        label="/",
        forward=ieee.div,
        inputs=("a", "b"),
        derivatives=(
            lambda g, a, b, out: g / b,  # d(a/b)/da = 1/b
            lambda g, a, b, out: -g * (out / b),  # d(a/b)/db = -a/b^2 = -(a/b)/b
        ),
        rule=N_("quotient rule"),
        text=("1/$b", "-$a/$b^2"),
        latex=(r"\frac{1}{$b}", r"-\frac{$a}{$b^{2}}"),
        written=("$a/$b", r"\frac{$a}{$b}"),
        tangent=lambda ta, tb, a, b, out: (ta - tb * out) / b,  # PyTorch's: finite where tb * a/b^2 overflows
    )
)
RECIPROCAL = register(
    Op(
        name="reciprocal",
        label="1/",
        forward=ieee.reciprocal,
        derivatives=(lambda g, x, out: -g * (out * out),),  # d(1/x)/dx = -1/x^2 = -(1/x)^2
        rule=N_("quotient rule"),
        text=("-1/$x^2",),
        latex=(r"-\frac{1}{$x^{2}}",),
        written=("1/$x", r"\frac{1}{$x}"),
    )
)
"""``c / x`` for a number ``c``, as PyTorch computes ``c / t``: ``reciprocal(t) * c``, two roundings, and the
gradient through ``1/x``; ``Value(c) / x`` and ``x / y`` are ``div``, one rounding."""
POW = register(
    Op(
        name="pow",
        label="**",
        forward=ieee.pow,
        inputs=("a", "b"),
        derivatives=(
            lambda g, a, b, out: select(equal(b, 0.0), 0.0, g * (b * a ** (b - 1.0))),  # d(a^b)/da = b a^(b-1)
            lambda g, a, b, out: g * (out * select(equal(a, 0.0) & (b >= 0.0), 0.0, a.log())),  # d(a^b)/db = a^b ln a
        ),
        rule=(N_("power rule"), N_("exponential rule")),
        text=("$b·$a^($b - 1)", "$a^$b·log($a)"),
        latex=("$b $a^{$b - 1}", r"$a^{$b} \log $a"),
        written=("$a^$b", "$a^{$b}"),
    )
)
POWER = register(
    Op(
        name="power",
        label=_power_label,
        forward=ieee.power,
        params=("k",),
        derivatives=(
            lambda g, x, out, k: select(equal(k, 0.0), 0.0, g * (k * x ** (k - 1.0))),  # d(x^k)/dx = k x^(k-1)
        ),
        rule=N_("power rule"),
        text=(_power_text,),
        latex=(_power_latex,),
        written=(_power_written, _power_written_latex),
    )
)
EXP = register(
    Op(
        name="exp",
        label="exp",
        forward=ieee.exp,
        derivatives=(lambda g, x, out: g * out,),  # d(e^x)/dx = e^x
        rule=N_("exponential rule"),
        text=("exp($x)",),
        latex=("e^{$x}",),
        written=("exp($x)", "e^{$x}"),
    )
)
LOG = register(
    Op(
        name="log",
        label="log",
        forward=ieee.log,
        derivatives=(lambda g, x, out: g / x,),  # d(ln x)/dx = 1/x
        rule=N_("logarithm rule"),
        text=("1/$x",),
        latex=(r"\frac{1}{$x}",),
        written=("log($x)", r"\log $x"),
    )
)
FMA = register(
    Op(
        name="fma",
        label="fma",
        forward=ieee.fma,
        inputs=("a", "b", "c"),
        derivatives=(
            lambda g, a, b, c, out: g * b,  # d(a b + c)/da = b
            lambda g, a, b, c, out: g * a,  # d(a b + c)/db = a
            lambda g, a, b, c, out: g,  # d(a b + c)/dc = 1
        ),
        rule=(N_("product rule"), N_("product rule"), N_("sum rule")),  # a b + c
        text=("$b", "$a", "1"),
        latex=("$b", "$a", "1"),
        written=("$a·$b + $c", r"$a \cdot $b + $c"),
    )
)  # a*b + c rounded once: how PyTorch's kernels compute 1 - y^2, and what keeps second derivatives exact
TANH = register(
    Op(
        name="tanh",
        label="tanh",
        forward=ieee.tanh,
        derivatives=(lambda g, x, out: g * (-out).fma(out, 1.0),),  # d(tanh x)/dx = 1 - tanh(x)^2
        rule=N_("chain rule through tanh"),
        text=("1 - tanh($x)^2",),
        latex=(r"1 - \tanh^{2} $x",),
        written=("tanh($x)", r"\tanh $x"),
    )
)
SIGMOID = register(
    Op(
        name="sigmoid",
        label="sigmoid",
        forward=ieee.sigmoid,
        derivatives=(lambda g, x, out: g * (1.0 - out) * out,),  # d(s(x))/dx = s(x) (1 - s(x))
        rule=N_("chain rule through sigmoid"),
        text=("sigmoid($x)·(1 - sigmoid($x))",),
        latex=(r"\sigma($x)\,(1 - \sigma($x))",),
        written=("sigmoid($x)", r"\sigma($x)"),
    )
)
RELU = register(
    Op(
        name="relu",
        label="ReLU",
        forward=ieee.relu,
        derivatives=(lambda g, x, out: select(out <= 0.0, 0.0, g),),  # 1 where relu(x) > 0, else 0
        rule=N_("chain rule through ReLU"),
        text=("[$x > 0]",),
        latex=(r"[$x > 0]",),
        inline="(0.0 if {0} < 0.0 else {0})",
    )
)
SIN = register(
    Op(
        name="sin",
        label="sin",
        forward=ieee.sin,
        derivatives=(lambda g, x, out: g * x.cos(),),  # d(sin x)/dx = cos x
        rule=N_("chain rule through sin"),
        text=("cos($x)",),
        latex=(r"\cos $x",),
        written=("sin($x)", r"\sin $x"),
    )
)
COS = register(
    Op(
        name="cos",
        label="cos",
        forward=ieee.cos,
        derivatives=(lambda g, x, out: g * -x.sin(),),  # d(cos x)/dx = -sin x
        rule=N_("chain rule through cos"),
        text=("-sin($x)",),
        latex=(r"-\sin $x",),
        written=("cos($x)", r"\cos $x"),
    )
)
SQRT = register(
    Op(
        name="sqrt",
        label="sqrt",
        forward=ieee.sqrt,
        derivatives=(lambda g, x, out: g / (2.0 * out),),  # d(sqrt x)/dx = 1/(2 sqrt x)
        rule=N_("chain rule through sqrt"),
        text=("1/(2·sqrt($x))",),
        latex=(r"\frac{1}{2\sqrt{$x}}",),
        written=("sqrt($x)", r"\sqrt{$x}"),
    )
)
ABS = register(
    Op(
        name="abs",
        label="abs",
        forward=abs,
        derivatives=(lambda g, x, out: g * sign(x),),  # d|x|/dx = sign(x), 0 at 0
        rule=N_("chain rule through abs"),
        text=("sign($x)",),
        latex=(r"\operatorname{sign} $x",),
        written=("|$x|", r"\lvert $x \rvert"),
    )
)
LOG1P = register(
    Op(
        name="log1p",
        label="log1p",
        forward=ieee.log1p,
        derivatives=(lambda g, x, out: g / (x + 1.0),),  # d(ln(1 + x))/dx = 1/(1 + x)
        rule=N_("chain rule through log1p"),
        text=("1/(1 + $x)",),
        latex=(r"\frac{1}{1 + $x}",),
        written=("log(1 + $x)", r"\log(1 + $x)"),
    )
)
ERF = register(
    Op(
        name="erf",
        label="erf",
        forward=ieee.erf,
        derivatives=(lambda g, x, out: TWO_OVER_SQRT_PI * (-(x**2)).exp() * g,),  # d(erf x)/dx = 2/sqrt(pi) e^(-x^2)
        rule=N_("chain rule through erf"),
        text=("2/sqrt(pi)·exp(-$x^2)",),
        latex=(r"\frac{2}{\sqrt{\pi}} e^{-$x^{2}}",),
    )
)
# ---- activations beyond micrograd's, with PyTorch's derivatives, kinks included
LEAKY_RELU = register(
    Op(
        name="leaky_relu",
        label="leaky_relu",
        forward=ieee.leaky_relu,
        params=("slope",),
        derivatives=(lambda g, x, out, slope: select(x > 0.0, g, g * slope),),  # 1 where x > 0, else the slope
        rule=N_("chain rule through leaky ReLU"),
        text=("[$x > 0] + $slope·[$x <= 0]",),
        latex=(r"[$x > 0] + $slope\,[$x \le 0]",),
    )
)
ELU = register(
    Op(
        name="elu",
        label="elu",
        forward=ieee.elu,
        params=("alpha",),
        derivatives=(
            lambda g, x, out, alpha: select(x <= 0.0, g * alpha * x.exp(), g),
        ),  # 1, or alpha e^x where x <= 0
        rule=N_("chain rule through ELU"),
        text=("[$x > 0] + $alpha·exp($x)·[$x <= 0]",),
        latex=(r"[$x > 0] + $alpha e^{$x} [$x \le 0]",),
    )
)
SOFTPLUS = register(
    Op(
        name="softplus",
        label="softplus",
        forward=ieee.softplus,
        derivatives=(  # sigmoid(x), written as PyTorch computes it
            lambda g, x, out: select(x > ieee.SOFTPLUS_THRESHOLD, g, g * x.exp() / (x.exp() + 1.0)),
        ),
        rule=N_("chain rule through softplus"),
        text=("sigmoid($x)",),
        latex=(r"\sigma($x)",),
    )
)
SILU = register(
    Op(
        name="silu",
        label="silu",
        forward=ieee.silu,
        derivatives=(  # s(x) (1 + x (1 - s(x))), s the sigmoid; PyTorch's kernel fuses x (1 - s) + 1
            lambda g, x, out: g * x.sigmoid() * x.fma(1.0 - x.sigmoid(), 1.0),
        ),
        rule=N_("chain rule through SiLU"),
        text=("sigmoid($x)·(1 + $x·(1 - sigmoid($x)))",),
        latex=(r"\sigma($x)\,(1 + $x\,(1 - \sigma($x)))",),
    )
)
GELU = register(
    Op(
        name="gelu",
        label="gelu",
        forward=ieee.gelu,
        derivatives=(  # Phi(x) + x phi(x): the normal distribution's CDF, plus x times its density
            lambda g, x, out: g * (0.5 * (1.0 + (x * ieee.SQRT1_2).erf()) + x * (GELU_ALPHA * (x * x * -0.5).exp())),
        ),
        rule=N_("chain rule through GELU"),
        text=("Phi($x) + $x·phi($x)",),
        latex=(r"\Phi($x) + $x\,\varphi($x)",),
    )
)


def _gelu_u(x: Any) -> Any:  # u = sqrt(2/pi) (x + 0.044715 x^3), the tanh form's inner value
    return ieee.GELU_BETA * (x + ieee.GELU_KAPPA * (x * x * x))


def _gelu_du(x: Any) -> Any:  # u' = sqrt(2/pi) (1 + 3 0.044715 x^2)
    return ieee.GELU_BETA * (1.0 + 3.0 * ieee.GELU_KAPPA * (x * x))


def _sech2(u: Any) -> Any:  # sech^2 u = 4/(e^u + e^-u)^2, from u itself: exact where 1 - tanh(u)^2 is 0
    return 4.0 / (u.exp() + (-u).exp()) ** 2


GELU_TANH_SLOPE = register(
    Op(
        name="gelu_tanh_slope",
        label="gelu_tanh'",
        forward=ieee.gelu_tanh_slope,
        derivatives=(  # gelu_tanh''(x) = sech^2(u) (u' + x (u''/2 - tanh(u) u'^2)), u'' = 6 sqrt(2/pi) 0.044715 x
            lambda g, x, out: (
                g
                * _sech2(_gelu_u(x))
                * (
                    _gelu_du(x)
                    + x * (0.5 * (6.0 * ieee.GELU_BETA * ieee.GELU_KAPPA * x) - _gelu_u(x).tanh() * _gelu_du(x) ** 2)
                )
            ),
        ),
        rule=N_("chain rule through the slope of GELU (tanh form)"),
        text=(
            "sech(u)^2·(u' + $x·(u''/2 - tanh(u)·u'^2)), u = sqrt(2/pi)·($x + 0.044715·$x^3), "
            "u' = sqrt(2/pi)·(1 + 3·0.044715·$x^2), u'' = sqrt(2/pi)·6·0.044715·$x",
        ),
        latex=(
            r"\operatorname{sech}^{2} u\,\bigl(u' + $x\,(\tfrac{1}{2}u'' - u'^{2} \tanh u)\bigr),"
            r"\; u = \sqrt{2/\pi}\,($x + 0.044715\,$x^{3}),\; u' = \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,$x^{2}),"
            r"\; u'' = \sqrt{2/\pi} \cdot 6 \cdot 0.044715\,$x",
        ),
    )
)  # the derivative of gelu_tanh as an operation of its own, as in PyTorch: its value is PyTorch's first
# derivative, bit for bit, and its derivative (the second) is written with sech^2 u from u itself, which
# stays accurate where 1 - tanh(u)^2 would have lost every digit
GELU_TANH = register(
    Op(
        name="gelu_tanh",
        label="gelu_tanh",
        forward=ieee.gelu_tanh,
        derivatives=(lambda g, x, out: g * GELU_TANH_SLOPE(x),),  # (1 + t)/2 + x (1 - t^2) u'/2, t = tanh(u)
        rule=N_("chain rule through GELU (tanh form)"),
        text=(
            "(1 + t)/2 + $x·(1 - t^2)·u'/2, t = tanh(u), u = sqrt(2/pi)·($x + 0.044715·$x^3), "
            "u' = sqrt(2/pi)·(1 + 3·0.044715·$x^2)",
        ),
        latex=(
            r"\tfrac{1}{2}(1 + t) + \tfrac{1}{2} $x (1 - t^{2})\, u', \; t = \tanh u,"
            r"\; u = \sqrt{2/\pi}\,($x + 0.044715\,$x^{3}),\; u' = \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,$x^{2})",
        ),
    )
)
MAXIMUM = register(
    Op(
        name="maximum",
        label="max",
        forward=ieee.maximum,
        inputs=("a", "b"),
        derivatives=(  # 1 where the input is the larger, 1/2 at a tie, else 0
            lambda g, a, b, out: select(a < b, 0.0, select(equal(a, b), g / 2.0, g)),
            lambda g, a, b, out: select(a > b, 0.0, select(equal(a, b), g / 2.0, g)),
        ),
        rule=N_("chain rule through max"),
        text=("[$a > $b] + 1/2·[$a = $b]", "[$b > $a] + 1/2·[$a = $b]"),
        latex=(r"[$a > $b] + \tfrac{1}{2}[$a = $b]", r"[$b > $a] + \tfrac{1}{2}[$a = $b]"),
        written=("max($a, $b)", r"\max($a, $b)"),
    )
)
MINIMUM = register(
    Op(
        name="minimum",
        label="min",
        forward=ieee.minimum,
        inputs=("a", "b"),
        derivatives=(  # 1 where the input is the smaller, 1/2 at a tie, else 0
            lambda g, a, b, out: select(a > b, 0.0, select(equal(a, b), g / 2.0, g)),
            lambda g, a, b, out: select(a < b, 0.0, select(equal(a, b), g / 2.0, g)),
        ),
        rule=N_("chain rule through min"),
        text=("[$a < $b] + 1/2·[$a = $b]", "[$b < $a] + 1/2·[$a = $b]"),
        latex=(r"[$a < $b] + \tfrac{1}{2}[$a = $b]", r"[$b < $a] + \tfrac{1}{2}[$a = $b]"),
        written=("min($a, $b)", r"\min($a, $b)"),
    )
)
CLAMP = register(
    Op(
        name="clamp",
        label="clamp",
        forward=ieee.clamp,
        params=("lo", "hi"),
        derivatives=(lambda g, x, out, lo, hi: select((x >= lo) & (x <= hi), g, 0.0),),  # 1 inside [lo, hi], else 0
        rule=N_("chain rule through clamp"),
        text=("[$lo <= $x <= $hi]",),
        latex=(r"[$lo \le $x \le $hi]",),
    )
)
