"""The tactic tracker over REST (circles/tactic_routes.py) on a real server with the example
network: the registry, a tactic's numbers and the indicators for any link; the CSV and JSON
exports, an export imported into a fresh network exporting the same bytes; the import's refusals
(each naming the row, nothing appended); who may do what."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from typing import Any

import httpx
import pytest
from helpers import token_of

from circles.tactic_csv import COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS

LAGOS, ROTTERDAM, MANILA = "lagos-dockers", "rotterdam-drivers", "manila-nurses"
TODAY = dt.date(2027, 5, 1)  # the date of the net fixture's clock (conftest.T0), checked below


def day(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


async def ok(r: httpx.Response) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


async def refused(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    return r.json()["error"]["message"]


async def post_csv(net: Any, text: str | bytes, token: str | None) -> httpx.Response:
    headers = {"content-type": "text/csv"} | ({"authorization": f"Bearer {token}"} if token else {})
    body = text.encode() if isinstance(text, str) else text
    return await net.http.post(f"/api/networks/{net.id}/tactics/import", content=body, headers=headers)


async def picket(net: Any) -> None:
    """The flying picket: Lagos's (registered by its own link), learned by Rotterdam and then Manila
    (recorded by the coordinator), translated into Spanish by a Manila member, and a sit-in of
    Manila's with no adoption yet."""
    register = {
        "type": "register_tactic",
        "id": "flying-picket",
        "name": "Flying picket",
        "description": "=pickets move from gate to gate",  # a formula to a spreadsheet: escaped in CSV
        "language": "en",
        "origin_circle": LAGOS,
        "origin_country": "NG",
        "origin_date": day(30),
    }
    await ok(await net.send(net.circle[LAGOS], register))
    await ok(
        await net.send(
            net.circle[ROTTERDAM],
            {
                "type": "record_adoption",
                "tactic": "flying-picket",
                "country": "NL",
                "date": day(20),
                "outcome": "won",
                "learned_from": LAGOS,
            },
        )
    )
    await ok(
        await net.send(
            net.coordinator,
            {
                "type": "record_adoption",
                "tactic": "flying-picket",
                "adopter": MANILA,
                "country": "PH",
                "date": day(10),
                "outcome": "partial",
                "learned_from": ROTTERDAM,
            },
        )
    )
    await ok(
        await net.send(
            net.member[MANILA],
            {
                "type": "translate_tactic",
                "tactic": "flying-picket",
                "language": "es",
                "name": "Piquete volante",
                "description": "Piquetes, de puerta en puerta",
                "how": "human",
            },
        )
    )
    await ok(
        await net.send(
            net.circle[MANILA],
            {
                "type": "register_tactic",
                "id": "sit-in",
                "name": 'Sit-in, "quoted"\nand two lines',
                "language": "fil",
                "origin_circle": MANILA,
                "origin_country": "PH",
                "origin_date": day(5),
            },
        )
    )


async def test_the_registry_a_tactic_and_the_indicators_for_any_link(net):
    await picket(net)
    viewer = token_of(net.made["viewer"])
    reg = await ok(await net.get("/tactics?lang=es", viewer))
    assert [t["id"] for t in reg["tactics"]] == ["flying-picket", "sit-in"]
    fp = reg["tactics"][0]
    assert (fp["name"], fp["how"], fp["fallback"], fp["adoptions"]) == ("Piquete volante", "human", False, 3)
    assert (fp["countries"], fp["borders_crossed"]) == (["NG", "NL", "PH"], 2)
    assert fp["outcomes"] == {"won": 1, "partial": 1, "lost": 0, "ongoing": 0, "unknown": 1}
    assert reg["tactics"][1]["fallback"] is True and reg["tactics"][1]["how"] == "original"  # no Spanish yet
    assert reg["fastest"] == [] and {n["code"] for n in reg["not_yet"]} == {"too_few_adoptions"}
    one = await ok(await net.get("/tactics/flying-picket?horizon=30", net.member[LAGOS]))
    assert [a["circle"] for a in one["adoptions"]] == [LAGOS, ROTTERDAM, MANILA]
    assert one["adoptions"][1] | {"at": None} == {
        "circle": ROTTERDAM, "country": "NL", "date": day(20), "days": 10, "outcome": "won", "learned_from": LAGOS,
        "origin": False, "by": ROTTERDAM, "at": None,
    }  # fmt: skip
    assert [(c["count"]) for c in one["cumulative"]] == [1, 2, 3]
    assert [(r["country"], r["days"]) for r in one["first_by_country"]] == [("NG", 0), ("NL", 10), ("PH", 20)]
    assert [n["generation"] for n in one["learning"]["nodes"]] == [0, 1, 2]
    assert one["refusal"]["code"] == "too_few_adoptions" and one["fit"] is None
    assert one["horizon"] == 30 and one["today"] == TODAY.isoformat()
    await refused(await net.get("/tactics/no-such", viewer), 404, "not_found")
    await refused(await net.get("/tactics?lang=english!", viewer), 400, "bad_language")
    for horizon in ("-1", "x", "3661", "99999999999", "%D9%A3"):  # the last an Arabic-Indic 3
        await refused(await net.get(f"/tactics/flying-picket?horizon={horizon}", viewer), 400, "bad_horizon")
    await refused(await net.get("/tactics"), 401, "unauthorized")

    residency = {
        "type": "record_indicator",
        "kind": "residency",
        "country": "NL",
        "host": ROTTERDAM,
        "source": "exchange report",
    }
    await ok(await net.send(net.circle[LAGOS], residency | {"guest": LAGOS, "date": day(3)}))
    await ok(
        await net.send(
            net.coordinator,
            {
                "type": "record_indicator",
                "kind": "complaint",
                "country": "NG",
                "host": LAGOS,
                "source": "Port authority statement",
                "note": "'outside agitators from Rotterdam'",
            },
        )
    )
    ind = await ok(await net.get("/indicators", viewer))
    assert [(i["id"], i["kind"], i["by"]) for i in ind["indicators"]] == [
        (2, "complaint", "coordinator"),
        (1, "residency", LAGOS),
    ]
    assert ind["totals"] == {"residency": 1, "complaint": 1} == ind["last_365_days"]
    assert ind["by_country"] == [
        {"country": "NG", "residency": 0, "complaint": 1},
        {"country": "NL", "residency": 1, "complaint": 0},
    ]


