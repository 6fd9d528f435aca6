"""Define-then-run: trace a function once into a flat program, then replay it on plain floats.

The engine is *define-by-run*, as PyTorch: every call builds a new graph of ``Value`` objects. Tracing
is *define-then-run*, as JAX's ``jit`` or TensorFlow's ``tf.function``: run the function once on
``Value`` inputs, record the graph, and compile it into a straight-line program over float slots,
forward in topological order and backward in reverse. Replaying it creates no ``Value`` at all.

>>> def f(x, w, b):
...     return (w * x + b) ** 2
>>> compiled = trace(f, 2.0, 3.0, 1.0)
>>> compiled(2.0, 3.0, 1.0)
49.0
>>> compiled.value_and_grad(2.0, 3.0, 1.0)
(49.0, [42.0, 28.0, 14.0])
>>> print(compiled.program)
inputs: v0 (x), v1 (w), v2 (b)
v3 = mul v1 v0
v4 = add v3 v2
v5 = power[2] v4
outputs: v5

The replay computes exactly what the engine computes (the same operations on the same floats, in
the same order), so values and gradients are identical, bit for bit. The trace is valid only while
the function's *structure* does not depend on the input values: a Python ``if v.data > 0`` may take
another branch for other inputs, and the recorded program would silently compute the old branch.
``check=True`` traces again on every call and raises ``TraceMismatchError`` when the structure differs
(slower: it pays for a trace each call; constants are compared bit for bit, so ``0.0`` and ``-0.0``
differ and a ``nan`` matches itself).

A computation repeated over samples (a model's loss, sample after sample) is traced once for one
sample with ``trace_per_sample(f, shared, first, second)``, JAX's ``vmap`` idea: the program's size
does not grow with the batch, ``forward_batch`` and ``backward_batch`` replay it over any batch, and
the shared inputs' gradients are added in the order ``backward()`` adds them on the whole batch's
graph. A program of more than ``STRAIGHT_LINE_LIMIT`` instructions is not compiled into one huge
function (CPython takes seconds and gigabytes for that) but run by a small interpreter, instruction
by instruction, built from the same rows of the table.

What a trace freezes: every value that is not an input is a constant, fixed at trace time as a
float. That covers the numbers in the function, ``Value`` objects it reads from outside (a model's
parameters not passed in), and anything cut from the graph: ``x * x.detach()`` traced at ``x = 3``
computes ``3 * x`` for every ``x``. A ``checkpoint`` segment is written into the program, and hooks
on values whose gradient the program computes are called by the program with that gradient.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tinygrad_scalar.core import engine, ops
from tinygrad_scalar.core.engine import Value, topological_order
from tinygrad_scalar.transforms.functional import argument_names

__all__ = ["Instruction", "TraceError", "TraceMismatchError", "Traced", "trace", "trace_per_sample"]


class TraceError(ValueError):
    """The function or its arguments cannot be traced, or a call does not fit the trace."""


class TraceMismatchError(TraceError):
    """With ``check=True``: the function built a graph of another structure than the traced one."""


# ---- the program's instructions -------------------------------------------------------------------------
# Each instruction applies one row of the table of derivatives (tinygrad_scalar.core.ops). The generated
# program writes the row's forward computation and its contributions as Python, exactly as the
# engine compiles its backward rules from the same row, so the replay gives the same floats.


class Instruction(NamedTuple):
    """``out = op[params](ins...)``: one operation of the program, over slot numbers.

    The program keeps its instructions as plain tuples, which the garbage collector stops tracking
    (it never untracks tuple subclasses such as this one): a program of a hundred thousand
    instructions costs it nothing. ``Traced.instructions`` makes these on demand.
    """

    op: str
    out: int
    ins: tuple[int, ...]
    params: tuple[float, ...] = ()  # the operation's parameters: the k of x**k, a slope

    def __str__(self) -> str:
        name = self.op + (f"[{', '.join(f'{p:g}' for p in self.params)}]" if self.params else "")
        return f"v{self.out} = {name} " + " ".join(f"v{i}" for i in self.ins)


# ---- flattening arguments ---------------------------------------------------------------------------------

Structure = Any  # None for one number, or a list of the structures of the items


def _flatten(arg: object, path: str, leaves: list[Value]) -> Structure:
    """Turn numbers (or leaf Values) into input leaves, recording the nesting of lists."""
    if isinstance(arg, Value):
        if arg._prev:
            raise TraceError(f"the input {path} is the result of an operation; only leaves can be inputs")
        leaves.append(arg)
        return None
    if isinstance(arg, (int, float)) and not isinstance(arg, bool):
        leaves.append(Value(float(arg), label=path))
        return None
    if isinstance(arg, (list, tuple)):
        return [_flatten(item, f"{path}[{i}]", leaves) for i, item in enumerate(arg)]
    raise TraceError(
        f"the input {path} is a {type(arg).__name__}; inputs are numbers, Values or (nested) lists of them"
    )


def _values(arg: object, structure: Structure, path: str, out: list[float]) -> None:
    """The numbers of a call's argument, checked against the traced structure."""
    if structure is None:
        if isinstance(arg, Value):
            out.append(arg.data)
        elif isinstance(arg, (int, float)) and not isinstance(arg, bool):
            out.append(float(arg))
        else:
            raise TraceError(f"{path} should be a number, as when traced; got {type(arg).__name__}")
        return
    if not isinstance(arg, (list, tuple)) or len(arg) != len(structure):
        size = len(arg) if isinstance(arg, (list, tuple)) else type(arg).__name__
        raise TraceError(f"{path} should be a list of {len(structure)} items, as when traced; got {size}")
    for i, (item, sub) in enumerate(zip(arg, structure)):
        _values(item, sub, f"{path}[{i}]", out)


