"""A safe parser for the small expression language of the command line: ``tanh(x*w + b)``.

The text is parsed with Python's :mod:`ast` and evaluated by walking the tree; nothing is ever
passed to ``eval`` or ``exec``. The language has numbers, the variables the caller names,
``+ - * / **``, unary ``-`` and ``+``, parentheses, and one-argument calls of the engine's
functions (``FUNCTIONS``). Everything else is refused with an ``ExpressionError`` that says what
was refused and where, before any arithmetic happens.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x')
>>> evaluate('x**2 + 3*x', {'x': x}).data
10.0
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

from tinygrad_scalar.engine import Constant, Value

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "ExpressionError", "evaluate", "parse_assignments"]

FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs")
"""The functions an expression may call, each with one argument."""

MAX_LENGTH = 2000
"""The longest expression accepted, in characters."""

MAX_DEPTH = 100
"""The deepest nesting accepted (operations inside operations)."""

_BINARY: dict[type[ast.operator], Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

_REFUSED = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.Slice: "slices are",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and' and 'or' are",
    ast.IfExp: "conditional expressions are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Dict: "dicts are",
    ast.Set: "sets are",
    ast.JoinedStr: "strings are",
    ast.NamedExpr: "assignments are",
    ast.Starred: "starred arguments are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}
"""What each refused kind of syntax is called in the error message."""


class ExpressionError(ValueError):
    """An expression that is not accepted; the message says what and where, on one line."""


def _where(text: str, node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    end = getattr(node, "end_col_offset", None)
    if col is None:
        return ""
    part = text[col:end] if end is not None else text[col:]
    if len(part) > 40:
        part = part[:37] + "..."
    return f"column {col + 1}, {part!r}"


def _refuse(text: str, node: ast.AST, what: str) -> ExpressionError:
    where = _where(text, node)
    return ExpressionError(f"{where}: {what}" if where else what)


def _is_constant(node: ast.AST) -> bool:
    return all(not isinstance(n, (ast.Name, ast.Call)) for n in ast.walk(node))


class _Evaluator:
    def __init__(self, text: str, variables: dict[str, Value]) -> None:
        self.text = text
        self.variables = variables

    def check(self, node: ast.AST, depth: int = 0) -> None:
        """Refuse anything outside the language, before any arithmetic is done."""
        if depth > MAX_DEPTH:
            raise _refuse(self.text, node, f"the expression is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Expression):
            self.check(node.body, depth + 1)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise _refuse(self.text, node, f"the operator {_op_symbol(node.op)!r} is not allowed; use + - * / **")
            self.check(node.left, depth + 1)
            self.check(node.right, depth + 1)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _refuse(self.text, node, "only unary minus and plus are allowed")
            self.check(node.operand, depth + 1)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                kind = "strings" if isinstance(node.value, (str, bytes)) else f"{type(node.value).__name__} constants"
                raise _refuse(self.text, node, f"{kind} are not allowed; only plain numbers")
        elif isinstance(node, ast.Name):
            if node.id not in self.variables:
                hint = (
                    f"call it, e.g. {node.id}(x)"
                    if node.id in FUNCTIONS
                    else f"give it a value with --at {node.id}=..."
                )
                raise _refuse(self.text, node, f"unknown name {node.id!r}; {hint}")
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise _refuse(self.text, node.func, f"only these functions can be called: {', '.join(FUNCTIONS)}")
            if node.keywords:
                raise _refuse(self.text, node.keywords[0], "keyword arguments are not allowed")
            if len(node.args) != 1:
                raise _refuse(self.text, node, f"{node.func.id}() takes exactly one argument")
            self.check(node.args[0], depth + 1)
        else:
            what = _REFUSED.get(type(node), f"{type(node).__name__} is")
            raise _refuse(self.text, node, f"{what} not allowed; use numbers, variables, + - * / ** and calls")

    def value(self, node: ast.AST) -> Value:
        """Evaluate a checked tree."""
        if isinstance(node, ast.Expression):
            return self.value(node.body)
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(node.op, ast.Pow) and _is_constant(node.right):
                # x**2 with a number exponent: one parent, as written in Python, not a Value exponent
                k = right.data
                out = left ** (int(k) if k.is_integer() and abs(k) < 2**53 else k)
            else:
                out = _BINARY[type(node.op)](left, right)
            overflowed = not math.isfinite(out.data) and math.isfinite(left.data) and math.isfinite(right.data)
            if isinstance(node.op, ast.Pow) and overflowed and _is_constant(node):
                raise _refuse(self.text, node, "this constant power overflows a float; write a smaller number")
            return out
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # check() let only numbers through
            return Constant(node.value)
        if isinstance(node, ast.Name):
            return self.variables[node.id]
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        argument = self.value(node.args[0])
        result: Value = getattr(argument, node.func.id)()
        return result


def _op_symbol(op: ast.operator) -> str:
    return {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
    }.get(type(op), type(op).__name__)


def evaluate(text: str, variables: dict[str, Value]) -> Value:
    """Evaluate ``text`` with the given variables and return the resulting ``Value``.

    Each variable is one node, however often it appears, so its gradient sums every use.
    Raises ``ExpressionError`` for anything outside the language, before computing anything.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"not a valid expression{where}: {error.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(
            f"the expression is nested too deeply or too large (at most {MAX_DEPTH} levels)"
        ) from None
    evaluator = _Evaluator(text.strip(), variables)
    try:
        evaluator.check(tree)
    except RecursionError:
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep") from None
    return evaluator.value(tree)


def parse_assignments(items: list[str]) -> dict[str, Value]:
    """``['x=2', 'w=-3']`` as labelled leaves ``{'x': Value(2.0, label='x'), ...}``."""
    variables: dict[str, Value] = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep:
            raise ExpressionError(f"--at takes NAME=NUMBER pairs, like x=2; got {item!r}")
        if not name.isidentifier():
            raise ExpressionError(f"{name!r} is not a valid variable name (in {item!r})")
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function name; choose another variable name (in {item!r})")
        if name in variables:
            raise ExpressionError(f"{name!r} is given twice in --at")
        try:
            value = float(number)
        except ValueError:
            raise ExpressionError(f"{number.strip()!r} is not a number (in {item!r})") from None
        variables[name] = Value(value, label=name)
    return variables
