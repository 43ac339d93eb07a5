"""Definition files (YAML or JSON) shared by relays and assemblies: parsing with clear errors.

YAML 1.1 has traps for people writing times and country codes by hand; the loader here turns them
off, and every error names where it is so an organiser can fix the file without a traceback.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import yaml

from mayday import wire

LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")  # BCP 47 primary tag (+ region/script)
MAX_NODES = 200_000  # values in one definition, aliases expanded: 5,000 people at ~20 each, twice over

DURATION = re.compile(r"^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")


class SpecError(ValueError):
    """A relay definition that cannot be planned; the message is meant for the coordinator."""


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's surprises: base-60 integers (``start: 06:00`` stays "06:00")
    and yes/no/on/off booleans (``id: no`` is Norway, not False)."""


_DROPPED = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")
_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _rx, _first in (
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9_]*)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?$", "-+0123456789."),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_rx), list(_first))


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """An impossible date like 2027-02-30 stays text, so ``_date`` can name its key."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)

# libyaml's C parser, when PyYAML was built with it (the wheels are), with the same resolvers and
# constructors: a 1,000-site definition parses in about a fifth of the pure-Python time.
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):
        """_Loader's rules on libyaml's parser."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _CLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
    _FastLoader: type = _CLoader
else:  # pragma: no cover - PyYAML without libyaml
    _FastLoader = _Loader


def load_text(text: str) -> Any:
    """Parse YAML or JSON text (JSON first: it is stricter and its errors are clearer).

    Both refuse what the log cannot store (mayday/wire.py), and YAML is refused before it is built
    when its aliases would expand past MAX_NODES ("a billion laughs": 2 KB that builds GiBs)."""
    # `{"` starts JSON; a bare `{` may be YAML in flow style ({name: x, ...}).
    if re.match(r'\s*\{\s*"', text):
        try:
            return wire.loads(text)
        except wire.WireError as e:
            raise SpecError(f"malformed JSON: {e}") from None
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _bounded(node)
        value = loader.construct_document(node)
        wire.check(value)
        return value
    except wire.WireError as e:
        raise SpecError(f"unacceptable YAML: {e}") from None
    except RecursionError:  # PyYAML's parser recurses per level of nesting
        raise SpecError(f"the definition nests deeper than {wire.MAX_DEPTH} levels") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError(f"malformed YAML: {problem}{where}") from None
    finally:
        loader.dispose()


def _bounded(root: yaml.Node) -> None:
    """Refuse a YAML document whose nodes, with every alias expanded, number more than MAX_NODES
    or nest deeper than wire.MAX_DEPTH. Aliases make the document a graph that shares nodes;
    sizes are memoised per node, so this costs one pass over the graph, not over its expansion."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()  # on the current path: meeting one again is a cycle (a: &a [*a])
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if not children_done:
            if key in open_:
                raise SpecError("the definition refers to itself through a YAML alias")
            open_.add(key)
            stack.append((node, True))
            for c in children:
                if id(c) in open_:
                    raise SpecError("the definition refers to itself through a YAML alias")
                if id(c) not in size:
                    stack.append((c, False))
            continue
        open_.discard(key)
        size[key] = 1 + sum(size.get(id(c), 1) for c in children)
        depth[key] = 1 + max((depth.get(id(c), 1) for c in children), default=0)
        if size[key] > MAX_NODES:
            raise SpecError(f"the definition expands to more than {MAX_NODES} values (YAML aliases?)")
        if depth[key] > wire.MAX_DEPTH:
            raise SpecError(f"the definition nests deeper than {wire.MAX_DEPTH} levels")


def parse_duration(value: Any, where: str, *, whole: bool = False) -> dt.timedelta:
    """``24h``, ``8h30m``, ``90m``, ``1d``, ``45s``, or a number of seconds: whole seconds unless
    ``whole`` is False (then kept exact to the microsecond, as timedelta holds it)."""
    if isinstance(value, bool):
        raise SpecError(f"{where}: expected a duration like 24h or 8h30m, got {value!r}")
    try:
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise OverflowError
            if whole and value != int(value):
                # A leg of 0.9 s would be planned as zero-length; durations are whole seconds.
                raise SpecError(f"{where}: durations are whole seconds, got {value!r}")
            return dt.timedelta(seconds=value)
        text = str(value).strip().lower()
        m = DURATION.match(text)
        if not text or not m or not any(m.groups()):
            raise SpecError(f"{where}: expected a duration like 24h or 8h30m, got {value!r}")
        d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        return dt.timedelta(days=d, hours=h, minutes=mi, seconds=s)
    except OverflowError:
        raise SpecError(f"{where}: duration {value!r} is out of range") from None


def seconds(delta: dt.timedelta) -> int | float:
    """A duration as JSON seconds: whole seconds as an int, anything finer kept exactly enough
    to read back to the same timedelta (microseconds)."""
    whole, micro = divmod(delta // dt.timedelta(microseconds=1), 1_000_000)
    return whole if micro == 0 else whole + micro / 1_000_000
