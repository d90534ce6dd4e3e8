"""What crosses between the judge and the student's process: plain data only.

Both ends speak through a `Peer` (peer.py) over one socket; this module
says how a value crosses: as JSON and raw buffers, each buffer one NumPy
array in the npy format (read with `allow_pickle=False`).  What a value
may be:

    None, bool, int, float, str, NumPy scalars (numeric or bool)
    tuple, list, dict (any of these as keys), OrderedDict
    ndarray of a numeric or bool dtype (never object, never structured)
    np.random.Generator (its bit generator's state, a dict of ints)
    a torch tensor (as its array; rebuilt only where torch is imported)
    a callable: a handle; calling it asks the other end to call it
    the judge's objects of rnnlib's classes (a model, an optimizer): a
      handle (`RemoteObject`); the student's code reads and sets their
      public attributes and calls their methods, which run in the judge
      with the course's own code

Anything else is sent as `Opaque(type name)`: the judge sees what the
student's code returned, by name, and can never run it.  Which objects an
end hands out as handles is that end's `Peer.exportable`: the student's
side hands out its functions only; the judge, the callables a test passes
and rnnlib's objects, whose attributes give out only plain data, other
rnnlib objects and their own methods (`JudgeSide` in judge.py).

Identity and in-place changes cross too.  While a call runs (its *scope*),
each end remembers the mutable objects it sent and the copies it made of
the other end's; every message carries the current content of all of them,
and the receiving end writes that content into its own objects in place.
So `train_step(params, ..., optimizer)` updates the judge's `params` arrays
in place (an optimizer built on `params` sees the same dict), a Generator's
state advances exactly as it would in one process, and a callback the
student calls with the judge's array receives the judge's own array.

Reading is strict: a malformed message, an unknown tag or dtype, a class
outside rnnlib, a reference to an object the reader never sent raise
`WireError`; the judge treats that as the student's mistake.
"""

from __future__ import annotations

import collections
import io

import numpy as np

MAX_DEPTH = 100  # nesting of containers in one value
ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


class WireError(ValueError):
    """A message that breaks the protocol (the sender's fault)."""


class Opaque:
    """What the other end had that is not plain data: only its type's name.

    Any use other than looking at it raises a TypeError naming the type."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<a {self.type_name} object, which the grader cannot read>"

    def _refuse(self, *args, **kwargs):
        raise TypeError(
            f"your code returned a `{self.type_name}` object; the grader "
            "accepts only plain values (numbers, strings, tuples, lists, dicts, "
            "NumPy arrays of numbers)"
        )

    __array__ = __len__ = __iter__ = __getitem__ = __float__ = __int__ = _refuse
    __bool__ = __add__ = __sub__ = __mul__ = __truediv__ = __eq__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __matmul__ = __neg__ = _refuse
    __hash__ = None


def _array_bytes(a: np.ndarray) -> bytes:
    out = io.BytesIO()
    if not a.flags.c_contiguous:
        a = a.copy(order="C")
    np.lib.format.write_array(out, a, allow_pickle=False)
    return out.getvalue()


def _array_from(buf: bytes) -> np.ndarray:
    try:
        a = np.lib.format.read_array(io.BytesIO(buf), allow_pickle=False)
    except Exception as exc:  # a malformed npy, or an object array
        raise WireError(f"not a plain npy array: {exc}") from None
    if a.dtype.kind not in ARRAY_KINDS or a.dtype.fields is not None:
        raise WireError(f"an array of dtype {a.dtype} (numbers or bools only)")
    return a


# --------------------------------------------------------------------------
# the scope of one call: which objects each end holds a copy of


class Scope:
    """The mutable objects of the call under way, by id on the wire.

    `mine[k]` is an object this end sent as k; `theirs[k]` is this end's
    copy of the object the other end sent as k.  Handles this end gave out
    (`functions`: callables and objects) live as long as the call, or, with
    `keep_functions` (the student's end, whose functions the judge looks up
    once), for the whole session; their numbers are never reused."""

    def __init__(self, keep_functions: bool = True):
        self.keep_functions = keep_functions
        self.functions: dict[int, object] = {}
        self.function_ids: dict[int, int] = {}
        self.next_function = 0
        self.clear()

    def clear(self):
        self.mine: dict[int, object] = {}
        self.mine_ids: dict[int, int] = {}
        self.theirs: dict[int, object] = {}
        self.theirs_ids: dict[int, int] = {}
        if not self.keep_functions:
            self.functions.clear()
            self.function_ids.clear()

    def tag(self, obj) -> list:
        """["y", k]: the other end's object k; ["m", k]: ours, sent as k."""
        if id(obj) in self.theirs_ids:
            return ["y", self.theirs_ids[id(obj)]]
        k = self.mine_ids.get(id(obj))
        if k is None:
            k = self.mine_ids[id(obj)] = len(self.mine)
            self.mine[k] = obj
        return ["m", k]

    def objects(self) -> list:
        return [*self.mine.values(), *self.theirs.values()]

    def function_tag(self, fn) -> int:
        k = self.function_ids.get(id(fn))
        if k is None:
            k = self.function_ids[id(fn)] = self.next_function
            self.next_function += 1
            self.functions[k] = fn
        return k


