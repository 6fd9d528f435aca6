"""A safe parser for the small expression language of the command line: ``tanh(x*w + b)``.

The text is parsed with Python's :mod:`ast` and evaluated by walking the tree; nothing is ever
passed to ``eval`` or ``exec``. The language has numbers, the constants ``e`` and ``pi``
(``CONSTANTS``), the variables the caller names, ``+ - * / **``, unary ``-`` and ``+``,
parentheses, and one-argument calls of the engine's functions (``FUNCTIONS``). Everything else is
refused with an ``ExpressionError`` that says what was refused, where (counting characters, with
the line on input of several lines), and what to write instead, before any arithmetic happens. The message is
written in the language in use (:mod:`tinygrad_scalar.core.language`: the command line's ``--lang``, or the
locale); what to type (``--at``, ``x**2``, the expression's own text) stays as it is typed.

Names are read as Python reads them, folded to NFKC (fullwidth ``x`` is ``x``); ``parse_assignments`` folds
the names it is given the same way, so both sides agree.

>>> from tinygrad_scalar import Value
>>> x = Value(2.0, label='x')
>>> evaluate('x**2 + 3*x', {'x': x}).data
10.0
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
import unicodedata
from collections.abc import Callable

from tinygrad_scalar.core import ieee, ops
from tinygrad_scalar.core.engine import Constant, Value
from tinygrad_scalar.core.language import N_, _, translated

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "ExpressionError",
    "evaluate",
    "evaluate_formula",
    "parse_assignments",
]

FUNCTIONS = tuple(
    name
    for name, op in ops.OPS.items()
    if op.arity == 1 and not op.params and op.expand is None and not op.user_defined and hasattr(Value, name)
)
"""The functions an expression may call, each with one argument: the table's one-input operations that
take no parameter (``exp``, ``log``, ``tanh``, ..., ``softplus``, ``gelu``), by their ``Value`` method."""

CONSTANTS = {"e": math.e, "pi": math.pi}
"""The built-in constants: ``e**x`` and ``sin(pi*x)`` need no ``--at``. A variable of the same name
given to ``evaluate`` takes their place; ``parse_assignments`` refuses such names."""

_INSTEAD = {
    "ln": N_("log(x) (log is the natural logarithm)"),
    "log10": "log(x)/log(10)",
    "log2": "log(x)/log(2)",
    "tan": "sin(x)/cos(x)",
    "pow": "x**y",
    "sqr": "x**2",
    "square": "x**2",
    "sgn": "x/abs(x)",
    "sign": "x/abs(x)",
    "max": "relu(x - y) + y",
    "exp2": "2**x",
}
"""Functions of other languages that students reach for, and how to write them here."""

_LOOKALIKES = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2010": "-",  # hyphen
    "\u00d7": "*",  # multiplication sign
    "\u22c5": "*",  # dot operator
    "\u00b7": "*",  # middle dot
    "\u2217": "*",  # asterisk operator
    "\u00f7": "/",  # division sign
    "\u2215": "/",  # division slash
    "\u00b2": "**2",  # superscript two
    "\u00b3": "**3",  # superscript three
    "\u2009": " ",  # thin space
    "\u00a0": " ",  # no-break space
}
"""Characters that look like an operator (or a space) of the language, and what to type instead."""

_NUMBER_THEN_NAME = re.compile(r"(?<![\w.])((?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)([^\W\d]\w*)")
"""``2x``: a number written right before a name, as in algebra."""

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
    ast.Attribute: N_("attribute access is not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Subscript: N_("subscripts are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Slice: N_("slices are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Lambda: N_("lambdas are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.ListComp: N_("comprehensions are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.SetComp: N_("comprehensions are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.DictComp: N_("comprehensions are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.GeneratorExp: N_("comprehensions are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Compare: N_("comparisons are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.BoolOp: N_("'and' and 'or' are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.IfExp: N_("conditional expressions are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.List: N_("lists are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Tuple: N_("tuples are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Dict: N_("dicts are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Set: N_("sets are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.JoinedStr: N_("strings are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.NamedExpr: N_("assignments are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Starred: N_("starred arguments are not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Await: N_("await is not allowed; use numbers, variables, + - * / ** and calls"),
    ast.Yield: N_("yield is not allowed; use numbers, variables, + - * / ** and calls"),
    ast.YieldFrom: N_("yield is not allowed; use numbers, variables, + - * / ** and calls"),
}
"""The message for each refused kind of syntax (whole sentences, for the catalogs)."""


class ExpressionError(ValueError):
    """An expression that is not accepted; the message says what and where, on one line."""


def _position(text: str, index: int) -> str:
    """Where character ``index`` of ``text`` is, in characters from 1: its line too when there are several."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    if "\n" in text.strip():
        return _("line %(line)d, column %(column)d") % {"line": line, "column": column}
    return _("column %(column)d") % {"column": column}


