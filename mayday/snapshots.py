"""State snapshots: a stream's folded state, kept in the log's own store, so that a restart folds
only the events after it instead of the whole stream (docs/architecture.md §6 "Snapshots").

* **What.** The state ``evolve`` folded from events 1..offset, pickled, with the offset it is at.
  The store keeps the newest one per stream (``EventLog.save_snapshot`` / ``load_snapshot``).
* **Schema.** A snapshot is tagged with a schema string that changes whenever the fold could:
  a hash of the source of every first-party module the domain's state module imports (directly
  or not, this one included), the Python and msgspec versions and SNAPSHOT_VERSION. A snapshot of
  another schema is never decoded: the stream is replayed in full, as without snapshots.
* **Trust.** Whatever cannot be read (another schema, a blob whose checksum or pickle fails, a
  state of the wrong type, an offset the log does not hold) is logged and ignored: full replay.
  So a snapshot can make a start faster, never different: state(snapshot at n) + events after n
  is the state the full replay builds (tests/log/test_snapshots.py checks it for every kind).
* **Why pickle.** States are frozen dataclasses holding FrozenDicts (with int and tuple keys),
  frozensets, Decimals, datetimes, msgspec Structs and maps typed ``Any``; pickle gives each
  back as the same type, while msgspec decodes a FrozenDict or an ``Any`` map as a plain dict
  (measured: ``msgspec.msgpack.decode(..., type=AssemblyState)`` refuses the FrozenDicts). The
  blob comes only from our own store, which already holds everything the fold trusts; still, the
  unpickler resolves only the classes of the fold's own modules and a short list of value types,
  so a blob cannot name a function to call (``os.system`` and the like).
* **Not plain data.** A circles ``Ledger`` shares a mutable book among its versions (reading one
  may move the book), so it must not be read from another thread and its version tree is not
  data: it is stored as its entries with each transaction's hash and circles (``Ledger.snapshot``,
  read on the event loop's thread, before the state goes to the serialising thread) and rebuilt
  by applying them without validating or hashing again (``Ledger.restored``): each was checked
  when first posted, and the blob's checksum vouches for it.
* **Secret ballots.** Only the folded state is stored; a secret ballot's counters and receipts
  live in the side store, never in the state (tests/log/test_snapshots.py greps a blob for them).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import logging
import pickle
import sys
import threading
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

import msgspec

logger = logging.getLogger("mayday.snapshots")

SNAPSHOT_VERSION = 2  # bump when what a blob holds changes in a way the sources do not show
DEFAULT_EVERY = 10_000  # events between snapshots (MAYDAY_SNAPSHOT_EVERY; 0 turns them off)
FIRST_PARTY = ("mayday", "relay", "assembly", "circles")  # the wheel's packages

MAGIC = b"MSN1"  # blob = MAGIC + 16-byte BLAKE2b of the payload + the pickle
_DIGEST = 16
PROTOCOL = 5

# Value types a state may hold beside the fold's own classes (module, name).
_STDLIB = frozenset(
    {
        ("builtins", "frozenset"),
        ("builtins", "set"),
        ("builtins", "tuple"),
        ("builtins", "list"),
        ("builtins", "dict"),
        ("builtins", "complex"),
        ("builtins", "bytearray"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("fractions", "Fraction"),
        ("msgspec", "UNSET"),
        ("msgspec", "NODEFAULT"),
        ("pytz", "_UTC"),  # pytz's tzinfo objects, rebuilt from its bundled database by name
        ("pytz", "_p"),
    }
)

_LEDGER = ("circles.ledger", "Ledger")


class SnapshotError(Exception):
    """A state could not be snapshotted, or a blob could not be read back."""


# -- schema ---------------------------------------------------------------------------------------


def _source(name: str) -> tuple[bytes, bool]:
    """A module's source and whether it is a package."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise SnapshotError(f"no Python source for {name}: cannot tell when its fold changes")
    with open(spec.origin, "rb") as f:
        return f.read(), spec.submodule_search_locations is not None


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, AttributeError, ValueError):  # "a.b.Name": a is a module, not a package
        return False