def _is_node(value) -> bool:
    """Mutable things whose identity and in-place changes must cross."""
    return isinstance(value, np.ndarray | list | dict | np.random.Generator)


def is_rnnlib_object(value) -> bool:
    """An instance of one of rnnlib's classes (a model, a layer, an optimizer)."""
    module = getattr(type(value), "__module__", "") or ""
    return module == "rnnlib" or module.startswith("rnnlib.")


def _torch_tensor(value) -> bool:
    return type(value).__module__ == "torch" and type(value).__name__ in (
        "Tensor",
        "Parameter",
    )


class Encoder:
    """One message's values: JSON trees plus the arrays' npy buffers."""

    def __init__(self, scope: Scope, exportable):
        self.scope, self.buffers, self.memo = scope, [], {}
        self.exportable = exportable  # value -> "function", "object" or None

    def array(self, a) -> int:
        self.buffers.append(_array_bytes(a))
        return len(self.buffers) - 1

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("a value nested too deeply")
        if value is None or isinstance(value, bool | str):
            return value
        if type(value) in (int, float):
            return value
        if isinstance(value, np.generic):
            if value.dtype.kind not in ARRAY_KINDS:
                return ["x", type(value).__name__]
            return ["n", self.array(np.asarray(value))]
        if isinstance(value, tuple):
            items = [self.encode(v, depth + 1) for v in value]
            cls = type(value)
            if cls is not tuple and hasattr(cls, "_fields") and is_rnnlib_object(value):
                return ["N", cls.__module__, cls.__qualname__, items]
            return ["t", items]
        if isinstance(value, np.dtype) or (
            isinstance(value, type) and issubclass(value, np.generic)
        ):
            dtype = np.dtype(value)
            if dtype.kind not in ARRAY_KINDS:
                return ["x", str(dtype)]
            return ["D", dtype.str, isinstance(value, type)]
        if _torch_tensor(value):
            return ["T", self.array(value.detach().cpu().numpy())]
        if _is_node(value):
            if id(value) in self.memo:
                return ["r", self.memo[id(value)]]
            self.memo[id(value)] = len(self.memo)
            return self.node(value, depth)
        if isinstance(value, RemoteFunction | RemoteObject):  # back to its owner
            kind = "f" if isinstance(value, RemoteFunction) else "h"
            return [kind, "y", value._handle, type(value).__name__]
        kind = self.exportable(value)
        if kind == "function":
            name = getattr(value, "__name__", type(value).__name__)
            return ["f", "m", self.scope.function_tag(value), str(name)]
        if kind == "object":
            name = type(value).__name__
            return ["h", "m", self.scope.function_tag(value), name]
        return ["x", type(value).__name__]

    def node(self, value, depth):
        tag = self.scope.tag(value)
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in ARRAY_KINDS or value.dtype.fields is not None:
                return ["x", f"ndarray of dtype {value.dtype}"]
            return ["a", tag, self.array(value)]
        if isinstance(value, list):
            return ["l", tag, [self.encode(v, depth + 1) for v in value]]
        if isinstance(value, dict):
            kind = "o" if isinstance(value, collections.OrderedDict) else "d"
            pairs = [
                [self.encode(k, depth + 1), self.encode(v, depth + 1)]
                for k, v in value.items()
            ]
            return ["d", tag, kind, pairs]
        state = value.bit_generator.state
        return ["g", tag, self.encode(_plain_state(state), depth + 1)]


