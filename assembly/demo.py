"""The demo assembly behind ``mayday serve --demo``: the bundled example, created once."""

from __future__ import annotations

from assembly.definition import load_assembly
from assembly.service import AssemblyService


async def ensure_demo(service: AssemblyService) -> str:
    from mayday.app import examples_dir

    definition = load_assembly((examples_dir() / "assembly.yaml").read_text(encoding="utf-8"))
    for assembly_id in service.ids():
        agg = await service.get(assembly_id)
        if agg.state.definition is not None and agg.state.definition.title == definition.title:
            return assembly_id
    return await service.create_assembly(definition)