def fold_modules(*roots: str) -> dict[str, bytes]:
    """Every first-party module the ``roots`` import, at any depth and anywhere in their source
    (a function's own imports too), with its source: what a fold defined there can depend on."""
    found: dict[str, bytes] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        source, is_package = _source(name)
        found[name] = source
        package = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                named = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for dotted in named:
                parts = dotted.split(".")
                if parts[0] not in FIRST_PARTY:
                    continue
                for i in range(1, len(parts) + 1):  # the packages on the way, and the module itself
                    module = ".".join(parts[:i])
                    if module not in found and _exists(module):
                        todo.append(module)
    return found


def schema_of(kind: str, *functions: Callable[..., Any]) -> tuple[str, frozenset[str]]:
    """The schema string of a kind of stream whose fold is ``functions`` (its ``evolve`` and
    ``initial``), and the modules it covers (whose classes a blob may name)."""
    roots = {f.__module__ for f in functions} | {__name__}
    modules = fold_modules(*sorted(roots))
    h = hashlib.sha256()
    for name in sorted(modules):
        h.update(name.encode() + b"\0" + hashlib.sha256(modules[name]).digest())
    h.update(f"{sys.version_info[0]}.{sys.version_info[1]} msgspec {msgspec.__version__}".encode())
    return f"{kind}/v{SNAPSHOT_VERSION}/{h.hexdigest()[:32]}", frozenset(modules)


# -- encoding -------------------------------------------------------------------------------------


def _ledger_class() -> type | None:
    """The circles Ledger class if it is loaded (if not, no state holds one)."""
    module = sys.modules.get(_LEDGER[0])
    return getattr(module, _LEDGER[1], None) if module is not None else None


def prepare(state: Any) -> dict[int, Any]:
    """What must be read on the event loop's thread before ``encode`` runs in another: each Ledger
    among the state's fields, as its entries (reading a Ledger may move the book it shares)."""
    ledger = _ledger_class()
    if ledger is None or not is_dataclass(state):
        return {}
    out: dict[int, Any] = {}
    for f in fields(state):
        value = getattr(state, f.name)
        if type(value) is ledger:
            out[id(value)] = value.snapshot()
    return out


def _ledger_restored(entries: tuple[Any, ...], hashes: tuple[str, ...], circles: tuple[Any, ...]) -> Any:
    """A Ledger rebuilt from its snapshot (``Ledger.restored``)."""
    ledger_class = _ledger_class()
    if ledger_class is None:  # pragma: no cover - the unpickler resolved circles' classes first
        import circles.ledger

        ledger_class = circles.ledger.Ledger
    return ledger_class.restored(entries, hashes, circles)


