"""A joint action's risk audit through the API: red lines named (by name, or anonymous: no author
and no circle anywhere in the stored log), changed and withdrawn only with the writer's key, their
versions, translations that go stale, acknowledgements per circle that go stale, who may read
them, and the export in JSON, CSV and text in a served language, in Arabic, and in a language the
product does not serve."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import sqlite3
from typing import Any

from helpers import token_of

from circles.communique_text import SERVED
from circles.redlines_text import TEXT

Net = Any  # tests/circles/conftest.py's client for the example network

LAGOS, ROTTERDAM, MANILA = "lagos-dockers", "rotterdam-drivers", "manila-nurses"
ACTION = {"type": "open_action", "name": "May Day port shutdown", "circles": [LAGOS, ROTTERDAM], "date": "2027-05-01"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
NAMED = "I will not block the gate if the police bring dogs"
ANONYMOUS = "No arrests: I am on a work visa"


def new_key() -> str:
    return secrets.token_urlsafe(24)  # as a page draws it: 24 random bytes, base64url


async def ok(net: Net, token: str, command: dict[str, Any]) -> dict[str, Any]:
    r = await net.send(token, command)
    assert r.status_code == 200, r.text
    return r.json()


async def refused(net: Net, token: str, command: dict[str, Any], code: str, status: int = 409) -> None:
    before = await net.offset()
    r = await net.send(token, command)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert await net.offset() == before  # nothing appended


async def audit(net: Net) -> dict[str, str]:
    """An action with a named line (a Lagos member, line 1) and an anonymous one (a Rotterdam
    member, line 2): their keys."""
    assert (await ok(net, net.coordinator, ACTION))["action"] == 1
    keys = {"named": new_key(), "anonymous": new_key()}
    named = {"type": "name_red_line", "action": 1, "text": NAMED, "language": "en", "named": True,
             "author": "Ade", "key": keys["named"]}  # fmt: skip
    assert (await ok(net, net.member[LAGOS], named))["line"] == 1
    # An author sent with an anonymous line is dropped, not kept.
    anonymous = {"type": "name_red_line", "action": 1, "text": ANONYMOUS, "language": "en", "named": False,
                 "author": "Joost de Vries", "key": keys["anonymous"]}  # fmt: skip
    assert (await ok(net, net.member[ROTTERDAM], anonymous))["line"] == 2
    return keys


async def view(net: Net, token: str) -> dict[str, Any]:
    r = await net.get("/actions/1", token)
    assert r.status_code == 200, r.text
    return r.json()


async def test_named_and_anonymous_lines_and_what_the_stored_log_keeps(net, tmp_path):
    await audit(net)
    seen = await view(net, net.coordinator)  # the chair
    named, anonymous = seen["red_lines"]
    assert (named["author"], named["circle"], named["text"]) == ("Ade", LAGOS, NAMED)
    assert (anonymous["author"], anonymous["circle"], anonymous["text"]) == (None, None, ANONYMOUS)
    assert seen["audit"] == 2 and seen["figures"] is False and "risks" not in seen  # the chair sees no figures
    assert anonymous["history"] == [{"version": 1, "text": ANONYMOUS, "at": "2027-05-01T12:00:00.000Z"}]

    # The stored log: the anonymous line's event has no author and no circle, only the key's hash.
    records = await net.server.app.state.log.read(f"network:{net.id}")
    [stored] = [r.data for r in records if r.type == "red_line_named" and r.data["id"] == 2]
    assert stored["author"] is None and stored["circle"] is None and len(stored["key_hash"]) == 64
    # ... and so says the database file itself, byte for byte.
    db = sqlite3.connect(f"file:{tmp_path / 'mayday.sqlite3'}?mode=ro", uri=True)
    rows = db.execute("SELECT type, data FROM events WHERE stream = ?", (f"network:{net.id}",)).fetchall()
    db.close()
    assert "Joost" not in str(rows)
    [raw] = [json.loads(data) for type_, data in rows if type_ == "red_line_named" and json.loads(data)["id"] == 2]
    assert raw["author"] is None and raw["circle"] is None and ROTTERDAM not in json.dumps(raw)

    # The stream carries no text, author, circle or key hash of any red line, to anyone.
    events = (await net.get("/events", net.coordinator)).json()["events"]
    named_events = [e["data"] for e in events if e["event"] == "red_line_named"]
    assert len(named_events) == 2 and NAMED not in str(events) and "Ade" not in str(events)
    assert all(set(d) == {"action", "id", "language", "audit", "at"} for d in named_events)


async def test_only_the_writer_with_the_key_changes_or_withdraws_a_line(net):
    keys = await audit(net)
    change = {"type": "change_red_line", "action": 1, "line": 1, "text": NAMED + ", or horses"}
    # Another key, or the right key for another line: not the writer's.
    await refused(net, net.member[LAGOS], change | {"key": new_key()}, "not_yours")
    await refused(net, net.member[ROTTERDAM], change | {"key": keys["anonymous"]}, "not_yours")
    await refused(net, net.member[LAGOS], change, "not_yours")  # no key at all
    await ok(net, net.member[LAGOS], change | {"key": keys["named"]})
    line = (await view(net, net.circle[ROTTERDAM]))["red_lines"][0]
    assert line["version"] == 2 and line["text"] == NAMED + ", or horses"
    assert [h["version"] for h in line["history"]] == [1, 2] and line["history"][0]["text"] == NAMED
    # The same text again is no change; an empty one is refused.
    before = await net.offset()
    await ok(net, net.member[LAGOS], change | {"key": keys["named"]})
    assert await net.offset() == before
    await refused(net, net.member[LAGOS], change | {"text": "   ", "key": keys["named"]}, "empty_text")
    # Withdrawn by its writer (the anonymous one): kept in the record, marked, no longer changeable.
    withdraw = {"type": "withdraw_red_line", "action": 1, "line": 2}
    await refused(net, net.member[LAGOS], withdraw | {"key": keys["named"]}, "not_yours")
    await ok(net, net.member[ROTTERDAM], withdraw | {"key": keys["anonymous"]})
    seen = await view(net, net.member[LAGOS])
    assert seen["red_lines"][1]["withdrawn"] == "2027-05-01T12:00:00.000Z" and seen["audit"] == 4
    await refused(net, net.member[ROTTERDAM], withdraw | {"key": keys["anonymous"]}, "unknown_red_line")
    await refused(net, net.member[ROTTERDAM], change | {"line": 9, "key": keys["anonymous"]}, "unknown_red_line")


async def test_bad_red_lines_are_refused_and_nothing_is_appended(net):
    await ok(net, net.coordinator, ACTION)
    line = {"type": "name_red_line", "action": 1, "text": NAMED, "language": "en", "key": new_key()}
    await refused(net, net.member[LAGOS], line | {"text": "  "}, "empty_text")
    await refused(net, net.member[LAGOS], line | {"named": True, "author": " "}, "bad_red_line")
    await refused(net, net.member[LAGOS], {k: v for k, v in line.items() if k != "key"}, "bad_red_line")
    await refused(net, net.member[LAGOS], line | {"key": "short"}, "bad_command", 400)
    await refused(net, net.member[MANILA], line, "not_in_action")  # Manila is not in the action
    await refused(net, net.coordinator, line, "forbidden", 403)  # the chair names none
    await refused(net, token_of(net.made["viewer"]), line, "forbidden", 403)
    await refused(net, net.member[LAGOS], line | {"action": 7}, "unknown_action")


async def test_a_translation_goes_stale_when_its_line_changes(net):
    keys = await audit(net)
    dutch = {"type": "translate_red_line", "action": 1, "line": 1, "language": "nl", "how": "human",
             "text": "Ik blokkeer de poort niet als de politie honden meebrengt", "version": 1}  # fmt: skip
    await ok(net, net.circle[ROTTERDAM], dutch)
    # A member translates too, and the chair: by machine, marked so.
    machine = {"type": "translate_red_line", "action": 1, "line": 2, "language": "ar", "how": "machine",
               "text": "لا اعتقالات: أنا بتأشيرة عمل", "version": 1}  # fmt: skip
    await ok(net, net.coordinator, machine)
    await refused(net, net.member[LAGOS], dutch | {"language": "en"}, "same_language")
    await refused(net, net.member[LAGOS], dutch | {"version": 2}, "stale_version")
    [nl] = (await view(net, net.member[LAGOS]))["red_lines"][0]["translations"]
    assert nl | {"text": ""} == {"language": "nl", "text": "", "how": "human", "version": 1, "by": ROTTERDAM,
                                 "stale": False}  # fmt: skip
    change = {"type": "change_red_line", "action": 1, "line": 1, "text": NAMED + " or horses", "key": keys["named"]}
    await ok(net, net.member[LAGOS], change)
    lines = (await view(net, net.member[LAGOS]))["red_lines"]
    assert lines[0]["translations"][0]["stale"] is True and lines[0]["version"] == 2
    assert lines[1]["translations"][0] | {"text": ""} == {"language": "ar", "text": "", "how": "machine",
                                                         "version": 1, "by": "coordinator", "stale": False}  # fmt: skip
    # Translating the old version is refused; the new one is current again.
    await refused(net, net.circle[ROTTERDAM], dutch, "stale_version")
    await ok(net, net.circle[ROTTERDAM], dutch | {"version": 2, "text": "Niet met honden of paarden"})
    assert (await view(net, net.member[LAGOS]))["red_lines"][0]["translations"][0]["stale"] is False


async def test_each_circle_acknowledges_and_a_change_makes_it_stale(net):
    keys = await audit(net)
    ack = {"type": "acknowledge_red_lines", "action": 1}
    await refused(net, net.member[LAGOS], ack | {"version": 2}, "forbidden", 403)  # a circle's link acknowledges
    await refused(net, net.coordinator, ack | {"version": 2}, "forbidden", 403)
    await refused(net, net.circle[MANILA], ack | {"version": 2}, "not_in_action")
    await refused(net, net.circle[LAGOS], ack | {"version": 1}, "stale_version")
    await ok(net, net.circle[LAGOS], ack | {"version": 2})
    seen = await view(net, net.circle[ROTTERDAM])
    assert seen["acknowledged"] == [
        {"circle": LAGOS, "version": 2, "state": "current"},
        {"circle": ROTTERDAM, "version": None, "state": "none"},
    ]
    await ok(net, net.circle[ROTTERDAM], ack | {"version": 2})
    [red_lines] = [c for c in seen["readiness"]["checks"] if c["check"] == "red_lines"]
    assert red_lines["missing"] == [ROTTERDAM]
    gate = (await view(net, net.circle[ROTTERDAM]))["readiness"]["checks"][0]
    assert gate == {"check": "red_lines", "ok": True, "missing": [], "stale": [], "version": 2}
    # The anonymous writer changes their line: both acknowledgements are stale.
    change = {
        "type": "change_red_line",
        "action": 1,
        "line": 2,
        "text": "No arrests, no photos",
        "key": keys["anonymous"],
    }
    await ok(net, net.member[ROTTERDAM], change)
    seen = await view(net, net.circle[LAGOS])
    assert [a["state"] for a in seen["acknowledged"]] == ["stale", "stale"] and seen["audit"] == 3
    assert seen["readiness"]["checks"][0]["stale"] == [LAGOS, ROTTERDAM]
    await ok(net, net.circle[LAGOS], ack | {"version": 3})
    assert [a["state"] for a in (await view(net, net.circle[LAGOS]))["acknowledged"]] == ["current", "stale"]


async def test_who_may_read_red_lines(net):
    await audit(net)
    viewer = token_of(net.made["viewer"])
    assert (await net.get("/actions/1", viewer)).status_code == 403
    assert (await net.get("/actions/1/red-lines.json", viewer)).status_code == 403
    assert (await net.get("/actions/1/red-lines.json")).status_code == 401
    assert (await net.get("/actions/1/red-lines.json", net.member[MANILA])).status_code == 403
    # Lagos shows Manila its books: Manila reads the figures, never the red lines.
    await ok(net, net.circle[LAGOS], {"type": "set_visibility", "share_with": [MANILA]})
    shown = await view(net, net.circle[MANILA])
    assert shown["figures"] is True and "red_lines" not in shown and "acknowledged" not in shown
    assert NAMED not in json.dumps(shown) and "readiness" in shown
    assert (await net.get("/actions/1/red-lines.txt", net.circle[MANILA])).status_code == 403
    # A public circle opens its figures to anyone, not its red lines.
    await ok(net, net.circle[LAGOS], {"type": "set_visibility", "public": True})
    shown = await view(net, viewer)
    assert shown["figures"] is True and "red_lines" not in shown
    for token in (net.member[LAGOS], net.circle[ROTTERDAM], net.coordinator):
        assert (await net.get("/actions/1/red-lines.json", token)).status_code == 200


async def test_the_export_in_english_arabic_and_a_language_with_no_served_headings(net):
    keys = await audit(net)
    await ok(net, net.member[LAGOS], {"type": "change_red_line", "action": 1, "line": 1, "key": keys["named"],
                                      "text": NAMED + " or horses"})  # fmt: skip
    arabic = {"type": "translate_red_line", "action": 1, "line": 1, "language": "ar", "how": "machine",
              "text": "لن أغلق البوابة إذا جلبت الشرطة الكلاب", "version": 1}  # fmt: skip
    # Line 1 is at version 2 now: a translation of version 1 comes too late.
    await refused(net, net.circle[LAGOS], arabic, "stale_version")
    await ok(net, net.circle[LAGOS], arabic | {"version": 2})
    dutch = {"type": "translate_red_line", "action": 1, "line": 2, "language": "nl", "how": "human",
             "text": "Geen arrestaties: ik heb een werkvisum", "version": 1}  # fmt: skip
    await ok(net, net.circle[ROTTERDAM], dutch)
    await ok(net, net.circle[LAGOS], {"type": "acknowledge_red_lines", "action": 1, "version": 3})

    # JSON in English: the originals; the anonymous line says so and names no circle.
    en = (await net.get("/actions/1/red-lines.json?lang=en", net.coordinator)).json()
    first, second = en["lines"]
    assert (first["text"], first["translation"], first["by"], first["circle"]) == (
        NAMED + " or horses", None, "Ade", LAGOS)  # fmt: skip
    assert [v["version"] for v in first["versions"]] == [1, 2]
    assert (second["by"], second["author"], second["circle"], second["circle_name"]) == ("Anonymous", None, None, None)
    assert en["headings_language"] == "en" and en["audit"] == 3
    assert [a["state"] for a in en["acknowledged"]] == ["current", "none"]

    # Text in Arabic: the Arabic headings, the machine translation marked so, the untranslated one as written.
    r = await net.get("/actions/1/red-lines.txt?lang=ar", net.member[ROTTERDAM])
    assert r.status_code == 200 and r.headers["content-language"] == "ar"
    ar = TEXT["ar"]
    text = r.text
    assert text.startswith(ar["title"].format(action="May Day port shutdown"))
    assert "لن أغلق البوابة" in text and ar["machine"].format(language="en") in text
    assert ar["untranslated"].format(language="en") in text and ANONYMOUS in text
    assert ar["named_by"].format(author="Ade", circle="Lagos dockers") in text
    lines_part, acks_part = text.split("\n" + ar["acks"] + "\n")
    assert ar["anonymous"] in lines_part and "Rotterdam drivers" not in lines_part
    assert ar["ack_none"].format(circle="Rotterdam drivers") in acks_part

    # CSV in Dutch, which the product does not serve: English headings, the Dutch translation.
    r = await net.get("/actions/1/red-lines.csv?lang=nl", net.circle[LAGOS])
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [TEXT["en"][c] for c in (
        "col_line", "col_version", "col_date", "col_current", "col_language", "col_text", "col_translation",
        "col_stale", "col_original_language", "col_original", "col_author", "col_circle", "col_withdrawn")]  # fmt: skip
    assert len(rows) == 1 + 3  # line 1 in two versions, line 2 in one
    current = {row[0]: row for row in rows[1:] if row[3] == "yes"}
    assert current["2"][4:8] == ["nl", "Geen arrestaties: ik heb een werkvisum", "by a person", "no"]
    assert current["2"][10:12] == ["Anonymous", ""]
    assert current["1"][4:7] == ["en", NAMED + " or horses", "original"] and current["1"][10:12] == [
        "Ade",
        "Lagos dockers",
    ]
    # After another change, the Dutch translation is marked stale in the export.
    await ok(net, net.member[ROTTERDAM], {"type": "change_red_line", "action": 1, "line": 2, "key": keys["anonymous"],
                                          "text": "No arrests, no photos"})  # fmt: skip
    nl = (await net.get("/actions/1/red-lines.json?lang=nl", net.circle[LAGOS])).json()
    assert (nl["lines"][1]["stale"], nl["lines"][1]["translates_version"], nl["lines"][1]["version"]) == (True, 1, 2)
    txt = (await net.get("/actions/1/red-lines.txt?lang=nl", net.circle[LAGOS])).text
    assert TEXT["en"]["stale"].format(version=1, current=2) in txt

    # Bad requests: a malformed language, another format, an action that is not there.
    bad = await net.get("/actions/1/red-lines.json?lang=" + "x" * 40, net.circle[LAGOS])
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "bad_request")
    assert (await net.get("/actions/1/red-lines.pdf", net.circle[LAGOS])).status_code == 404
    assert (await net.get("/actions/9/red-lines.json", net.circle[LAGOS])).status_code == 404


def test_the_headings_say_the_same_things_in_every_served_language():
    en = TEXT["en"]
    assert set(TEXT) == set(SERVED)
    for language, words in TEXT.items():
        assert set(words) == set(en), language
        for key, value in words.items():
            assert value.strip() and set(PLACEHOLDER.findall(value)) == set(PLACEHOLDER.findall(en[key])), (
                language,
                key,
            )
