"""Re-exports for modules that still import the relay core from here (relay/routes.py,
bench/fanout_bench.py, tests/test_demo.py, tests/faults/test_slow_clients.py). The core is
relay/commands.py, relay/events.py, relay/state.py and relay/decide.py; import from those."""

from relay.commands import CreateRelay, PostDispatch, Tick
from relay.decide import decide
from relay.state import RelayState, evolve, next_deadline, state_to_json

__all__ = ["CreateRelay", "PostDispatch", "RelayState", "Tick", "decide", "evolve", "next_deadline", "state_to_json"]