def _unflatten(flat: Sequence[Any], structure: Structure, position: list[int]) -> Any:
    """The items of ``flat``, from ``position`` on, nested as ``structure`` says."""
    if structure is None:
        position[0] += 1
        return flat[position[0] - 1]
    return [_unflatten(flat, sub, position) for sub in structure]


# ---- the recorded program ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recording:
    structures: list[Structure]
    inputs: list[Value]
    outputs: list[Value]
    single: bool  # f returned one Value rather than a list of them


def _record(f: Callable[..., Any], args: Sequence[object]) -> _Recording:
    """Run ``f`` once on input leaves standing for the numbers of ``args``."""
    if not engine.is_grad_enabled():
        raise TraceError("tracing records a graph: call trace() outside no_grad()")
    leaves: list[Value] = []
    structures = [_flatten(arg, name, leaves) for arg, name in zip(args, argument_names(f, len(args)))]
    if len(set(leaves)) != len(leaves):
        raise TraceError("the same Value is given twice as an input")
    position = [0]
    result = f(*[_unflatten(leaves, s, position) for s in structures])
    single = isinstance(result, Value)
    outputs = [result] if single else list(result) if isinstance(result, (list, tuple)) else []
    if not outputs or not all(isinstance(o, Value) for o in outputs):
        raise TraceError(f"the traced function must return a Value or a list of Values, got {type(result).__name__}")
    return _Recording(structures, leaves, outputs, single)


