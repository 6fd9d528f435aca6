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

**The backward pass, by the rules of :mod:`tinygrad_scalar.core.graph`.** A program's backward pass
follows the rules every pass follows, written once in that module, and uses its definitions:

* *Seeds* (rule 2), with ``graph.seed_map``: a pass starts from its seeded outputs only.
  ``value_and_grad`` seeds the first output with 1 and leaves the others unseeded (not seeded with 0,
  which would turn an ``inf`` local derivative into ``nan``). An output listed several times receives
  the sum of its seeds, added to 0 (``backward_batch`` with seeds ``s1`` and ``s2`` for ``[p, p]``
  gives ``p`` the gradient ``0.0 + (s1 + s2)``).
* *Hooks* (rule 4), with ``graph.apply_hooks``: a value takes part in the pass if and only if a
  seeded output depends on it; only those values get a gradient, and only their hooks run, once each,
  when the value's gradient is complete, before it flows on; an input's hooks run at the end, with its
  complete gradient. A hook on a value no seeded output depends on does not run.

Which values take part is worked out on the program's slots (``Traced._pass``), not on the graph's
``Value`` objects: a program outlives the graph it was traced from, and each choice of seeded outputs
is a different pass, generated on first use.

A computation repeated over samples (a model's loss, sample after sample) is traced once for one
sample with ``trace_per_sample(f, shared, first, second)``, JAX's ``vmap`` idea: the program's size
does not grow with the batch, ``forward_batch`` and ``backward_batch`` replay it over any batch, and
the shared inputs' gradients are added in the order ``backward()`` adds them on the whole batch's
graph. ``trace_per_sample`` watches the computation while it traces it (see
:mod:`tinygrad_scalar.transforms.reads`) and refuses one that looks at its numbers, so a program it
returns holds for every value of the inputs.

**Large programs.** A program of up to ``STRAIGHT_LINE_LIMIT`` instructions is one Python function.
A larger one (CPython takes seconds and gigabytes to compile one huge function) is cut into chunks
of ``CHUNK`` instructions, each compiled as a function of its own over a list of slots: its inputs
come in as a tuple and its results go out as one, so the compile time grows linearly with the
program. Chunks that compute the same thing on other slots (a chain's links, a batch's samples)
share one compiled function.

What a trace freezes: every value that is not an input is a constant, fixed at trace time as a
float. That covers the numbers in the function, ``Value`` objects it reads from outside (a model's
parameters not passed in), and anything cut from the graph: ``x * x.detach()`` traced at ``x = 3``
computes ``3 * x`` for every ``x``. A ``checkpoint`` segment is written into the program, each value
entering it through a copy (``v9 = checkpoint v2``) that adds the segment's gradient into it once, as
``backward()`` does; hooks on values whose gradient the program computes are called by the program
with that gradient. A hook
on a value read from outside is refused: the program computes no gradient for a constant.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tinygrad_scalar.core import engine, ieee, ops
from tinygrad_scalar.core.engine import Value
from tinygrad_scalar.core.graph import apply_hooks, joint_order, seed_map, topological_order
from tinygrad_scalar.transforms.functional import argument_names
from tinygrad_scalar.transforms.reads import watching

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


_ENTER = ops.Op(
    name="checkpoint",
    label="checkpoint",
    forward=lambda x: x,
    derivatives=(lambda g, x, out: g,),  # d(copy of x)/dx = 1
    rule="the checkpointed segment's gradient, added once",
    text=("1",),
    latex=("1",),
    inline="{0}",
)
"""The instruction by which a value enters a ``checkpoint`` segment of a program (``v9 = checkpoint v2``):
a copy of the value, whose gradient, the whole segment's, is added into the value's once (rule 5 of
:mod:`tinygrad_scalar.core.graph`). Not in the table: the table's ``checkpoint`` row, whose name it
takes, is never an instruction (a program holds its segment instead)."""


def _row(name: str) -> ops.Op:
    """The row of the table an instruction applies (or ``_ENTER``)."""
    return _ENTER if name == _ENTER.name else ops.OPS[name]


# ---- flattening arguments ---------------------------------------------------------------------------------

Structure = Any  # None for one number, or a list of the structures of the items


def _flatten(arg: object, path: str, leaves: list[Value]) -> Structure:
    """Turn numbers (or leaf Values) into input leaves, recording the nesting of lists."""
    if isinstance(arg, Value):
        if arg._prev:
            raise TraceError(f"the input {path} is the result of an operation; only leaves can be inputs")
        leaves.append(arg)
        return None
    if ieee.real(arg) is not None:  # any real number, numpy's too; not a bool
        leaves.append(Value(ieee.as_float(arg, path), label=path))
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
        elif type(arg) is float:
            out.append(arg)
        elif ieee.real(arg) is not None:  # any real number, numpy's too; not a bool
            out.append(ieee.as_float(arg, path))
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


@dataclass(frozen=True)
class _Pass:
    """What one backward pass computes, by the rules of the module docstring."""

    seeded: tuple[int, ...]  # the slot of the output each of a sample's seeds is for, in their order
    part: frozenset[int]  # the slots a seeded output depends on: the values taking part in the pass
    flows: frozenset[int]  # of those, the ones whose gradient is needed: they lead to an input or a hook


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
        self._slots = len(slot)  # how many slots are given out
        self.constants: dict[int, float] = {}
        self._code: list[tuple[str, int, tuple[int, ...], tuple[float, ...]]] = []  # plain tuples: see Instruction
        self._hooks: dict[int, list[Callable[[float], float | None]]] = {}
        self._record_nodes(joint_order(recording.outputs), slot)
        self.input_names = [v.label or f"v{i}" for i, v in enumerate(recording.inputs)]
        self.n_inputs = len(recording.inputs)
        self.outputs = [slot[o] for o in recording.outputs]
        for v in recording.inputs:
            if v._hooks:
                self._hooks[slot[v]] = v._hooks
        self.outside: list[Value] = []
        """Set by ``trace_per_sample``: the Values every sample reads from outside (a model's parameters
        not passed in), which the program holds as constants, in slot order."""
        self._signature = self._structure_signature()
        self._compiled: dict[tuple[str, int, tuple[int, ...]], Callable[..., Any]] = {}
        self._passes: dict[tuple[int, tuple[int, ...]], _Pass] = {}
        self._chunks: _Chunks | None = None

    def _record_nodes(self, order: Sequence[Value], slot: dict[Value, int]) -> None:
        """Give each node of ``order`` its slot, and each operation its instruction, in order."""
        for node in order:
            if node in slot:
                continue
            if node._a is None:
                if node._hooks:
                    label = f" (label {node.label!r})" if node.label else ""
                    raise TraceError(
                        f"a gradient hook is registered on a Value read from outside{label}: the program holds "
                        f"it as a constant and computes no gradient for it; pass it in as an input"
                    )
                slot[node] = self._slots
                self._slots += 1
                self.constants[slot[node]] = float(node.data)  # a numpy or Fraction number, frozen as a float
                continue
            op, params = engine.op_of(node, "trace")
            if op.expand is not None:  # a checkpoint: its segment, written into the program
                self._record_segment(node, op, params, slot)
                continue
            slot[node] = self._slots
            self._slots += 1
            self._code.append((op.name, slot[node], tuple(slot[p] for p in node._prev), tuple(params)))
            if node._hooks:
                self._hooks[slot[node]] = node._hooks

    def _record_segment(self, node: Value, op: ops.Op, params: tuple[Any, ...], slot: dict[Value, int]) -> None:
        """Write a ``checkpoint`` node's segment into the program, by rule 5 of :mod:`tinygrad_scalar.core.graph`.

        Each value of the segment's boundary (the node's parents) enters the segment through an
        instruction of its own, ``v9 = checkpoint v2``, which copies the value: its backward step adds
        the gradient the whole segment gave the copy into the parent, once, as the checkpoint's rule
        does (adding the segment's contributions one by one, between the others, would round
        differently). The copies are written last parent first, so that the backward pass adds into the
        parents in their order. The checkpoint node's hooks run before the segment's output's own, as
        in ``backward()``, where the first are the outer pass's and the second the segment's."""
        assert op.expand is not None
        parents, (_, n, outside) = node._prev, params
        stand_ins = [Value(p.data) for p in parents[:n]]  # the function's arguments, as the rule makes them
        boundary = (*stand_ins, *outside)
        inner = op.expand(stand_ins, params)
        held = {v: slot[v] for v in outside}  # the values from outside: copies stand for them in the segment
        for parent, value in reversed(list(zip(parents, boundary))):
            entry = self._slots
            self._slots += 1
            self._code.append((_ENTER.name, entry, (held.get(parent, slot[parent]),), ()))
            slot[value] = entry
        self._record_nodes(topological_order(inner, stop=boundary), slot)
        slot[node] = slot[inner]
        if node._hooks:
            self._hooks[slot[node]] = [*node._hooks, *self._hooks.get(slot[node], ())]
        slot.update(held)

    @property
    def hooked(self) -> bool:
        """Whether the program calls gradient hooks (of its values or of its inputs)."""
        return bool(self._hooks)

    def _all_outputs(self) -> tuple[int, ...]:
        return tuple(range(len(self.outputs)))

    def _function(self, name: str, shared: int = 0, seeded: tuple[int, ...] = ()) -> Callable[..., Any]:
        """The generated ``forward``, or ``backward`` from the outputs at the places ``seeded`` (for the
        gradients of the first ``shared`` inputs), made on first use."""
        key = (name, shared, seeded)
        if key not in self._compiled:
            if len(self._code) > STRAIGHT_LINE_LIMIT:
                if self._chunks is None:
                    self._chunks = _Chunks(self)
                chunks = self._chunks
                function = chunks.forward(shared) if name == "forward" else chunks.backward(shared, seeded)
            else:
                filename = f"<traced {getattr(self.function, '__name__', 'function')}: {name}>"
                function = ops.compile_function(self._generate(name, shared, seeded), name, filename)
                function.__globals__.update({f"hooks{i}": h for i, h in self._hooks.items()}, run_hooks=apply_hooks)
            self._compiled[key] = function
        return self._compiled[key]

    def compile(self, shared: int) -> None:
        """Compile the batch functions for ``shared`` shared inputs now, rather than on first use."""
        self._function("forward", shared)
        self._function("backward", shared, self._all_outputs())

    @property
    def source(self) -> str:
        """The Python code generated from the program: ``forward`` and ``backward``, or for a program
        larger than ``STRAIGHT_LINE_LIMIT``, the functions of its chunks."""
        if len(self._code) > STRAIGHT_LINE_LIMIT:
            return _Chunks(self).source(self.n_inputs, self._all_outputs())
        n = self.n_inputs
        return self._generate("forward", n) + "\n" + self._generate("backward", n, self._all_outputs())

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

    def _pass(self, shared: int, seeded: tuple[int, ...]) -> _Pass:
        """The backward pass from the outputs at the places ``seeded``, for the gradients of the first
        ``shared`` inputs: which values take part, and which of them need a gradient."""
        key = (shared, seeded)
        if key not in self._passes:
            outputs = tuple(self.outputs[k] for k in seeded)  # seed[j] is the upstream gradient of outputs[j]
            part = set(outputs)
            for _, out, ins, _ in reversed(self._code):
                if out in part:
                    part.update(ins)
            leads = set(range(shared)) | {i for i in self._hooks if i >= self.n_inputs}  # to an input, or a hook
            for _, out, ins, _ in self._code:
                if out not in leads and any(i in leads for i in ins):
                    leads.add(out)
            self._passes[key] = _Pass(outputs, frozenset(part), frozenset(part & leads))
        return self._passes[key]

    def _forward_lines(self, slot: Callable[[int], str], constants: bool = True) -> list[str]:
        """The forward pass, one statement per constant and per instruction."""
        lines = [f"{slot(i)} = {ops.source(x)}" for i, x in self.constants.items()] if constants else []
        for op, out, ins, params in self._code:
            lines.append(f"{slot(out)} = {_row(op).code(*[ops.Code(slot(i)) for i in ins], *params).src}")
        return lines

    def _backward_lines(
        self, slot: Callable[[int], str], grad: Callable[[int], str], shared: int, seeded: tuple[int, ...]
    ) -> list[str]:
        """The backward pass: the seeds, then from the last instruction to the first, each instruction's
        hooks and its contributions, for the values that take part and need a gradient.

        As in ``backward()``, a gradient starts at 0.0 and receives each contribution in turn; the first
        is written ``g = 0.0 + c`` (which, as ``0.0 + c``, turns a -0.0 into 0.0, as the engine does),
        or ``g = c`` where ``c`` is a gradient that cannot be -0.0 (a sum starting at 0.0 never is; a
        hook's result may be)."""
        plan = self._pass(shared, seeded)
        flows = plan.flows
        started = set(range(shared))  # the shared inputs' gradients so far: what backward() adds into
        signed_zero = {grad(i) for i in self._hooks}  # gradients that may be -0.0
        lines = []
        seeds = seed_map(plan.seeded, [ops.Code(f"seed[{j}]") for j in range(len(plan.seeded))])
        for o, seed in seeds.items():  # an output listed twice: the sum of its seeds, added to 0 (rule 2)
            if o in flows:
                lines.append(f"{grad(o)} = {grad(o) if o in started else '0.0'} + {seed.src}")
                started.add(o)
        for op, out, ins, params in reversed(self._code):
            if out not in flows:
                continue
            if out not in started:  # no contribution reached it: its gradient is 0
                lines.append(f"{grad(out)} = 0.0")
                started.add(out)
            if out in self._hooks:  # its gradient is complete: the hooks see it before it flows on
                lines.append(f"{grad(out)} = run_hooks(hooks{out}, {grad(out)})")
            inputs = [ops.Code(slot(i)) for i in ins]
            contributions = _row(op).contributions_code(ops.Code(grad(out)), inputs, ops.Code(slot(out)), params)
            for i, contribution in zip(ins, contributions):
                line = ops.statement(grad(i), contribution) if i in flows else None
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

    def _generate(self, name: str, shared: int, seeded: tuple[int, ...] = ()) -> str:
        """The Python source of the program over a batch, the first ``shared`` inputs being the same for
        every sample (a model's parameters) and the others the sample's (JAX's ``vmap`` idea):

        * ``forward(shared, samples)``: per sample, the outputs, and the values its backward pass reads;
        * ``backward(shared, saved, seeds, acc)``: per sample, in the order given, the backward pass from
          the upstream gradients ``seeds`` of the outputs at the places ``seeded``, adding each
          contribution into ``acc``, the gradients of the shared inputs so far (as ``backward()`` adds
          into leaves); returns them.

        The loop over the samples is in the generated code, so that the shared values and their
        gradients stay in local variables for the whole batch."""
        local = "v{}".format
        backward = self._backward_lines(local, "g{}".format, shared, seeded)
        every = self._backward_lines(local, "g{}".format, shared, self._all_outputs())  # what any pass reads
        saved = sorted({int(i) for line in every for i in re.findall(r"\bv(\d+)\b", line)} - set(range(shared)))
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
        loop = [f"{''.join(f'v{i}, ' for i in saved)}= memo"] if saved else []
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
        output and the flat list of gradients of the first output. No checks."""
        outputs, saved = self.forward_batch(xs, [()])
        n = self.n_inputs
        grads = self.backward_batch(xs, saved, [[1.0]], [0.0] * n, seeded=(0,))
        part = self._pass(n, (0,)).part
        for i, hooks in self._hooks.items():  # an input's gradient is complete at the end, as in backward()
            if i < n and i in part:
                grads[i] = apply_hooks(hooks, grads[i])
        return outputs[0], grads

    def forward_batch(self, shared: Sequence[float], samples: Sequence[Sequence[float]]) -> tuple[list[Any], list[Any]]:
        """Replay the forward pass for each sample: the inputs are the ``shared`` numbers (the same for
        every sample), then the sample's. Returns each sample's outputs, and what ``backward_batch``
        needs of each. No checks."""
        result: tuple[list[Any], list[Any]] = self._function("forward", len(shared))(shared, samples)
        return result

    def backward_batch(
        self,
        shared: Sequence[float],
        saved: Sequence[Any],
        seeds: Sequence[Sequence[float]],
        acc: Sequence[float],
        seeded: Sequence[int] | None = None,
    ) -> list[float]:
        """Replay the backward pass of each sample of ``saved`` (from ``forward_batch``), in that order,
        from its seeds: ``seeds`` holds, per sample, the upstream gradient of each output at the places
        ``seeded`` (every output by default; the others are not seeded). Adds each contribution, in the
        engine's order, to ``acc``, the gradients so far of the shared inputs (as ``backward()`` adds
        into leaves), and returns them. Hooks on the shared inputs are not run (their gradients are
        complete only after the last sample). No checks of the numbers."""
        places = self._all_outputs() if seeded is None else tuple(seeded)
        if any(not 0 <= k < len(self.outputs) for k in places):
            raise TraceError(f"seeded lists places among the {len(self.outputs)} outputs, got {list(places)}")
        result: list[float] = self._function("backward", len(acc), places)(shared, saved, seeds, acc)
        return result

    def __repr__(self) -> str:
        return (
            f"<Traced {getattr(self.function, '__name__', 'function')}: {self.n_inputs} inputs, "
            f"{len(self._code)} instructions>"
        )


STRAIGHT_LINE_LIMIT = 5_000
"""Programs with more instructions are compiled in chunks (``_Chunks``): CPython compiles one function
of a hundred thousand statements in half a minute and gigabytes, and chunks in a time linear in
their number."""

CHUNK = 1_000
"""The instructions in one chunk's function."""


