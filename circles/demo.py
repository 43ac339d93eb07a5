"""The demo network behind ``mayday serve --demo``: the bundled example, created once."""

from __future__ import annotations

from circles.definition import load_network
from circles.service import NetworkService


async def ensure_demo(service: NetworkService) -> str:
    from mayday.app import examples_dir

    definition = load_network((examples_dir() / "network.yaml").read_text(encoding="utf-8"))
    for network_id in service.ids():
        state = service.current(network_id)
        if state is not None and state.name == definition.name:
            return network_id
    return await service.create_network(definition)