def _char_index(text: str, lineno: int, byte_col: int) -> int:
    """The character index in ``text`` of ``ast``'s position (a line from 1, and a UTF-8 byte offset in it)."""
    lines = text.split("\n")
    before = sum(len(line) + 1 for line in lines[: lineno - 1])
    return before + len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))


class _Source:
    """The expression as typed, and the stripped text that ``ast`` parses: positions in the one are
    reported in the other."""

    def __init__(self, typed: str) -> None:
        self.typed = typed
        self.text = typed.strip()
        self.lead = len(typed) - len(typed.lstrip())

    def span(self, node: ast.AST) -> tuple[int, int] | None:
        """Where ``node`` starts and ends, as character indices in ``text``."""
        lineno, col = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        if lineno is None or col is None:
            return None
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        end = _char_index(self.text, end_line, end_col) if end_line and end_col is not None else len(self.text)
        return _char_index(self.text, lineno, col), end

    def where(self, node: ast.AST) -> str:
        span = self.span(node)
        if span is None:
            return ""
        part = self.text[span[0] : span[1]]
        if len(part) > 40:
            part = part[:37] + "..."
        return _("%(position)s, %(part)s") % {
            "position": _position(self.typed, self.lead + span[0]),
            "part": repr(part),
        }

    def refuse(self, node: ast.AST, what: str) -> ExpressionError:
        where = self.where(node)
        return ExpressionError(_("%(where)s: %(problem)s") % {"where": where, "problem": what} if where else what)


def _spelled(text: str) -> str:
    """``text``, quoted, with its characters named when some are not ASCII: look-alikes show as such."""
    if text.isascii():
        return repr(text)
    return f"{text!r} ({', '.join(unicodedata.name(ch, f'U+{ord(ch):04X}') for ch in text)})"


def _is_constant(node: ast.AST, variables: dict[str, Value]) -> bool:
    return all(
        not isinstance(n, (ast.Name, ast.Call)) or (isinstance(n, ast.Name) and n.id not in variables)
        for n in ast.walk(node)
    )