# ---- large programs: chunks ------------------------------------------------------------------------------


def _gather(positions: Sequence[int]) -> Callable[[list[float]], tuple[float, ...]]:
    """A function of a list giving its items at ``positions``, as a tuple (in C: operator.itemgetter)."""
    if not positions:
        return lambda slots: ()
    if len(positions) == 1:
        p = positions[0]
        return lambda slots: (slots[p],)
    return operator.itemgetter(*positions)


ChunkKey = tuple[tuple[str, tuple[float, ...], tuple[int, ...]], ...]
"""What one chunk computes, whatever its slots: per instruction, the operation, its parameters and
where each operand comes from: ``k >= 0`` is the chunk's own ``k``-th result, ``-1 - m`` its ``m``-th
value from outside."""


class _Chunks:
    """A large program as chunks of ``CHUNK`` instructions, each compiled into a function of its own.

    A sample's values live in one list, ``V``, in this order: the inputs, the constants, then each
    instruction's result in program order, so a chunk's results are one slice, ``V[s:e]``. The forward
    function of a chunk takes the values it reads from outside as one tuple and returns its results
    as another: ``V[s:e] = forward(gather(V))``. The backward function takes those values, the
    results, the gradients of the outside values it adds into and the gradients of its results
    (``G[s:e]``), and returns the outside gradients, which are written back into ``G``. Every addition
    is the engine's: a gradient in ``G`` starts at 0.0, as in ``backward()``.

    Chunks whose instructions are the same, with operands from the same places (the links of a
    chain, the samples of a batch when the chunks line up with them), share one compiled function.
    """

    def __init__(self, traced: Traced) -> None:
        self.traced = traced
        n = traced.n_inputs
        order = [*range(n), *traced.constants, *(out for _, out, _, _ in traced._code)]
        self.position = {slot: p for p, slot in enumerate(order)}
        self.template = [0.0] * len(order)
        for slot, x in traced.constants.items():
            self.template[self.position[slot]] = x
        self.start = start = n + len(traced.constants)  # where the instructions' results begin
        at = self.position.__getitem__
        self.code = [(op, at(out), tuple(map(at, ins)), p) for op, out, ins, p in traced._code]
        self.size = _chunk_size([
            hash((op, params, tuple(start + j - p if p >= start else -1 for p in ins)))
            for j, (op, _, ins, params) in enumerate(self.code)
        ])  # fmt: skip
        self.chunks: list[tuple[int, int, ChunkKey, list[int]]] = []  # (s, e, key, positions read from outside)
        for j in range(0, len(self.code), self.size):
            s, e = start + j, start + min(j + self.size, len(self.code))
            index: dict[int, int] = {}
            key = []
            for op, _, ins, params in self.code[j : j + self.size]:
                refs = []
                for p in ins:
                    if p >= s:  # computed in this chunk (an operand comes before its result)
                        refs.append(p - s)
                    else:
                        refs.append(-1 - index.setdefault(p, len(index)))
                key.append((op, params, tuple(refs)))
            self.chunks.append((s, e, tuple(key), list(index)))
        self.functions: dict[tuple[object, ...], Callable[..., Any]] = {}
        self.sources: dict[tuple[object, ...], str] = {}

    def _compiled(self, key: tuple[object, ...], source: Callable[..., str], *args: Any) -> Callable[..., Any]:
        """The function ``source(*args)`` writes, compiled once for all the chunks whose ``key`` it is."""
        if key not in self.functions:
            text = self.sources[key] = source(*args)
            function = ops.compile_function(text, str(key[0]), f"<traced chunk: {key[0]}>")
            function.__globals__["run_hooks"] = apply_hooks
            self.functions[key] = function
        return self.functions[key]

    def forward(self, shared: int) -> Callable[..., Any]:
        """The ``forward(shared, samples)`` of the whole program, as ``Traced.forward_batch`` calls it."""
        plan = [
            (self._compiled(("forward", key), _forward_source, key, len(outside)), _gather(outside), s, e)
            for s, e, key, outside in self.chunks
        ]
        template, n = self.template, self.traced.n_inputs
        outputs = [self.position[o] for o in self.traced.outputs]

        def forward(common: Sequence[float], samples: Sequence[Sequence[float]]) -> tuple[list[Any], list[Any]]:
            if len(common) != shared:
                raise TraceError(f"the program takes {shared} shared numbers, got {len(common)}")
            results, saved = [], []
            for x in samples:
                if len(x) != n - shared:
                    raise TraceError(f"a sample of the program has {n - shared} numbers, got {len(x)}")
                V = template.copy()  # noqa: N806 - the slots, as in the docstring
                V[:shared] = common
                V[shared:n] = x
                for function, gather, s, e in plan:
                    V[s:e] = function(gather(V))
                results.append([V[o] for o in outputs])
                saved.append(V)
            return results, saved

        return forward

    def backward(self, shared: int, seeded: tuple[int, ...]) -> Callable[..., Any]:
        """The ``backward(shared, saved, seeds, acc)`` of the whole program, from the outputs at the
        places ``seeded``, as ``Traced.backward_batch`` calls it."""
        traced, position = self.traced, self.position
        plan = traced._pass(shared, seeded)
        flows = {position[slot] for slot in plan.flows}
        hooks = {position[slot]: h for slot, h in traced._hooks.items() if slot >= traced.n_inputs}
        positions = [position[o] for o in plan.seeded]
        flowing = {position[o] for o in plan.seeded if o in plan.flows}
        steps = []
        for s, e, key, outside in reversed(self.chunks):
            flags = tuple(  # per instruction: None where it takes no part, else (hooked?, operands needing a gradient)
                (out in hooks, tuple(p in flows for p in ins)) if out in flows else None
                for _, out, ins, _ in self.code[s - self.start : e - self.start]
            )
            if not any(flags):
                continue
            function = self._compiled(("backward", key, flags), _backward_source, key, flags, len(outside))
            receiving = [outside[-1 - r] for r in _receiving(key, flags)]
            called = tuple(hooks[s + k] for k, flag in reversed(list(enumerate(flags))) if flag is not None and flag[0])
            steps.append((function, _gather(outside), s, e, _gather(receiving), receiving, called))
        zeros = [0.0] * len(self.template)

        def backward(
            common: Sequence[float], saved: Sequence[list[float]], seeds: Sequence[Sequence[float]], acc: list[float]
        ) -> list[float]:
            acc = list(acc)
            for V, seed in zip(saved, seeds):  # noqa: N806 - the slots, as in the class docstring
                G = zeros.copy()  # noqa: N806 - their gradients
                G[:shared] = acc
                for p, given in seed_map(positions, seed).items():  # an output listed twice: the sum of its seeds
                    if p in flowing:
                        G[p] += given
                for function, gather, s, e, gather_g, receiving, called in steps:
                    for p, g in zip(receiving, function(gather(V), V[s:e], gather_g(G), G[s:e], called)):
                        G[p] = g
                acc = G[:shared]
            return acc

        return backward

    def source(self, shared: int, seeded: tuple[int, ...]) -> str:
        """The functions that run, each once: the chunks' forward and backward functions."""
        self.forward(shared)
        self.backward(shared, seeded)
        head = (
            f"# {len(self.code)} instructions in {len(self.chunks)} chunks of up to {self.size}, run by "
            f"{len(self.sources)} distinct functions over a list V of {len(self.template)} slots"
        )
        return "\n".join([head, "", *self.sources.values()])