class Traced:
    """A traced function, compiled into a flat program; see the module docstring.

    ``compiled(*args)`` returns the output for new inputs (a float, or a list for several outputs);
    ``compiled.value_and_grad(*args)`` also returns the gradient of the first output with respect to
    every input, nested like the arguments. ``compiled.program`` is the program as a student reads it;
    ``compiled.source`` the Python code generated from it.
    """

    def __init__(self, f: Callable[..., Any], recording: _Recording, check: bool) -> None:
        self.function = f
        self.check = check
        self._structures = recording.structures
        self._argument_names = argument_names(f, len(recording.structures))  # once, not on every call
        self._single = recording.single
        slot: dict[Value, int] = {}
        for v in recording.inputs:
            slot[v] = len(slot)
        self.constants: dict[int, float] = {}
        self._code: list[tuple[str, int, tuple[int, ...], tuple[float, ...]]] = []  # plain tuples: see Instruction
        self._hooks: dict[int, list[Callable[[float], float | None]]] = {}
        self.checkpointed = False  # a checkpoint segment is written in (its backward adds in another order)
        self._record_nodes(_joint_order(recording.outputs), slot)
        self.input_names = [v.label or f"v{i}" for i, v in enumerate(recording.inputs)]
        self.n_inputs = len(recording.inputs)
        self.outputs = [slot[o] for o in recording.outputs]
        for v in recording.inputs:
            if v._hooks:
                self._hooks[slot[v]] = v._hooks
        self._signature = self._structure_signature()
        self._compiled: dict[tuple[str, int], Callable[..., Any]] = {}

    def _record_nodes(self, order: Sequence[Value], slot: dict[Value, int]) -> None:
        """Give each node of ``order`` its slot, and each operation its instruction, in order."""
        for node in order:
            if node in slot:
                continue
            if node._a is None:
                slot[node] = len(slot)
                self.constants[slot[node]] = float(node.data)  # a numpy or Fraction number, frozen as a float
                continue
            op, params = engine.op_of(node, "trace")
            if op.expand is not None:  # a checkpoint: its segment, written into the program
                self.checkpointed = True
                inner = op.expand(node._prev, params)
                self._record_nodes(topological_order(inner), slot)
                slot[node] = slot[inner]
                if node._hooks:  # the checkpoint's value is the segment's output: its hooks act there
                    self._hooks.setdefault(slot[inner], []).extend(node._hooks)
                continue
            slot[node] = len(slot)
            self._code.append((op.name, slot[node], tuple(slot[p] for p in node._prev), tuple(params)))
            if node._hooks:
                self._hooks[slot[node]] = node._hooks

    def _function(self, name: str, shared: int = 0) -> Callable[..., Any]:
        """The generated ``forward`` or ``backward`` (for gradients of the first ``shared`` inputs), made
        on first use: straight-line Python for a program of up to ``STRAIGHT_LINE_LIMIT`` instructions,
        an interpreter of the instructions beyond (CPython compiles a huge function slowly)."""
        key = (name, shared)
        if key not in self._compiled:
            if len(self._code) > STRAIGHT_LINE_LIMIT:
                self._compiled[key] = _Interpreter(self, shared).function(name)
            else:
                filename = f"<traced {getattr(self.function, '__name__', 'function')}: {name}>"
                function = ops.compile_function(self._generate(name, shared), name, filename)
                function.__globals__.update({f"hooks{i}": h for i, h in self._hooks.items()}, run_hooks=_run_hooks)
                self._compiled[key] = function
        return self._compiled[key]

    def compile(self, shared: int) -> None:
        """Compile the batch functions for ``shared`` shared inputs now, rather than on first use."""
        self._function("forward", shared)
        self._function("backward", shared)

    @property
    def source(self) -> str:
        """The Python code generated from the program: ``forward`` and ``backward``."""
        return self._generate("forward", self.n_inputs) + "\n" + self._generate("backward", self.n_inputs)

    # ---- the program, as text and as Python ---------------------------------------------------------

    @property
    def instructions(self) -> list[Instruction]:
        """The program's operations, in order."""
        return [Instruction(*code) for code in self._code]

    @property
    def program(self) -> str:
        """The program, one instruction per line, like a jaxpr: ``v7 = mul v3 v5``."""
        lines = ["inputs: " + ", ".join(f"v{i} ({name})" for i, name in enumerate(self.input_names))]
        lines += [f"v{slot} = const {ops.source(x)}" for slot, x in self.constants.items()]
        lines += [str(instruction) for instruction in self.instructions]
        lines.append("outputs: " + ", ".join(f"v{o}" for o in self.outputs))
        return "\n".join(lines)

    def _reaching(self, shared: int) -> set[int]:
        """The slots from which one of the first ``shared`` inputs can be reached: gradients flow only there."""
        reaches = set(range(shared))
        for _, out, ins, _ in self._code:
            if any(i in reaches for i in ins):
                reaches.add(out)
        return reaches

    def _forward_lines(self, slot: Callable[[int], str], constants: bool = True) -> list[str]:
        """The forward pass, one statement per constant and per instruction."""
        lines = [f"{slot(i)} = {ops.source(x)}" for i, x in self.constants.items()] if constants else []
        for op, out, ins, params in self._code:
            lines.append(f"{slot(out)} = {ops.OPS[op].code(*[ops.Code(slot(i)) for i in ins], *params).src}")
        return lines

    def _backward_lines(self, slot: Callable[[int], str], grad: Callable[[int], str], shared: int) -> list[str]:
        """The backward pass, last instruction first: each instruction's hooks, then its contributions.

        As in ``backward()``, a gradient starts at 0.0 and receives each contribution in turn; the first
        is written ``g = 0.0 + c`` (which, as ``0.0 + c``, turns a -0.0 into 0.0, as the engine does),
        or ``g = c`` where ``c`` is a gradient that cannot be -0.0 (a sum starting at 0.0 never is; a
        seed or a hook's result may be)."""
        reaches = self._reaching(shared)
        started = set(range(shared)) | set(self.outputs)  # what backward() receives
        signed_zero = {grad(i) for i in (*self.outputs, *self._hooks)}  # gradients that may be -0.0
        lines = []
        for op, out, ins, params in reversed(self._code):
            if out not in reaches:
                continue
            if out not in started:  # no contribution reached it: its gradient is 0
                lines.append(f"{grad(out)} = 0.0")
                started.add(out)
            if out in self._hooks:  # its gradient is complete: the hooks see it before it flows on
                lines.append(f"{grad(out)} = run_hooks(hooks{out}, {grad(out)})")
            inputs = [ops.Code(slot(i)) for i in ins]
            contributions = ops.OPS[op].contributions_code(ops.Code(grad(out)), inputs, ops.Code(slot(out)), params)
            for i, contribution in zip(ins, contributions):
                line = ops.statement(grad(i), contribution) if i in reaches else None
                if line is None:
                    continue
                if i not in started:
                    started.add(i)
                    if line.startswith(f"{grad(i)} += "):
                        term = line[len(grad(i)) + 4 :]
                        exact = term == grad(out) not in signed_zero  # 0.0 + term would be term itself
                        line = f"{grad(i)} = {term}" if exact else f"{grad(i)} = 0.0 + {term}"
                    else:  # a contribution under a condition
                        lines.append(f"{grad(i)} = 0.0")
                lines.append(line)
        return lines

    def _generate(self, name: str, shared: int) -> str:
        """The Python source of the program over a batch, the first ``shared`` inputs being the same for
        every sample (a model's parameters) and the others the sample's (JAX's ``vmap`` idea):

        * ``forward(shared, samples)``: per sample, the outputs, and the values its backward pass reads;
        * ``backward(shared, saved, seeds, acc)``: per sample, in the order given, the backward pass from
          the outputs' upstream gradients ``seeds``, adding each contribution into ``acc``, the gradients
          of the shared inputs so far (as ``backward()`` adds into leaves); returns them.

        The loop over the samples is in the generated code, so that the shared values and their
        gradients stay in local variables for the whole batch."""
        local = "v{}".format
        backward = self._backward_lines(local, "g{}".format, shared)
        saved = sorted({int(i) for line in backward for i in re.findall(r"\bv(\d+)\b", line)} - set(range(shared)))
        own = f"{''.join(f'v{i}, ' for i in range(shared, self.n_inputs))}"
        common = [f"    {''.join(f'v{i}, ' for i in range(shared))}= shared"] if shared else []
        outside = {f"v{i}" for i in (*range(shared), *self.constants)}  # the same for every sample
        if name == "forward":
            constants = [f"    v{i} = {ops.source(x)}" for i, x in self.constants.items()]
            loop = [f"{own}= x"] if own else []
            loop += self._forward_lines(local, constants=False)
            loop.append(f"outputs.append([{', '.join(f'v{o}' for o in self.outputs)}])")
            loop.append(f"saved.append(({''.join(f'v{i}, ' for i in saved)}))")
            registers, loop = _registers(loop, outside)
            head = ["def forward(shared, samples):", *registers, *common, *constants, "    outputs, saved = [], []"]
            body = ["    for x in samples:", *("        " + line for line in loop), "    return outputs, saved"]
            return "\n".join([*head, *body, ""])
        reaches = self._reaching(shared)
        loop = [f"{''.join(f'v{i}, ' for i in saved)}= memo"] if saved else []
        loop += [f"g{o} = seed[{k}]" for k, o in enumerate(self.outputs) if o in reaches]
        loop += backward or ["pass"]
        registers, loop = _registers(loop, outside | {f"g{i}" for i in range(shared)})
        accumulated = [f"    {''.join(f'g{i}, ' for i in range(shared))}= acc"] if shared else []
        head = ["def backward(shared, saved, seeds, acc):", *registers, *common, *accumulated]
        body = ["    for memo, seed in zip(saved, seeds):", *("        " + line for line in loop)]
        result = f"    return [{', '.join(f'g{i}' for i in range(shared))}]"
        return "\n".join([*head, *body, result, ""])

    def _structure_signature(self) -> tuple[object, ...]:
        # Constants compare bit for bit (float.hex): 0.0 and -0.0 differ, and a nan matches itself.
        constants = tuple(sorted((slot, x.hex()) for slot, x in self.constants.items()))
        return (tuple(self._code), constants, tuple(self.outputs))

    # ---- running it ---------------------------------------------------------------------------------

    def _flat(self, args: Sequence[object]) -> list[float]:
        if len(args) != len(self._structures):
            raise TraceError(f"the traced function takes {len(self._structures)} arguments, got {len(args)}")
        flat: list[float] = []
        for arg, structure, name in zip(args, self._structures, self._argument_names):
            _values(arg, structure, name, flat)
        if self.check:
            self._check(args)
        return flat

    def _check(self, args: Sequence[object]) -> None:
        again = Traced(self.function, _record(self.function, args), check=False)
        if again._signature != self._signature:
            raise TraceMismatchError(
                "the function built a different graph for these inputs than when it was traced (its structure "
                "or its constants depend on the input values, e.g. through an 'if' on .data); the traced "
                "program would compute the wrong thing. Trace it again for these inputs, or keep it "
                "define-by-run."
            )

    def __call__(self, *args: object) -> Any:
        outputs, _ = self.forward_batch(self._flat(args), [()])
        return outputs[0][0] if self._single else outputs[0]

    def value_and_grad(self, *args: object) -> tuple[Any, list[Any]]:
        """The output(s) and the gradient of the first output with respect to each argument, nested
        like the arguments (a float for a number, a list for a list)."""
        outputs, grads = self.value_and_grad_flat(self._flat(args))
        position = [0]
        nested = [_unflatten(grads, s, position) for s in self._structures]
        return (outputs[0] if self._single else outputs), nested

    def value_and_grad_flat(self, xs: Sequence[float]) -> tuple[list[float], list[float]]:
        """The fast path: the inputs as one flat list of floats, in argument order; returns every
        output and the flat list of gradients. No checks."""
        outputs, saved = self.forward_batch(xs, [()])
        seeds = [[1.0] + [0.0] * (len(self.outputs) - 1)]
        grads = self.backward_batch(xs, saved, seeds, [0.0] * self.n_inputs)
        for i, hooks in self._hooks.items():  # an input's gradient is complete at the end, as in backward()
            if i < self.n_inputs:
                grads[i] = _run_hooks(hooks, grads[i])
        return outputs[0], grads

    def forward_batch(self, shared: Sequence[float], samples: Sequence[Sequence[float]]) -> tuple[list[Any], list[Any]]:
        """Replay the forward pass for each sample: the inputs are the ``shared`` numbers (the same for
        every sample), then the sample's. Returns each sample's outputs, and what ``backward_batch``
        needs of each. No checks."""
        result: tuple[list[Any], list[Any]] = self._function("forward", len(shared))(shared, samples)
        return result

    def backward_batch(
        self, shared: Sequence[float], saved: Sequence[Any], seeds: Sequence[Sequence[float]], acc: Sequence[float]
    ) -> list[float]:
        """Replay the backward pass of each sample of ``saved`` (from ``forward_batch``), in that order,
        its outputs' upstream gradients being its ``seeds``: adds each contribution, in the engine's
        order, to ``acc``, the gradients so far of the shared inputs (as ``backward()`` adds into
        leaves), and returns them. Hooks on the shared inputs are not run (their gradients are complete
        only after the last sample). No checks."""
        result: list[float] = self._function("backward", len(acc))(shared, saved, seeds, acc)
        return result

    def __repr__(self) -> str:
        return (
            f"<Traced {getattr(self.function, '__name__', 'function')}: {self.n_inputs} inputs, "
            f"{len(self._code)} instructions>"
        )


