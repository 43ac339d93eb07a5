"""Checks every handler of a network's commands shares (circles/decide.py and the handlers beside
it: red lines, tactics): each returns what it checked or raises DomainError (pure)."""

from __future__ import annotations

import datetime as dt

import pytz

from circles.state import BOOKS_OPEN, Action, NetworkState
from mayday.errors import DomainError

MAX_LATE_DAYS = 1  # a date may be tomorrow in UTC (it is today somewhere), never later


def err(code: str, message: str) -> DomainError:
    return DomainError(code, message)


def known_circle(state: NetworkState, circle: str) -> str:
    if circle not in state.circles:
        raise err("unknown_circle", f"no circle {circle!r} in this network")
    return circle


def twin_of(state: NetworkState, circle: str, twin: str) -> str:
    known_circle(state, twin)
    if state.pair_of(circle, twin) is None:
        raise err("not_twins", f"{circle} and {twin} are not twins")
    return twin


def date_of(state: NetworkState, circle: str, day: dt.date | None, now: dt.datetime, what: str = "date") -> dt.date:
    """The command's date, or today in the circle's zone; never after tomorrow (UTC) nor before
    the books open."""
    if day is None:
        return now.astimezone(pytz.timezone(state.circles[circle].tz)).date()
    if day > now.date() + dt.timedelta(days=MAX_LATE_DAYS):
        raise err("future_date", f"the {what} {day.isoformat()} is in the future")
    if day < BOOKS_OPEN:
        raise err("bad_date", f"the {what} is before {BOOKS_OPEN.isoformat()}, when the books open")
    return day


def action_of(state: NetworkState, action_id: int, circle: str | None = None) -> Action:
    a = state.actions.get(action_id)
    if a is None:
        raise err("unknown_action", f"no action {action_id}")
    if circle is not None and circle not in a.circles:
        raise err("not_in_action", f"{circle} is not part of {a.name!r}")
    return a