def _plain_state(state):
    """A bit generator's state with its NumPy arrays (MT19937) as lists."""
    if isinstance(state, dict):
        return {k: _plain_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return [int(v) for v in state]
    return state


class Decoder:
    """Rebuilds values, writing the content of known objects in place."""

    def __init__(self, scope: Scope, buffers: list[bytes], peer):
        self.scope, self.buffers, self.peer, self.memo = scope, buffers, peer, []

    def buffer(self, index) -> np.ndarray:
        if not isinstance(index, int) or not 0 <= index < len(self.buffers):
            raise WireError(f"no array number {index!r}")
        return _array_from(self.buffers[index])

    def decode(self, tree, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("a value nested too deeply")
        if tree is None or isinstance(tree, bool | int | str):
            return tree
        if isinstance(tree, float):
            return tree
        if not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
            raise WireError(f"not a value: {str(tree)[:80]}")
        kind, rest = tree[0], tree[1:]
        if kind == "n" and len(rest) == 1:
            a = self.buffer(rest[0])
            if a.ndim != 0:
                raise WireError("a NumPy scalar that is not 0-d")
            return a[()]
        if kind == "t" and len(rest) == 1 and isinstance(rest[0], list):
            return tuple(self.decode(v, depth + 1) for v in rest[0])
        if kind == "N" and len(rest) == 3 and isinstance(rest[2], list):
            cls = _named_tuple_class(rest[0], rest[1])
            return cls._make(self.decode(v, depth + 1) for v in rest[2])
        if kind == "D" and len(rest) == 2 and isinstance(rest[0], str):
            try:
                dtype = np.dtype(rest[0])
            except TypeError:
                raise WireError(f"not a dtype: {rest[0][:40]!r}") from None
            if dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
                raise WireError(f"a dtype {dtype} (numbers or bools only)")
            return dtype.type if rest[1] else dtype
        if kind == "T" and len(rest) == 1:
            return _to_tensor(self.buffer(rest[0]))
        if kind == "x" and len(rest) == 1 and isinstance(rest[0], str):
            return Opaque(rest[0][:200])
        if kind in ("f", "h") and len(rest) == 3:
            return self.handle(kind, *rest)
        if kind == "r" and len(rest) == 1:
            if not isinstance(rest[0], int) or not 0 <= rest[0] < len(self.memo):
                raise WireError(f"a reference to nothing: {rest[0]!r}")
            return self.memo[rest[0]]
        if kind in ("a", "l", "d", "g"):
            return self.node(kind, rest, depth)
        raise WireError(f"an unknown kind of value {kind!r}")

    def handle(self, kind, side, k, name):
        if not isinstance(k, int) or not isinstance(name, str):
            raise WireError("a malformed handle")
        if side == "y":
            if k not in self.scope.functions:
                raise WireError(f"no handle number {k} was sent")
            return self.scope.functions[k]
        if side == "m" and kind == "f":
            return self.peer.remote_function(k, name[:100])
        if side == "m":
            return RemoteObject(self.peer, k, name[:100])
        raise WireError(f"a handle of side {side!r}")

    def node(self, kind, rest, depth):
        if not rest or not isinstance(rest[0], list) or len(rest[0]) != 2:
            raise WireError("a value without its tag")
        (side, k), scope = rest[0], self.scope
        if not isinstance(k, int):
            raise WireError("a malformed tag")
        if side == "y":
            if k not in scope.mine:
                raise WireError(f"object number {k} was never sent")
            existing = scope.mine[k]
        elif side == "m":
            existing = scope.theirs.get(k)
        else:
            raise WireError(f"a tag of side {side!r}")
        slot = len(self.memo)
        self.memo.append(existing)
        value = self.build(kind, rest[1:], existing, depth, slot)
        if existing is None:
            scope.theirs[k] = value
            scope.theirs_ids[id(value)] = k
        return value

    def build(self, kind, body, existing, depth, slot):
        """The object `body` describes: `existing` updated in place, or new."""
        if kind == "a" and len(body) == 1:
            new = self.buffer(body[0])
            if existing is None:
                self.memo[slot] = new
                return new
            _expect(existing, np.ndarray)
            if existing.shape == new.shape and existing.flags.writeable:
                np.copyto(existing, new, casting="unsafe")
            return existing
        if kind == "l" and len(body) == 1 and isinstance(body[0], list):
            obj = [] if existing is None else _expect(existing, list)
            self.memo[slot] = obj
            obj[:] = [self.decode(v, depth + 1) for v in body[0]]
            return obj
        if kind == "d" and len(body) == 2 and isinstance(body[1], list):
            fresh = collections.OrderedDict() if body[0] == "o" else {}
            obj = fresh if existing is None else _expect(existing, dict)
            self.memo[slot] = obj
            pairs = [self.pair(p, depth) for p in body[1]]
            obj.clear()
            obj.update(pairs)
            return obj
        if kind == "g" and len(body) == 1:
            state = self.decode(body[0], depth + 1)
            obj = existing if existing is not None else _new_generator(state)
            _expect(obj, np.random.Generator)
            _set_state(obj, state)
            self.memo[slot] = obj
            return obj
        raise WireError(f"a malformed value of kind {kind!r}")

    def pair(self, pair, depth):
        if not isinstance(pair, list) or len(pair) != 2:
            raise WireError("a malformed dict entry")
        key = self.decode(pair[0], depth + 1)
        try:
            hash(key)
        except TypeError:
            raise WireError("a dict key that cannot be a key") from None
        return key, self.decode(pair[1], depth + 1)


def _expect(obj, kind):
    if not isinstance(obj, kind):
        raise WireError(f"a {kind.__name__} sent for a {type(obj).__name__}")
    return obj


def _named_tuple_class(module, qualname):
    """rnnlib's NamedTuple class `module.qualname` (a step's cache)."""
    import importlib

    ok = isinstance(module, str) and isinstance(qualname, str)
    if not ok or not (module == "rnnlib" or module.startswith("rnnlib.")):
        raise WireError("a named tuple of a class outside rnnlib")
    try:
        cls = getattr(importlib.import_module(module), qualname)
    except (ImportError, AttributeError, ValueError):
        raise WireError(f"no class {module}.{qualname}") from None
    if not (
        isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
    ):
        raise WireError(f"{module}.{qualname} is not a named tuple")
    return cls


def _new_generator(state):
    if not isinstance(state, dict) or state.get("bit_generator") not in BIT_GENERATORS:
        raise WireError("a Generator of an unknown bit generator")
    return np.random.Generator(getattr(np.random, state["bit_generator"])())


def _set_state(generator, state):
    if isinstance(state, dict) and state.get("bit_generator") == "MT19937":
        inner = state.get("state")
        if isinstance(inner, dict) and isinstance(inner.get("key"), list):
            state = {
                **state,
                "state": {**inner, "key": np.array(inner["key"], np.uint32)},
            }
    try:
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise WireError(f"a Generator state that does not fit: {exc}") from None


def _to_tensor(a: np.ndarray):
    try:
        import torch
    except ImportError:
        return a
    return torch.from_numpy(np.array(a))


# --------------------------------------------------------------------------
# handles: what the other end keeps, called and read through its Peer


class RemoteFunction:
    """A function of the other end: calling it asks the other end to run it
    with these arguments, and returns what came back."""

    def __init__(self, peer, handle: int, name: str):
        self._peer, self._handle, self.__name__ = peer, handle, name

    def __call__(self, *args, **kwargs):
        return self._peer.call(self._handle, args, kwargs)

    def __repr__(self):
        return f"<function {self.__name__} (in the other process)>"


class RemoteObject:
    """An object of the judge's (a model, an optimizer) seen from the
    student's process: its public attributes are read and set, and its
    methods called, in the judge."""

    def __init__(self, peer, handle: int, type_name: str):
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type_name", type_name)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._peer.request("getattr", name, obj=self._handle)

    def __setattr__(self, name, value):
        self._peer.request("setattr", [name, value], obj=self._handle)

    def __repr__(self):
        return f"<{self._type_name} object (in the grader)>"