STRAIGHT_LINE_LIMIT = 5_000
"""Programs with more instructions run in ``_Interpreter``: compiling one Python function of a hundred
thousand statements takes CPython half a minute and gigabytes; an interpreter costs nothing to build."""


class _Interpreter:
    """A huge program, run one instruction at a time, over lists of slots.

    Each operation's forward computation and contributions are compiled once, from the same rows of the
    table as the straight-line code (``v[a0] * v[a1]`` instead of ``v3 * v5``); the program is a list of
    (step, slot numbers) pairs. Slower per instruction than straight-line code, but linear to build.
    """

    def __init__(self, traced: Traced, shared: int) -> None:
        self.traced = traced
        self.shared = shared
        self.size = len(traced.constants) + len(traced._code) + traced.n_inputs

    def function(self, name: str) -> Callable[..., Any]:
        traced, shared = self.traced, self.shared
        template = [0.0] * self.size
        for i, x in traced.constants.items():
            template[i] = x
        n, outputs = traced.n_inputs, traced.outputs
        if name == "forward":
            forward_steps = {op: _step(op, "forward") for op in {code[0] for code in traced._code}}
            steps = [(forward_steps[op], (out, *ins, *params)) for op, out, ins, params in traced._code]

            def forward(common: Sequence[float], samples: Sequence[Sequence[float]]) -> tuple[list[Any], list[Any]]:
                results, saved = [], []
                for x in samples:
                    v = template.copy()
                    v[:shared] = common
                    v[shared:n] = x
                    for step, args in steps:
                        step(v, *args)
                    results.append([v[o] for o in outputs])
                    saved.append(v)
                return results, saved

            return forward
        reaches = traced._reaching(shared)
        rules = {op: _step(op, "backward") for op in {code[0] for code in traced._code}}
        backward_steps: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        for op, out, ins, params in reversed(traced._code):
            if out in reaches:
                if out in traced._hooks:
                    backward_steps.append((_hook_step, (out, traced._hooks[out])))
                backward_steps.append((rules[op], (out, *ins, *params)))

        def backward(
            common: Sequence[float], saved: Sequence[list[float]], seeds: Sequence[Sequence[float]], acc: list[float]
        ) -> list[float]:
            acc = list(acc)
            for v, seed in zip(saved, seeds):
                g = [0.0] * len(v)
                g[:shared] = acc
                for k, o in enumerate(outputs):
                    g[o] = seed[k]
                for step, args in backward_steps:
                    step(v, g, *args)
                acc = g[:shared]
            return acc

        return backward