class _Evaluator:
    def __init__(self, source: _Source, variables: dict[str, Value], formula: bool = False) -> None:
        self.source = source
        self.variables = variables
        self.formula = formula  # the teaching formulas' notation: [condition], and a few more functions
        self.functions = (*FUNCTIONS, *_FORMULA_FUNCTIONS) if formula else FUNCTIONS

    def check(self, node: ast.AST, depth: int = 0) -> None:
        """Refuse anything outside the language, before any arithmetic is done."""
        if depth > MAX_DEPTH:
            raise self.source.refuse(node, _nested())
        if isinstance(node, ast.Expression):
            self.check(node.body, depth + 1)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                problem = _("the operator %(operator)s is not allowed; use + - * / **")
                raise self.source.refuse(node, problem % {"operator": repr(_op_symbol(node.op))})
            self.check(node.left, depth + 1)
            self.check(node.right, depth + 1)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.source.refuse(node, _("only unary minus and plus are allowed"))
            self.check(node.operand, depth + 1)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                if isinstance(node.value, (str, bytes)):
                    problem = _("strings are not allowed; only plain numbers")
                else:
                    problem = _("%(type)s constants are not allowed; only plain numbers")
                raise self.source.refuse(node, problem % {"type": type(node.value).__name__})
        elif isinstance(node, ast.Name):
            if node.id not in self.variables and node.id not in CONSTANTS:
                raise self.source.refuse(node, self.unknown(node.id))
        elif self.formula and _is_bracket(node):  # [x > 0]: 1 where the condition holds, else 0
            assert isinstance(node, ast.List)
            for part in _conditions(node.elts[0]):
                for operand in (part.left, *part.comparators):
                    self.check(operand, depth + 1)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
                raise self.source.refuse(node.func, self.not_callable(node))
            if node.keywords:
                raise self.source.refuse(node.keywords[0], _("keyword arguments are not allowed"))
            if len(node.args) != 1:
                problem = _("%(function)s() takes exactly one argument")
                raise self.source.refuse(node, problem % {"function": node.func.id})
            self.check(node.args[0], depth + 1)
        else:
            if type(node) in _REFUSED:
                problem = translated(_REFUSED[type(node)])
            else:
                problem = _("%(syntax)s is not allowed; use numbers, variables, + - * / ** and calls")
            raise self.source.refuse(node, problem % {"syntax": type(node).__name__})

    def unknown(self, name: str) -> str:
        facts = {"name": name, "quoted": repr(name), "spelled": _spelled(name)}
        if name in FUNCTIONS:
            return _("unknown name %(quoted)s; %(name)s is a function: call it, e.g. %(name)s(x)") % facts
        if name in _INSTEAD:
            return _("there is no %(name)s here; use %(instead)s") % (facts | {"instead": translated(_INSTEAD[name])})
        close = difflib.get_close_matches(name, list(self.variables), n=1)
        alike = [v for v in self.variables if len(v) == len(name) and not v.isascii()]
        if close:
            message = _("unknown name %(spelled)s; give it a value with --at %(name)s=... (or did you mean %(close)s?)")
            return message % (facts | {"close": close[0]})
        if alike:  # a Cyrillic or Greek letter that looks like a Latin one
            message = _(
                "unknown name %(spelled)s; give it a value with --at %(name)s=...; the name given, %(given)s, only "
                "looks like %(spelled)s"
            )
            return message % (facts | {"given": _spelled(alike[0])})
        return _("unknown name %(spelled)s; give it a value with --at %(name)s=...") % facts

    def not_callable(self, call: ast.Call) -> str:
        func = call.func
        if isinstance(func, ast.Name) and func.id in _INSTEAD:
            message = _("there is no function %(name)s here; use %(instead)s")
            return message % {"name": func.id, "instead": translated(_INSTEAD[func.id])}
        multiplies = isinstance(func, ast.Constant) or (
            isinstance(func, ast.Name) and (func.id in self.variables or func.id in CONSTANTS)
        )
        if multiplies and len(call.args) == 1 and not call.keywords:
            # 2(x + 1) or x(y + 1): multiplication written as in algebra
            span = self.source.span(func)
            written = self.source.text[span[0] : span[1]] if span else "2"
            return _("did you mean %(product)s? Multiplication needs its *") % {"product": f"{written}*(...)"}
        return _("only these functions can be called: %(functions)s") % {"functions": ", ".join(self.functions)}

    def value(self, node: ast.AST) -> Value:
        """Evaluate a checked tree."""
        if isinstance(node, ast.Expression):
            return self.value(node.body)
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(node.op, ast.Pow) and _is_constant(node.right, self.variables):
                # x**2 with a number exponent: one parent, as written in Python, not a Value exponent
                k = right.data
                out = left ** (int(k) if k.is_integer() and abs(k) < 2**53 else k)
            elif (
                isinstance(node.op, ast.Div)
                and _is_constant(node.left, self.variables)
                and not _is_constant(node.right, self.variables)
            ):
                out = right.__rtruediv__(left)  # 2/x as Python computes it on a Value: a number over a Value
            else:
                out = _BINARY[type(node.op)](left, right)
            overflowed = not math.isfinite(out.data) and math.isfinite(left.data) and math.isfinite(right.data)
            if isinstance(node.op, ast.Pow) and overflowed and _is_constant(node, self.variables):
                raise self.source.refuse(node, _("this constant power overflows a float; write a smaller number"))
            return out
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # check() let only numbers through
            return Constant(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.variables:
                return self.variables[node.id]
            return Constant(CONSTANTS[node.id], label=node.id)
        if isinstance(node, ast.List):  # an Iverson bracket (formulas only: check() let it through)
            holds = all(_holds(part, self.value) for part in _conditions(node.elts[0]))
            return Constant(1.0 if holds else 0.0)
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        argument = self.value(node.args[0])
        if node.func.id in _FORMULA_FUNCTIONS:
            return _FORMULA_FUNCTIONS[node.func.id](argument)
        result: Value = getattr(argument, node.func.id)()
        return result


_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
}