def encode(state: Any, prepared: dict[int, Any]) -> bytes:
    """The blob for ``state`` (safe in a worker thread once ``prepare`` ran on the loop's)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=PROTOCOL)
    ledger = _ledger_class()
    if ledger is not None:

        def reduce_ledger(value: Any) -> Any:
            parts = prepared.get(id(value))
            if parts is None:
                raise SnapshotError("a Ledger outside the state's own fields: not snapshotted")
            return _ledger_restored, parts

        pickler.dispatch_table = {ledger: reduce_ledger}
    try:
        pickler.dump(state)
    except SnapshotError:
        raise
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as e:
        raise SnapshotError(f"state cannot be pickled: {e}") from e
    except RuntimeError as e:  # a lazily cached property filled by the loop's thread meanwhile
        raise SnapshotError(f"state changed while it was pickled ({e}); the next snapshot tries again") from e
    payload = buffer.getvalue()
    return MAGIC + hashlib.blake2b(payload, digest_size=_DIGEST).digest() + payload


class _Unpickler(pickle.Unpickler):
    """Resolves only the fold's classes and a few value types: a blob can build values, never
    call a function of its choosing."""

    def __init__(self, file: Any, modules: frozenset[str]) -> None:
        super().__init__(file)
        self._modules = modules

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _STDLIB:
            return super().find_class(module, name)
        if (module, name) == (__name__, "_ledger_restored"):
            return _ledger_restored
        if module in self._modules and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"a snapshot may not name {module}.{name}")


def decode(blob: bytes, modules: frozenset[str], state_type: type) -> Any:
    """The state a blob holds; SnapshotError if it is damaged or not a ``state_type``."""
    if len(blob) < len(MAGIC) + _DIGEST or not blob.startswith(MAGIC):
        raise SnapshotError("not a snapshot blob (bad header)")
    digest, payload = blob[len(MAGIC) : len(MAGIC) + _DIGEST], memoryview(blob)[len(MAGIC) + _DIGEST :]
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
        raise SnapshotError("checksum mismatch: the blob is damaged")
    try:
        state = _Unpickler(io.BytesIO(payload), modules).load()
    except Exception as e:  # any failure of a damaged or foreign pickle means the same: not usable
        raise SnapshotError(f"cannot unpickle: {type(e).__name__}: {e}") from e
    if type(state) is not state_type:
        raise SnapshotError(f"holds a {type(state).__name__}, not a {state_type.__name__}")
    return state


# -- the policy a stream service applies ---------------------------------------------------------


class Snapshots:
    """One kind of stream's snapshots: its schema, how often, encode/decode, and counters.

    ``every`` <= 0 turns snapshots off both ways: none written, none read."""

    def __init__(self, kind: str, initial: Callable[[], Any], evolve: Callable[..., Any], every: int) -> None:
        self.kind, self.every = kind, every
        self._initial, self._evolve = initial, evolve
        self._schema: tuple[str, frozenset[str]] | None = None
        self._lock = threading.Lock()
        # What happened, for tests and the log: loads from a snapshot, events folded after one,
        # full replays, snapshots written, and those skipped or refused.
        self.stats = {"restored": 0, "tail_events": 0, "ignored": 0, "saved": 0, "failed": 0}

    @property
    def enabled(self) -> bool:
        return self.every > 0

    def schema(self) -> tuple[str, frozenset[str]]:
        """Computed once, on first use (it reads and parses the fold's sources). Raises
        SnapshotError when a source cannot be read (``usable`` then turns snapshots off)."""
        with self._lock:
            if self._schema is None:
                self._schema = schema_of(self.kind, self._evolve, self._initial)
            return self._schema

    def usable(self) -> bool:
        """Enabled, with a schema: if the fold's sources cannot be read (a build without them),
        snapshots are turned off, saying why, and every stream is replayed in full."""
        if not self.enabled:
            return False
        try:
            self.schema()
        except SnapshotError as e:
            logger.warning("%s snapshots off: %s", self.kind, e)
            self.every = 0
            return False
        return True

    def due(self, before: int, after: int) -> bool:
        """Did the log cross a multiple of ``every`` going from offset ``before`` to ``after``?"""
        return self.enabled and before // self.every != after // self.every

    def decode(self, blob: bytes) -> Any:
        _, modules = self.schema()
        return decode(blob, modules, type(self._initial()))


def every_from_env(raw: str | None) -> int:
    """MAYDAY_SNAPSHOT_EVERY: events between snapshots of a stream (unset or empty: DEFAULT_EVERY;
    0: no snapshots, every start replays every stream in full)."""
    if raw is None or not raw.strip():
        return DEFAULT_EVERY
    try:
        every = int(raw.strip().replace("_", ""))
    except ValueError:
        raise SystemExit(f"MAYDAY_SNAPSHOT_EVERY must be a whole number of events, not {raw!r}") from None
    if every < 0:
        raise SystemExit("MAYDAY_SNAPSHOT_EVERY must be 0 (off) or more")
    return every