def _hook_step(v: list[float], g: list[float], out: int, hooks: Sequence[Callable[[float], float | None]]) -> None:
    g[out] = _run_hooks(hooks, g[out])


_STEPS: dict[tuple[str, str], Callable[..., None]] = {}


def _step(name: str, direction: str) -> Callable[..., None]:
    """The interpreter's step for an operation: ``forward(v, out, a0, a1, k0)`` computes ``v[out]``;
    ``backward(v, g, out, a0, a1, k0)`` adds the contributions of ``g[out]`` into ``g[a0]``, ``g[a1]``."""
    key = (name, direction)
    if key not in _STEPS:
        op = ops.OPS[name]
        inputs = [f"a{i}" for i in range(op.arity)]
        params = [f"k{i}" for i in range(len(op.params))]
        values = [ops.Code(f"v[{a}]") for a in inputs]
        constants = [ops.Code(k, number=True) for k in params]
        arguments = ", ".join(["out", *inputs, *params])
        if direction == "forward":
            body = [f"    v[out] = {op.code(*values, *constants).src}"]
            source = f"def forward(v, {arguments}):\n" + "\n".join(body) + "\n"
        else:
            contributions = op.contributions_code(ops.Code("g[out]"), values, ops.Code("v[out]"), constants)
            lines = [ops.statement(f"g[{a}]", c) for a, c in zip(inputs, contributions)]
            body = ["    " + line for line in lines if line is not None] or ["    pass"]
            source = f"def backward(v, g, {arguments}):\n" + "\n".join(body) + "\n"
        _STEPS[key] = ops.compile_function(source, direction, f"<interpreter step: {direction} {name}>")
    return _STEPS[key]


