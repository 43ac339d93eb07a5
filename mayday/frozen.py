"""Immutable maps for a core's state: a dict that refuses change (pure, no I/O).

A FrozenDict is a dict subclass, not a mapping proxy, so a state's maps go out as JSON as they are
and reading costs what a dict's does; ``put`` and ``without`` give a new one.
"""

from __future__ import annotations

from typing import Any, TypeVar

K, V = TypeVar("K"), TypeVar("V")


class FrozenDict(dict[K, V]):
    """A dict that refuses change; ``put`` gives a new one with one more (or another) value."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a state's map never changes: build a new one (FrozenDict.put)")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def put(self, key: K, value: V) -> FrozenDict[K, V]:
        new: FrozenDict[K, V] = FrozenDict(self)
        dict.__setitem__(new, key, value)
        return new

    def without(self, key: K) -> FrozenDict[K, V]:
        new: FrozenDict[K, V] = FrozenDict(self)
        dict.pop(new, key, None)
        return new

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))

    def __reduce__(self) -> Any:
        return (FrozenDict, (dict(self),))


EMPTY: FrozenDict[Any, Any] = FrozenDict()


def frozen(value: Any) -> Any:
    """Event data as the state keeps it: every dict, at any depth, a FrozenDict."""
    if isinstance(value, dict):
        return FrozenDict({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return [frozen(v) for v in value]
    return value