def _chunk_size(signature: list[int]) -> int:
    """About ``CHUNK``, and a multiple of the length of the block the program repeats, if it repeats one
    (a batch's samples, a chain's links): then the chunks line up with the blocks, and most of them
    compute the same thing on other slots and share one compiled function. ``signature`` holds, per
    instruction, what it computes and how far back its operands are."""
    n = len(signature)
    start = n // 4
    width = min(4 * CHUNK, (n - start) // 2)  # longer than a repeat inside the block (a layer's neurons)
    window = signature[start : start + width]
    for q in range(start + 1, n - width + 1 if window else 0):
        if signature[q] == window[0] and signature[q : q + width] == window:
            period = q - start
            return period * max(1, round(CHUNK / period)) if period <= 4 * CHUNK else CHUNK
    return CHUNK


def _value_name(r: int) -> str:
    return f"o{r}" if r >= 0 else f"a{-1 - r}"


def _receiving(key: ChunkKey, flags: tuple[Any, ...]) -> list[int]:
    """The outside values (as their references in ``key``) whose gradients the chunk adds into, in the
    order they are first met."""
    found: dict[int, None] = {}
    for (_, _, refs), flag in zip(key, flags):
        if flag:
            for r, flows in zip(refs, flag[1]):
                if flows and r < 0:
                    found.setdefault(r)
    return list(found)


def _forward_source(key: ChunkKey, n_outside: int) -> str:
    lines = ["def forward(a):"]
    if n_outside:
        lines.append(f"    {''.join(f'a{m}, ' for m in range(n_outside))}= a")
    for k, (op, params, refs) in enumerate(key):
        lines.append(f"    o{k} = {_row(op).code(*[ops.Code(_value_name(r)) for r in refs], *params).src}")
    lines.append(f"    return ({''.join(f'o{k}, ' for k in range(len(key)))})")
    return "\n".join(lines) + "\n"


def _backward_source(key: ChunkKey, flags: tuple[Any, ...], n_outside: int) -> str:
    receiving = {r: m for m, r in enumerate(_receiving(key, flags))}

    def grad(r: int) -> str:
        return f"go{r}" if r >= 0 else f"ga{receiving[r]}"

    lines = ["def backward(a, o, ga, go, hooks):"]
    if n_outside:
        lines.append(f"    {''.join(f'a{m}, ' for m in range(n_outside))}= a")
    lines.append(f"    {''.join(f'o{k}, ' for k in range(len(key)))}= o")
    if receiving:
        lines.append(f"    {''.join(f'ga{m}, ' for m in range(len(receiving)))}= ga")
    lines.append(f"    {''.join(f'go{k}, ' for k in range(len(key)))}= go")
    called = 0
    for k in reversed(range(len(key))):
        if not flags[k]:
            continue
        op, params, refs = key[k]
        hooked, flows = flags[k]
        if hooked:  # the result's gradient is complete: its hooks see it before it flows on
            lines.append(f"    go{k} = run_hooks(hooks[{called}], go{k})")
            called += 1
        values = [ops.Code(_value_name(r)) for r in refs]
        contributions = _row(op).contributions_code(ops.Code(f"go{k}"), values, ops.Code(f"o{k}"), params)
        for r, needed, contribution in zip(refs, flows, contributions):
            line = ops.statement(grad(r), contribution) if needed else None
            if line is not None:
                lines.append(f"    {line}")
    lines.append(f"    return ({''.join(f'ga{m}, ' for m in range(len(receiving)))})")
    return "\n".join(lines) + "\n"


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
    inputs' gradients).

    What makes the program hold for every value of the inputs: the first sample is traced while
    :func:`tinygrad_scalar.transforms.reads.watching` watches, and a computation that looked at a
    number (compared Values, used ``.data``, ...) is refused with ``TraceError``, naming the first
    place. A computation that never looked took the path it took whatever the numbers were, so it
    builds the same graph for any parameters and any sample of the same shape (within what the watch
    sees, and provided it reads no other state, such as a random generator).

    It is also traced on ``second``, and refused with ``TraceMismatchError`` when the two programs
    differ or when both use the same intermediate value (computed once outside ``f``, so not per
    sample). ``others``, more samples, are traced too, only to check that each builds the same
    program (a sample of another shape, or state outside the Values, would show there). The Values
    that every sample reads from outside (a model's parameters not passed in) are listed in the
    program's ``outside``: it holds them as constants.
    """
    with watching() as reads:
        first_recording = _record(f, (shared, first))
    if reads:
        raise TraceError(f"the computation {reads[0]}: its graph may depend on the values, which a trace would freeze")
    recordings = [first_recording, _record(f, (shared, second))]
    traced, again = (Traced(f, recording, check=False) for recording in recordings)
    for other in (again, *(Traced(f, _record(f, (shared, sample)), check=False) for sample in others)):
        if other._signature != traced._signature:
            raise TraceMismatchError(
                "the computation builds a different graph for another sample (its structure or its constants "
                "depend on the sample, or on state outside the Values)"
            )
    nodes = [joint_order(r.outputs) for r in recordings]
    inner = [{node for node in order if node._a is not None} for order in nodes]
    if inner[0] & inner[1]:
        raise TraceMismatchError("the samples share an intermediate value computed outside the traced function")
    inputs, both = {*recordings[0].inputs, *recordings[1].inputs}, set(nodes[1])
    traced.outside = [node for node in nodes[0] if node._a is None and node in both and node not in inputs]
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