_NAME = re.compile(r"\b[vg]\d+\b")


def _registers(loop: list[str], outside: set[str]) -> tuple[list[str], list[str]]:
    """Give the values and gradients that live within one sample's pass a few reused names.

    CPython reaches its first 256 local variables with one instruction and every other with two, and
    a program for a model of a few hundred parameters has a thousand values and gradients. Most live
    for a few lines, so a small set of names ``r0, r1, ...``, each reused once its value is dead,
    holds them all, and naming them first (the returned first line) makes them the cheap ones. A
    program with few variables keeps its slot names, for reading."""
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for n, line in enumerate(loop):
        for name in _NAME.findall(line):
            if name not in outside:
                first.setdefault(name, n)
                last[name] = n
    if len(first) + len(outside) < 200:
        return [], loop
    starting: dict[int, list[str]] = {}
    ending: dict[int, list[str]] = {}
    for name, n in first.items():  # a name first appears where it is assigned
        starting.setdefault(n, []).append(name)
        ending.setdefault(last[name], []).append(name)
    free: list[str] = []
    rename: dict[str, str] = {}
    count = 0
    for n in range(len(loop)):
        for name in starting.get(n, ()):
            if free:
                rename[name] = free.pop()
            else:
                rename[name] = f"r{count}"
                count += 1
        for name in ending.get(n, ()):  # free after the line: its last use may be the line's right-hand side
            free.append(rename[name])
    renamed = [_NAME.sub(lambda m: rename.get(m.group(), m.group()), line) for line in loop]
    declare = "    " + " = ".join(f"r{k}" for k in range(count)) + " = 0.0  # the registers: named first, cheapest"
    return [declare], renamed