_FORMULA_FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "sign": lambda x: Constant(ieee.sign(x.data)),
    "Phi": lambda x: 0.5 * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf()),  # the normal distribution's CDF
    "phi": lambda x: (x * x * -0.5).exp() * (1.0 / math.sqrt(2.0 * math.pi)),  # and its density
    "sech": lambda x: 2.0 / (x.exp() + (-x).exp()),
}
"""Functions the teaching formulas of the table use besides the engine's (``evaluate_formula`` only)."""


def _is_bracket(node: ast.AST) -> bool:
    return isinstance(node, ast.List) and len(node.elts) == 1 and bool(_conditions(node.elts[0]))


def _conditions(node: ast.AST) -> list[ast.Compare]:
    """The comparisons of ``a > b`` or ``a > b and c < d`` (empty for anything else)."""
    parts = node.values if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) else [node]
    if all(isinstance(p, ast.Compare) and all(type(o) in _COMPARE for o in p.ops) for p in parts):
        return parts  # type: ignore[return-value]  # checked just above
    return []


def _holds(node: ast.Compare, value: Callable[[ast.AST], Value]) -> bool:
    operands = [value(node.left).data, *(value(c).data for c in node.comparators)]
    return all(_COMPARE[type(op)](a, b) for op, a, b in zip(node.ops, operands, operands[1:]))


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


def _syntax_hint(source: _Source, error: SyntaxError) -> str:
    """Python's complaint about ``source``, in the words of the expression language, with the fix (Python's own
    words, ``error.msg``, are quoted as Python wrote them: in English)."""
    implicit = _NUMBER_THEN_NAME.search(source.text)
    if implicit and "=" not in source.text:
        number, name = implicit.groups()
        where = _position(source.typed, source.lead + implicit.start())
        message = _("%(position)s, %(part)s: did you mean %(product)s? Multiplication needs its *")
        return message % {"position": where, "part": repr(implicit.group(0)), "product": f"{number}*{name}"}
    if re.search(r"(?<![=<>!])=(?!=)", source.text):
        return _("an expression has no '=': values go after --at, like --at x=3")
    if error.lineno and error.offset:
        lines = source.text.split("\n")
        index = sum(len(line) + 1 for line in lines[: error.lineno - 1]) + error.offset - 1
        message = _("not a valid expression at %(position)s: %(python)s")
        return message % {"position": _position(source.typed, source.lead + index), "python": error.msg}
    return _("not a valid expression: %(python)s") % {"python": error.msg}


def _nested() -> str:
    return _("the expression is nested more than %(most)d levels deep") % {"most": MAX_DEPTH}


def evaluate(text: str, variables: dict[str, Value]) -> Value:
    """Evaluate ``text`` with the given variables and return the resulting ``Value``.

    Each variable is one node, however often it appears, so its gradient sums every use. The
    names ``e`` and ``pi`` are the constants of ``CONSTANTS`` unless ``variables`` has them.
    Raises ``ExpressionError`` for anything outside the language, before computing anything.
    """
    return _evaluate(text, variables)