async def test_every_refused_write_appends_nothing(net):
    await picket(net)
    before = await net.offset()
    adopt = {"type": "record_adoption", "tactic": "flying-picket", "country": "NG"}
    for token, command, code in [
        (net.coordinator, adopt | {"adopter": LAGOS, "date": day(1)}, "duplicate_adoption"),
        (net.coordinator, adopt | {"adopter": "nobody-here", "date": day(1)}, "unknown_circle"),
        (net.circle[MANILA], adopt | {"tactic": "sit-in", "date": day(6)}, "before_origin"),
        (
            net.circle[ROTTERDAM],
            adopt | {"tactic": "sit-in", "date": (TODAY + dt.timedelta(days=2)).isoformat()},
            "future_date",
        ),
        (net.circle[ROTTERDAM], adopt | {"adopter": LAGOS, "tactic": "sit-in", "date": day(1)}, "not_yours"),
        (
            net.circle[ROTTERDAM],
            adopt | {"tactic": "sit-in", "date": day(1), "learned_from": ROTTERDAM},
            "learning_cycle",
        ),
        (
            net.circle[LAGOS],
            {
                "type": "record_indicator",
                "kind": "residency",
                "country": "NL",
                "host": ROTTERDAM,
                "guest": MANILA,
                "source": "x",
            },
            "not_yours",
        ),
    ]:
        await refused(await net.send(token, command), 409, code)
    for token in (net.member[LAGOS], token_of(net.made["viewer"])):
        await refused(
            await net.send(token, {"type": "register_tactic", "id": "x", "name": "x", "origin_country": "NG"}),
            403,
            "forbidden",
        )
    await refused(
        await net.send(
            token_of(net.made["viewer"]),
            {"type": "translate_tactic", "tactic": "sit-in", "language": "en", "name": "x"},
        ),
        403,
        "forbidden",
    )
    assert await net.offset() == before


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_exports_and_a_round_trip_through_a_fresh_network(net, network_kit):
    assert network_kit.T0.date() == TODAY
    await picket(net)
    r = await net.get("/tactics.csv", token_of(net.made["viewer"]))
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="{net.id}-tactics.csv"'
    exported = r.text
    assert exported.splitlines()[0] == ",".join(COLUMNS)
    table = rows(exported)
    assert [(x["record"], x["tactic"], x["language"] or x["adopter"]) for x in table] == [
        ("tactic", "flying-picket", "en"),
        ("translation", "flying-picket", "es"),
        ("adoption", "flying-picket", ROTTERDAM),  # Lagos's first use is the tactic row's origin
        ("adoption", "flying-picket", MANILA),
        ("tactic", "sit-in", "fil"),
    ]
    assert table[0]["description"] == "'=pickets move from gate to gate"  # no spreadsheet runs it
    assert table[4]["name"] == 'Sit-in, "quoted"\nand two lines'
    data = await ok(await net.get("/tactics.json", net.member[MANILA]))
    assert [a["adopter"] for a in data["tactics"][0]["adoptions"]] == [LAGOS, ROTTERDAM, MANILA]
    assert data["tactics"][0]["adoptions"][0]["origin"] is True
    assert data["tactics"][0]["description"] == "=pickets move from gate to gate"

    # a fresh network with the same circles: the import gives back the same registry, byte for byte
    made = (
        await net.http.post(
            "/api/networks",
            content=json.dumps(network_kit.definition),
            headers={"authorization": f"Bearer {net.server.admin}"},
        )
    ).json()
    other = network_kit.Net(net.server, net.http, made)
    reply = await ok(await post_csv(other, exported, other.coordinator))
    assert (reply["tactics"], reply["translations"], reply["adoptions"]) == (2, 1, 2)
    again = await other.get("/tactics.csv", other.coordinator)
    assert again.text == exported
    theirs = await ok(await other.get("/tactics?lang=es", other.coordinator))
    ours = await ok(await net.get("/tactics?lang=es", net.coordinator))

    def strip(view: dict) -> list[dict]:  # who registered it differs: the import's link
        return [{k: x for k, x in t.items() if k not in ("registered_by", "registered_at")} for t in view["tactics"]]

    assert strip(theirs) == strip(ours)
    # importing it again: refused whole, naming the first tactic already there
    before = await other.offset()
    message = await refused(await post_csv(other, exported, other.coordinator), 409, "tactic_exists")
    assert "'flying-picket'" in message
    assert await other.offset() == before