def _run_hooks(hooks: Sequence[Callable[[float], float | None]], g: float) -> float:
    """What the program does where a value has gradient hooks: as ``backward()`` does."""
    for hook in hooks:
        replacement = hook(g)
        if replacement is not None:
            g = engine._number(replacement, "the value a gradient hook returned")
    return g


def _joint_order(outputs: Sequence[Value]) -> list[Value]:
    """Topological order of the graph of several outputs (the first output's graph, then the others')."""
    seen: set[Value] = set()
    order: list[Value] = []
    for out in outputs:
        for node in topological_order(out):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


class _LazyTrace:
    """``@trace`` without example arguments: traces on the first call, with that call's arguments."""

    def __init__(self, f: Callable[..., Any], check: bool) -> None:
        self.function = f
        self.check = check
        self.traced: Traced | None = None

    def _ensure(self, args: Sequence[object]) -> Traced:
        if self.traced is None:
            self.traced = Traced(self.function, _record(self.function, args), self.check)
        return self.traced

    def __call__(self, *args: object) -> Any:
        return self._ensure(args)(*args)

    def value_and_grad(self, *args: object) -> tuple[Any, list[Any]]:
        return self._ensure(args).value_and_grad(*args)


def trace_per_sample(
    f: Callable[[Any, Any], Any], shared: object, first: object, second: object, *others: object
) -> Traced:
    """Trace ``f(shared, sample)``, a computation repeated over samples, once for all of them.

    JAX's ``vmap`` idea: the program is the computation of one sample (its size does not grow with
    the batch), with the ``shared`` numbers (a model's parameters) and the sample's numbers as inputs;
    replay it over the samples (``forward_batch``, then ``backward_batch`` adding into the shared
    inputs' gradients). It is traced on two samples, ``first`` and ``second``, and refused with
    ``TraceMismatchError`` when the two programs differ (the computation depends on the values) or
    when both use the same intermediate value (computed once outside ``f``, so not per sample).
    ``others``, more samples, are traced too, only to check that each builds the same program: pass
    all of them to be sure a branch on the values is taken the same way for every sample.
    """
    recordings = [_record(f, (shared, sample)) for sample in (first, second)]
    traced, again = (Traced(f, recording, check=False) for recording in recordings)
    for other in (again, *(Traced(f, _record(f, (shared, sample)), check=False) for sample in others)):
        if other._signature != traced._signature:
            raise TraceMismatchError(
                "the computation builds a different graph for another sample (its structure or its constants "
                "depend on the values, e.g. through an 'if' on .data)"
            )
    inner = [{node for node in _joint_order(r.outputs) if node._a is not None} for r in recordings]
    if inner[0] & inner[1]:
        raise TraceMismatchError("the samples share an intermediate value computed outside the traced function")
    return traced


def trace(f: Callable[..., Any] | None = None, *example_args: object, check: bool = False) -> Any:
    """Trace ``f`` on ``example_args`` and compile it: ``trace(f, 2.0, [1.0, 2.0])``.

    As a decorator, ``@trace`` (or ``@trace(check=True)``) traces on the first call. ``example_args``
    are numbers, ``Value`` leaves, or (nested) lists of them; each number becomes an input.
    """
    if f is None:
        return lambda g: trace(g, check=check)
    if not example_args:
        return _LazyTrace(f, check)
    return Traced(f, _record(f, example_args), check)
