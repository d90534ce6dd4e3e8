"""One end of the conversation between the judge and the student's process.

A `Peer` sends requests over one socket and, while it waits for the
reply, serves the other end's requests (a call of a function it handed
out, or an op of its `handlers`), so calls can nest in both directions.
A message is a JSON header and raw buffers (`send_message`,
`receive_message`); its values are encoded by wire.py, which also says
what may cross.  An error the other end raised comes back as
`RemoteError`; a message that breaks the protocol raises `WireError`.
"""

from __future__ import annotations

import json
import socket
import struct

from coursekit.grading.wire import Decoder, Encoder, RemoteFunction, Scope, WireError

MAX_MESSAGE = 256 << 20  # bytes a reader accepts in one message


class RemoteError(Exception):
    """The other end raised while running what we asked; `info` says what:
    {"ename", "evalue", "where", "withheld"} (strings or None)."""

    def __init__(self, info: dict):
        self.info = info
        super().__init__(f"{info.get('ename')}: {info.get('evalue')}")


# --------------------------------------------------------------------------
# framing


def send_message(sock: socket.socket, header: dict, buffers: list[bytes]) -> None:
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [struct.pack(">QI", len(head), len(buffers)), head]
    for buf in buffers:
        parts += [struct.pack(">Q", len(buf)), buf]
    sock.sendall(b"".join(parts))


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive_message(sock: socket.socket) -> tuple[dict, list[bytes]]:
    size, count = struct.unpack(">QI", _read_exact(sock, 12))
    if size > MAX_MESSAGE or count > 1_000_000:
        raise WireError(f"a message of {size} bytes and {count} arrays is too large")
    head = _read_exact(sock, size)
    try:  # ValueError: also an integer of more digits than int() takes
        header = json.loads(head)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"not a JSON header: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise WireError("the header is not an object")
    buffers, total = [], size
    for _ in range(count):
        (n,) = struct.unpack(">Q", _read_exact(sock, 8))
        total += n
        if total > MAX_MESSAGE:
            raise WireError("a message larger than the limit")
        buffers.append(_read_exact(sock, n))
    return header, buffers


class Peer:
    """One end: send requests, serve the other end's requests meanwhile.

    `handlers` maps the other end's request ops to functions
    (header, decoded payload) -> reply value; "call" is built in."""

    keep_functions = True  # see Scope

    def __init__(self, sock: socket.socket, handlers=None):
        self.sock, self.scope = sock, Scope(self.keep_functions)
        self.handlers = dict(handlers or {})
        self.depth = 0  # calls under way (ours and theirs)
        self.deadline = None  # time.monotonic() after which a wait fails

    def remote_function(self, handle, name):
        return RemoteFunction(self, handle, name)

    def exportable(self, value):
        """How a value that is not plain data crosses: as a "function"
        handle, an "object" handle, or (None) as Opaque."""
        if callable(value) and not isinstance(value, type):
            return "function"
        return None

    # sending ------------------------------------------------------------
    def send(self, header: dict, payload=None) -> None:
        enc = Encoder(self.scope, self.exportable)
        header = dict(header)
        header["sync"] = [enc.encode(obj) for obj in self.scope.objects()]
        header["payload"] = enc.encode(payload)
        send_message(self.sock, header, enc.buffers)

    def receive(self):
        """(header, payload): the next message, its sync applied."""
        if self.deadline is not None:
            import time

            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer in time")
            self.sock.settimeout(left)
        try:
            header, buffers = receive_message(self.sock)
        except TimeoutError:
            raise
        except OSError as exc:
            if isinstance(exc, socket.timeout):
                raise TimeoutError("no answer in time") from None
            raise EOFError(str(exc)) from None
        dec = Decoder(self.scope, buffers, self)
        sync = header.get("sync", [])
        if not isinstance(sync, list):
            raise WireError("a malformed sync list")
        try:
            for tree in sync:
                dec.decode(tree)
            return header, dec.decode(header.get("payload"))
        except WireError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError,
                RecursionError, OverflowError) as exc:  # fmt: skip
            raise WireError(f"a value that cannot be rebuilt: {exc}") from None

    # asking -------------------------------------------------------------
    def request(self, op: str, payload=None, **fields):
        """Send a request and serve the other end until its reply comes."""
        self.depth += 1
        try:
            self.send({"op": op, **fields}, payload)
            while True:
                header, value = self.receive()
                kind = header.get("op")
                if kind == "reply":
                    return value
                if kind == "error":
                    raise RemoteError(_error_info(header.get("error")))
                self.serve_one(header, value)
        finally:
            self.depth -= 1
            if self.depth == 0:
                self.scope.clear()

    def call(self, handle: int, args, kwargs):
        return self.request("call", [list(args), dict(kwargs)], fn=handle)

    # answering ----------------------------------------------------------
    def serve_one(self, header, value) -> None:
        """Run one request of the other end and send the reply."""
        op = header.get("op")
        self.depth += 1
        try:
            try:
                if op == "call":
                    result = self.run_call(header, value)
                elif op in self.handlers:
                    result = self.handlers[op](header, value)
                else:
                    raise WireError(f"an unknown request {op!r}")
            except BaseException as exc:  # noqa: BLE001 -- told to the other end
                self.send({"op": "error", "error": self.describe(exc)})
                return
            try:
                self.send({"op": "reply"}, result)
            except (WireError, TypeError, ValueError) as exc:  # not sendable
                self.send({"op": "error", "error": self.describe(exc)})
        finally:
            self.depth -= 1
            if self.depth == 0:
                self.scope.clear()

    def run_call(self, header, value):
        fn = self.scope.functions.get(header.get("fn"))
        if fn is None:
            raise WireError(f"no function number {header.get('fn')!r}")
        if not (isinstance(value, list) and len(value) == 2):
            raise WireError("a call without its arguments")
        args, kwargs = value
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise WireError("a call's arguments are not a list and a dict")
        if not all(isinstance(k, str) for k in kwargs):
            raise WireError("a keyword argument whose name is not a string")
        return fn(*args, **kwargs)

    def describe(self, exc: BaseException) -> dict:
        """What the other end learns of an error here (override to say less)."""
        return {"ename": type(exc).__name__, "evalue": str(exc)[:2000]}


def _error_info(info) -> dict:
    if not isinstance(info, dict):
        info = {}
    out = {}
    for key in ("ename", "evalue", "where", "withheld"):
        value = info.get(key)
        out[key] = value[:4000] if isinstance(value, str) else None
    out["ename"] = out["ename"] or "Error"
    out["evalue"] = out["evalue"] or ""
    return out