BAD = [
    ("", "the file is empty"),
    ("record,tactic\n", "a header but no record"),
    ("record,tactic,colour\n", "row 1: unknown column 'colour'"),
    ("record,tactic,tactic\n", "row 1: the column 'tactic' comes twice"),
    ("tactic,name\n", "row 1: the header has no 'record' column"),
    ("record,tactic\nstrike,x\n", "row 2: the record must be tactic, translation or adoption, not 'strike'"),
    ("record,tactic,name\ntactic,x\n", "row 2: 2 cells, but the header names 3 columns"),
    (",".join(COLUMNS) + "\ntactic,sit-in,en,Sit-in,,,,NG,,,,,,\n", "row 2 (tactic): origin_date is empty"),
    (
        ",".join(COLUMNS) + "\ntactic,sit-in,en,Sit-in,,,,NG,2027-02-30,,,,,\n",
        "row 2 (tactic): origin_date: Invalid RFC3339 encoded date",
    ),
    (
        ",".join(COLUMNS) + "\ntactic,Sit In,en,Sit-in,,,,NG,2027-02-01,,,,,\n",
        "row 2 (tactic): tactic: Expected `str` matching regex",
    ),
    (
        ",".join(COLUMNS) + "\ntactic,sit-in,en,Sit-in,,,,Nigeria,2027-02-01,,,,,\n",
        "row 2 (tactic): origin_country: Expected `str` matching regex",
    ),
    (
        ",".join(COLUMNS) + "\ntactic,sit-in,en,Sit-in,,,,NG,2027-02-01,,,2027-02-01,,\n",
        "row 2 (tactic): a tactic row leaves date empty",
    ),
    (
        ",".join(COLUMNS) + f"\n\nadoption,sit-in,,,,,,,,{LAGOS},NG,2027-02-01,maybe,\n",
        "row 3 (adoption): outcome: Invalid enum value 'maybe'",
    ),
    (
        ",".join(COLUMNS)
        + f"\nadoption,sit-in,,,,,,,,{LAGOS},NG,2027-02-01,,\nadoption,sit-in,,,,,,,,{LAGOS},NG,2027-02-02,,\n",
        "row 3 (adoption): the same adoption as row 2",
    ),
    (",".join(COLUMNS) + '\ntactic,"sit-in,en\n', "not readable as CSV"),
    (b"record,tactic\n\xff\n", "the file is not UTF-8 text"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
async def test_a_bad_file_is_refused_naming_the_row_and_appends_nothing(net, text, message):
    before = await net.offset()
    got = await refused(await post_csv(net, text, net.coordinator), 400, "bad_import")
    assert message in got
    assert await net.offset() == before


async def test_size_limits(net):
    header = ",".join(COLUMNS) + "\n"
    row = f"adoption,sit-in,,,,,,,,{LAGOS},NG,2027-02-01,,\n"
    await refused(await post_csv(net, header + row * (MAX_IMPORT_ROWS + 1), net.coordinator), 413, "too_large")
    await refused(await post_csv(net, "x" * (MAX_IMPORT_BYTES + 1), net.coordinator), 413, "too_large")


async def test_who_may_import(net):
    await picket(net)
    before = await net.offset()
    lines = [",".join(COLUMNS), f"adoption,sit-in,,,,,,,,{LAGOS},NG,{day(1)},won,{MANILA}"]
    text = "\r\n".join(lines) + "\r\n"
    for token in (net.member[LAGOS], token_of(net.made["viewer"]), None):
        r = await post_csv(net, text, token)
        assert r.status_code == 403, r.text
    # a circle imports its own adoptions only: Rotterdam's link may not record Lagos's
    await refused(await post_csv(net, text, net.circle[ROTTERDAM]), 409, "not_yours")
    assert await net.offset() == before
    reply = await ok(await post_csv(net, text, net.circle[LAGOS]))
    assert reply["adoptions"] == 1
    one = await ok(await net.get("/tactics/sit-in", net.coordinator))
    assert [(a["circle"], a["by"]) for a in one["adoptions"]] == [(MANILA, MANILA), (LAGOS, LAGOS)]
    # rows of circles this network does not have: the core says which
    lines = [",".join(COLUMNS), f"adoption,sit-in,,,,,,,,oslo-cleaners,NO,{day(1)},,"]
    await refused(await post_csv(net, "\n".join(lines), net.coordinator), 409, "unknown_circle")


async def test_pages_reading_at_once_share_one_computation(net):
    """Every open page reads the registry again after an event, all at once: the server computes it
    once for that state (the worker pool is small and refuses work past its queue)."""
    await picket(net)
    worker = net.server.app.state.worker
    real, calls = worker.run, []

    async def counted(fn, *args):
        calls.append(fn.__name__)
        return await real(fn, *args)

    worker.run = counted  # a spy on the instance: the real pool still does the work
    try:
        replies = await asyncio.gather(*(net.get("/tactics?lang=es", net.member[LAGOS]) for _ in range(12)))
        assert {r.status_code for r in replies} == {200}
        assert len({r.text for r in replies}) == 1
        assert calls.count("registry_view") == 1
        await net.get("/tactics?lang=fr", net.member[LAGOS])  # another language: its own
        assert calls.count("registry_view") == 2
        # the network moves on: the next read computes again
        await ok(
            await net.send(
                net.coordinator,
                {"type": "record_adoption", "tactic": "sit-in", "adopter": LAGOS, "country": "NG", "date": day(1)},
            )
        )
        r = await ok(await net.get("/tactics?lang=es", net.member[LAGOS]))
        assert calls.count("registry_view") == 3 and r["tactics"][1]["adoptions"] == 2
    finally:
        del worker.run


ODD_PATHS = [
    "/tactics/%00",
    "/tactics/%F0%9F%92%A5",
    "/tactics/" + "a" * 5000,
    "/tactics/import",
    "/tactics?lang=%00",
    "/tactics?lang=" + "x" * 1000,
    "/tactics?lang=zz-ZZZZZZZZZZ",
    "/tactics?lang=en&lang=fr",
    "/tactics/flying-picket?horizon=%00",
    "/tactics/flying-picket?horizon=0x10",
    "/tactics/flying-picket?horizon=%201",
    "/tactics/flying-picket?horizon=1.5",
    "/tactics/flying-picket?horizon=",
    "/tactics/flying-picket?horizon=%D9%A3",  # an Arabic-Indic digit
    "/tactics/flying-picket?horizon=00000",
    "/tactics/flying-picket?horizon=3660",
    "/tactics.xml",
    "/indicators?x=%00",
]
ODD_FILES = [
    b"\x00" * 10,
    b"record,tactic\n\x00,x\n",
    b'record,tactic\n"unterminated,x\n',
    b"\xef\xbb\xbfrecord,tactic\n",
    ",".join(COLUMNS).encode() + b"\ntactic,sit-in,en," + b"n" * 200_000 + b",,,,NG,2027-01-01,,,,,\n",
    b",".join([b"record"] * 5000) + b"\n",
    b"\n\n\n",
    b"record,tactic\r" + b"adoption,x\r" * 3,
    ",".join(COLUMNS).encode() + b"\ntactic,sit-in,en,Sit-in,,,,NG,2027-01-01,,,,,,,,\n",
]


async def test_odd_input_is_a_documented_4xx_never_a_500_and_appends_nothing(net):
    await picket(net)
    before = await net.offset()
    for path in ODD_PATHS:
        r = await net.get(path, net.coordinator)
        assert r.status_code < 500, (path, r.status_code, r.text)
        if r.status_code >= 400:
            assert r.json()["error"]["code"], path
    for body in ODD_FILES:
        r = await post_csv(net, body, net.coordinator)
        assert 400 <= r.status_code < 500, (body[:40], r.status_code, r.text)
        assert r.json()["error"]["code"] in ("bad_import", "too_large"), r.text
    assert await net.offset() == before
