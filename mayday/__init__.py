"""Mayday: the shared spine (app, event log, hub, links, CLI) under the relay and assembly."""

__version__ = "0.1.0"