def _evaluate(text: str, variables: dict[str, Value], formula: bool = False) -> Value:
    if len(text) > MAX_LENGTH:
        message = _("the expression is %(length)d characters long; the limit is %(most)d")
        raise ExpressionError(message % {"length": len(text), "most": MAX_LENGTH})
    if not text.strip():
        raise ExpressionError(_("the expression is empty"))
    source = _Source(text)
    for index, ch in enumerate(text):
        if ch in _LOOKALIKES:
            facts = {"position": _position(text, index), "character": _spelled(ch), "instead": repr(_LOOKALIKES[ch])}
            if _LOOKALIKES[ch].strip():
                message = _(
                    "%(position)s: %(character)s looks like %(looks)s but is another character; type %(instead)s "
                    "instead"
                )
            else:
                message = _(
                    "%(position)s: %(character)s looks like a space but is another character; type %(instead)s instead"
                )
            raise ExpressionError(message % (facts | {"looks": _LOOKALIKES[ch]}))
    try:
        tree = ast.parse(source.text, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(_syntax_hint(source, error)) from None
    except (RecursionError, MemoryError, ValueError):
        message = _("the expression is nested too deeply or too large (at most %(most)d levels)")
        raise ExpressionError(message % {"most": MAX_DEPTH}) from None
    evaluator = _Evaluator(source, variables, formula)
    try:
        evaluator.check(tree)
    except RecursionError:
        raise ExpressionError(_nested()) from None
    return evaluator.value(tree)


def evaluate_formula(text: str, values: dict[str, float]) -> float:
    """The number a teaching formula of the table stands for, with ``values`` for its names: the formulas a
    student reads (``'1 - tanh(x)^2'``) are checked against the code that runs with this.

    The notation is the expression language's, plus what the table's formulas write: ``·`` for ``*``,
    ``^`` for ``**``, Iverson brackets (``[x > 0]`` is 1 where ``x > 0`` holds, else 0; ``=`` inside them is
    equality), the functions ``sign``, ``Phi``, ``phi`` and ``sech``, and definitions after the formula
    (``'(1 + t)/2, t = tanh(u), u = 2·x'``), each of which may use the ones after it; a name may carry
    primes (``u'``, ``u''``), as derivatives are named.
    """
    text = text.replace("·", "*").replace("^", "**")
    text = re.sub(r"([A-Za-z]\w*)('+)", lambda m: m.group(1) + "_d" * len(m.group(2)), text)  # u' is u_d
    text = re.sub(r"\[([^\[\]]*)\]", lambda m: "[" + re.sub(r"(?<![<>=!])=(?!=)", "==", m.group(1)) + "]", text)
    main, *definitions = _top_level_parts(text)
    variables: dict[str, Value] = {name: Constant(float(x), label=name) for name, x in values.items()}
    for definition in reversed(definitions):
        name, sep, expression = definition.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ExpressionError(f"a definition after a formula is name = expression, got {definition.strip()!r}")
        variables[name.strip()] = _evaluate(expression, variables, formula=True)
    return _evaluate(main, variables, formula=True).data


def _top_level_parts(text: str) -> list[str]:
    """``text`` split at its commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def parse_assignments(items: list[str], option: str = "--at") -> dict[str, Value]:
    """``['x=2', 'w=-3']`` as labelled leaves ``{'x': Value(2.0, label='x'), ...}``.

    Each name is folded to NFKC, as Python folds the names of an expression (fullwidth ``x`` is ``x``), so a
    name means the same on both sides; a name given twice, even in two spellings, is refused, and so
    are Python's reserved words, the function names and the constants ``e`` and ``pi``. The messages
    speak of ``option``, where these pairs come from: ``--at`` on the command line, ``the link's at=`` in a
    link (:mod:`tinygrad_scalar.teaching.link`).
    """
    variables: dict[str, Value] = {}
    spelled: dict[str, str] = {}
    for item in items:
        typed, sep, number = item.partition("=")
        typed = typed.strip()
        name = unicodedata.normalize("NFKC", typed)
        facts = {"option": option, "item": item, "quoted": repr(name), "typed": repr(typed), "given": repr(item)}
        if not sep:
            raise ExpressionError(_("%(option)s takes NAME=NUMBER pairs, like x=2; got %(given)s") % facts)
        if not name.isidentifier():
            raise ExpressionError(_("%(typed)s is not a valid variable name (in %(option)s %(item)s)") % facts)
        if keyword.iskeyword(name):
            raise ExpressionError(
                _("%(quoted)s is a reserved word, not a variable name; choose another (in %(option)s %(item)s)") % facts
            )
        if name in FUNCTIONS:
            raise ExpressionError(
                _("%(quoted)s is a function name; choose another variable name (in %(option)s %(item)s)") % facts
            )
        if name in CONSTANTS:
            message = _(
                "%(quoted)s is the built-in constant %(value)s; choose another variable name (in %(option)s %(item)s)"
            )
            raise ExpressionError(message % (facts | {"value": repr(CONSTANTS[name])}))
        if name in variables:
            if spelled[name] == typed:
                message = _("%(quoted)s is given twice in %(option)s")
            else:
                message = _(
                    "%(quoted)s is given twice in %(option)s (%(typed)s and %(other)s are the same name, as %(quoted)s)"
                )
            raise ExpressionError(message % (facts | {"other": repr(spelled[name])}))
        try:
            value = float(number)
        except ValueError:
            message = _("%(number)s is not a number (in %(option)s %(item)s)")
            raise ExpressionError(message % (facts | {"number": repr(number.strip())})) from None
        variables[name] = Value(value, label=name)
        spelled[name] = typed
    return variables
