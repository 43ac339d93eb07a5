"""The event log: one append-only stream per relay or assembly, two interchangeable backends."""

from mayday.log.base import Conflict, EventLog, NewEvent, Record, SideWrite, TokenMissing, open_log

__all__ = ["Conflict", "EventLog", "NewEvent", "Record", "SideWrite", "TokenMissing", "open_log"]
