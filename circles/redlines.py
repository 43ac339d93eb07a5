"""A joint action's risk audit (pure handlers, in circles/decide.py's table): every participant
names personal red lines, named or anonymous; circles translate them and acknowledge the
current version; an organiser may proceed with an action that is not ready, on the record.

Anonymity is structural, not a display rule: an anonymous line's event holds no author and no
circle, only the hash of a key the writer's page drew and keeps. Whoever reads
the log (the chair, an operator, a seized disk) learns that a participant of one of the action's
circles wrote it, and when. docs/ledger.md "Risk audits" says the rules chosen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from circles import commands as C
from circles import events as E
from circles.readiness import missing
from circles.rules import action_of, err
from circles.state import Action, NetworkState, RedLine
from mayday.clock import iso

MAX_RED_LINES = 500  # per action
MAX_LINE_VERSIONS = 50  # a line's history is bounded


WEAK_KEY = "-" * 16  # the decoder's default: a key nobody sent


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _line(a: Action, line_id: int) -> RedLine:
    line = a.red_lines.get(line_id)
    if line is None or line.withdrawn is not None:
        raise err("unknown_red_line", f"no red line {line_id} in {a.name!r}")
    return line


def _writer(line: RedLine, key: str) -> None:
    # Compared in constant time: the key is the only proof of authorship there is.
    if not hmac.compare_digest(key_hash(key), line.key_hash):
        raise err("not_yours", "only the writer of a red line changes or withdraws it (with its key)")


def _acting(state: NetworkState, c: C.Wire, action_id: int) -> Action:
    """The action, for a circle's or a member's link of one of its circles (or the coordinator)."""
    return action_of(state, action_id, c.circle or None)


def name_red_line(state: NetworkState, c: C.NameRedLine, now: dt.datetime) -> list[E.Event]:
    a = _acting(state, c, c.action)
    if not c.text.strip():
        raise err("empty_text", "the red line is empty")
    if c.key == WEAK_KEY:
        raise err("bad_red_line", "send the key your page drew for this line (16 to 100 characters)")
    if c.named and not c.author.strip():
        raise err("bad_red_line", "a named red line says who names it (or send it anonymous)")
    if len(a.red_lines) >= MAX_RED_LINES:
        raise err("too_many", f"an action keeps at most {MAX_RED_LINES} red lines")
    return [
        E.RedLineNamed(
            action=a.id, id=len(a.red_lines) + 1, text=c.text.strip(), language=c.language,
            author=c.author.strip() if c.named else None, circle=(c.circle or C.COORDINATOR) if c.named else None,
            key_hash=key_hash(c.key), audit=a.audit + 1, at=iso(now),
        )
    ]  # fmt: skip


def change_red_line(state: NetworkState, c: C.ChangeRedLine, now: dt.datetime) -> list[E.Event]:
    a = _acting(state, c, c.action)
    line = _line(a, c.line)
    _writer(line, c.key)
    text = c.text.strip()
    if not text:
        raise err("empty_text", "the red line is empty (withdraw it instead)")
    if text == line.text:
        return []
    if line.version >= MAX_LINE_VERSIONS:
        raise err("too_many", f"a red line keeps at most {MAX_LINE_VERSIONS} versions: withdraw it and name it anew")
    return [E.RedLineChanged(action=a.id, line=line.id, text=text, version=line.version + 1, audit=a.audit + 1,
                             at=iso(now))]  # fmt: skip


def withdraw_red_line(state: NetworkState, c: C.WithdrawRedLine, now: dt.datetime) -> list[E.Event]:
    a = _acting(state, c, c.action)
    line = _line(a, c.line)
    _writer(line, c.key)
    return [E.RedLineWithdrawn(action=a.id, line=line.id, audit=a.audit + 1, at=iso(now))]


def translate_red_line(state: NetworkState, c: C.TranslateRedLine, now: dt.datetime) -> list[E.Event]:
    a = _acting(state, c, c.action)
    line = _line(a, c.line)
    if c.language == line.language:
        raise err("same_language", f"red line {line.id} is written in {line.language}")
    if c.version != line.version:
        raise err("stale_version", f"red line {line.id} is at version {line.version}; translate that one")
    if not c.text.strip():
        raise err("empty_text", "the translation is empty")
    return [
        E.RedLineTranslated(
            action=a.id, line=line.id, language=c.language, text=c.text.strip(), how=c.how, version=line.version,
            by=c.circle or C.COORDINATOR, at=iso(now),
        )
    ]  # fmt: skip


def acknowledge_red_lines(state: NetworkState, c: C.AcknowledgeRedLines, now: dt.datetime) -> list[E.Event]:
    a = action_of(state, c.action, c.circle)
    if c.version != a.audit:
        raise err("stale_version", f"the red lines are at version {a.audit}; read them again before acknowledging")
    if a.acknowledged.get(c.circle) == a.audit:
        return []
    return [E.RedLinesAcknowledged(action=a.id, circle=c.circle, audit=a.audit, at=iso(now))]


def proceed_anyway(state: NetworkState, c: C.ProceedAnyway, now: dt.datetime) -> list[E.Event]:
    a = _acting(state, c, c.action)
    not_ready = missing(state, a, now)
    if not not_ready:
        raise err("already_ready", f"{a.name!r} is ready: there is nothing to proceed anyway over")
    if not c.name.strip() or not c.reason.strip():
        raise err("empty_text", "say who decides, and why")
    if a.proceeded is not None:
        raise err("already_decided", f"{a.proceeded.name} decided to proceed with {a.name!r} at {a.proceeded.at}")
    return [
        E.ProceededAnyway(
            action=a.id, by=c.circle or C.COORDINATOR, name=c.name.strip(), reason=c.reason.strip(),
            missing=not_ready, at=iso(now),
        )
    ]  # fmt: skip
