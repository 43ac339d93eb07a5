"""The tactic diffusion tracker (issue 12 §3-§4) in Chromium against a real server, on a phone:

- the journey: the network page links to the tracker; the coordinator registers a tactic first used
  by the Lagos dockers on the registry page; records Durban's adoption on the tactic's page (learned
  from Lagos); the Rotterdam drivers record their own from their link (learned from Durban, across
  a border); more circles adopt, each learning from an earlier one; the tactic's page draws the
  cumulative curve with the fitted Bass curve and its forecast and says p, q and m with their
  standard errors; the countries' bars and the learning network (border crossings marked) are
  drawn with their words; a Spanish translation is added; the registry ranks it among the fastest
  and lists a young tactic as "not enough data yet"; a complaint of outside agitation is recorded;
- open data: the registry exported as CSV (a download fetched with the link's header), imported
  into a second network with the same circles, which then shows the same registry and exports the
  same bytes; importing it again is refused with the server's words, nothing added;
- the tactic's page in Arabic (right to left) and Kiswahili: every string translated (no key left
  showing), the charts drawn.

Screenshots (390 px wide) in tests/e2e/artifacts/circles-tactics-*.png; on every page no console
error, no CSP violation, no link token in any URL requested.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from helpers import token_of
from playwright.sync_api import expect
from test_circles_pages import assert_clean, live

pytestmark = pytest.mark.browser

PHONE = (390, 844)
TACTIC = "flying-picket"
# (circle, name, country): twenty circles in nine countries
CIRCLES = [
    ("lagos-dockers", "Lagos dockers", "NG"),
    ("durban-dockers", "Durban dockers", "ZA"),
    ("rotterdam-drivers", "Rotterdam drivers", "NL"),
    ("santos-dockers", "Santos dockers", "BR"),
    ("manila-nurses", "Manila nurses", "PH"),
    ("abuja-teachers", "Abuja teachers", "NG"),
    ("antwerp-dockers", "Antwerp dockers", "BE"),
    ("mumbai-riders", "Mumbai riders", "IN"),
    ("recife-drivers", "Recife drivers", "BR"),
    ("nairobi-riders", "Nairobi riders", "KE"),
    ("cebu-nurses", "Cebu nurses", "PH"),
    ("kano-weavers", "Kano weavers", "NG"),
    ("ghent-cleaners", "Ghent cleaners", "BE"),
    ("delhi-riders", "Delhi riders", "IN"),
    ("mombasa-dockers", "Mombasa dockers", "KE"),
    ("capetown-cleaners", "Cape Town cleaners", "ZA"),
    ("davao-nurses", "Davao nurses", "PH"),
    ("portoalegre-drivers", "Porto Alegre drivers", "BR"),
    ("hamburg-dockers", "Hamburg dockers", "DE"),
    ("pune-teachers", "Pune teachers", "IN"),
]
COUNTRY = {c: country for c, _, country in CIRCLES}
# After Lagos (the origin, day 0), Durban (day 3) and Rotterdam (day 6), recorded on the pages:
# the days after the origin each circle adopted it (a Bass curve, p = 0.01, q = 0.12 a day,
# m = 20, rounded to whole adoptions a day), and whom it learned it from. Eight learning edges
# cross a border; the longest chain, Lagos to Pune, is seven generations.
ADOPTIONS = [
    ("santos-dockers", 8, "durban-dockers"),
    ("manila-nurses", 10, "rotterdam-drivers"),
    ("abuja-teachers", 12, "lagos-dockers"),
    ("antwerp-dockers", 13, "rotterdam-drivers"),
    ("mumbai-riders", 15, "manila-nurses"),
    ("recife-drivers", 16, "santos-dockers"),
    ("nairobi-riders", 18, "durban-dockers"),
    ("cebu-nurses", 19, "manila-nurses"),
    ("kano-weavers", 21, "abuja-teachers"),
    ("ghent-cleaners", 22, "antwerp-dockers"),
    ("delhi-riders", 24, "mumbai-riders"),
    ("mombasa-dockers", 25, "nairobi-riders"),
    ("capetown-cleaners", 27, "durban-dockers"),
    ("davao-nurses", 29, "cebu-nurses"),
    ("portoalegre-drivers", 31, "recife-drivers"),
    ("hamburg-dockers", 34, "rotterdam-drivers"),
    ("pune-teachers", 39, "delhi-riders"),
]
ORIGIN_DAYS_AGO = 75


def definition(name: str) -> dict[str, Any]:
    return {"name": name, "circles": [{"id": c, "name": n, "languages": ["en"]} for c, n, _ in CIRCLES]}


class TxNet:
    """A network of CIRCLES on the session's server, with its links."""

    def __init__(self, server: Any, name: str) -> None:
        self.server = server
        self.made = server.create("/api/networks", definition(name))
        self.id = self.made["id"]
        self.coordinator = token_of(self.made["coordinator"])

    def circle(self, circle: str) -> str:
        return token_of(self.made["circles"][circle])

    def send(self, token: str, command: dict[str, Any]) -> None:
        with httpx.Client(base_url=self.server.base, timeout=10) as client:
            r = client.post(
                f"/api/networks/{self.id}/commands", json=command, headers={"authorization": f"Bearer {token}"}
            )
        assert r.status_code == 200, r.text

    def get(self, path: str) -> httpx.Response:
        with httpx.Client(base_url=self.server.base, timeout=30) as client:
            return client.get(f"/api/networks/{self.id}{path}", headers={"authorization": f"Bearer {self.coordinator}"})

    def page(self, path: str, token: str) -> str:
        return f"{self.server.base}/network/{self.id}{path}#t={token}"

    def tokens(self) -> list[str]:
        made = self.made
        found = [token_of(link) for group in ("circles", "members") for link in made[group].values()]
        return [*found, token_of(made["coordinator"]), token_of(made["viewer"]), self.server.admin_token]


def on(origin: dt.date, days: int) -> str:
    return (origin + dt.timedelta(days=days)).isoformat()


def no_missing_string(page: Any) -> None:
    """No string key shows where its words should be (a key missing in the page's language)."""
    shown = page.evaluate("document.body.innerText + ' ' + document.title")
    assert "tx_" not in shown and "nw_" not in shown, [w for w in shown.split() if "tx_" in w or "nw_" in w]


# what sticks out past the screen's edge (outside tables, which scroll in their own box)
WIDER = """[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.parentElement.closest("table"))
  .map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def fits(page: Any, what: str) -> None:
    if not page.evaluate("document.documentElement.scrollWidth <= innerWidth"):
        pytest.fail(f"{what} spills sideways: {page.evaluate(WIDER)}")


def test_register_adopt_see_the_curve_and_fit_export_and_reimport(
    mayday_server, open_page, page_log, screenshot, tmp_path
) -> None:
    net = TxNet(mayday_server, "Docks and care")
    origin = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=ORIGIN_DAYS_AGO)  # the server's clock is the real one

    # The network page links to the tracker.
    network = open_page(net.page("", net.coordinator), *PHONE)
    live(network)
    expect(network.get_by_test_id("tactics-link")).to_have_text("Tactics: what spread, and how")
    network.get_by_test_id("tactics-link").click()
    registry = network
    live(registry)
    expect(registry.get_by_test_id("title")).to_have_text("Tactics of Docks and care")
    expect(registry.get_by_test_id("tactics-empty")).to_be_visible()

    # Register the tactic (the id follows the name).
    registry.get_by_test_id("register-name").fill("Flying picket")
    expect(registry.get_by_test_id("register-id")).to_have_value(TACTIC)
    registry.get_by_test_id("register-description").fill(
        "Pickets move from gate to gate faster than the police can follow."
    )
    registry.get_by_test_id("register-language").select_option("en")
    registry.get_by_test_id("register-circle").select_option("lagos-dockers")
    registry.get_by_test_id("register-country").fill("ng")
    registry.get_by_test_id("register-date").fill(origin.isoformat())
    registry.get_by_test_id("register-submit").click()
    expect(registry.get_by_test_id("register-status")).to_have_text("Registered.")
    expect(registry.get_by_test_id(f"counts-{TACTIC}")).to_have_text(
        "1 circle adopted it · 1 country · 0 borders crossed"
    )

    # The tactic's page: the coordinator records Durban's adoption, learned from Lagos.
    registry.get_by_test_id(f"tactic-link-{TACTIC}").click()
    tactic = registry
    live(tactic)
    expect(tactic.get_by_test_id("title")).to_have_text("Flying picket")
    expect(tactic.get_by_test_id("no-fit")).to_have_attribute("data-code", "too_few_adoptions")
    tactic.get_by_test_id("adopt-circle").select_option("durban-dockers")
    tactic.get_by_test_id("adopt-country").fill("ZA")
    tactic.get_by_test_id("adopt-date").fill(on(origin, 3))
    tactic.get_by_test_id("adopt-outcome").select_option("won")
    tactic.get_by_test_id("adopt-teacher").select_option("lagos-dockers")
    tactic.get_by_test_id("adopt-submit").click()
    expect(tactic.get_by_test_id("adopt-status")).to_have_text("Recorded.")
    expect(tactic.get_by_test_id("adoption-durban-dockers")).to_have_attribute("data-outcome", "won")

    # Rotterdam records its own, from its own link: learned from Durban, across a border.
    rotterdam = open_page(net.page(f"/tactic/{TACTIC}", net.circle("rotterdam-drivers")), *PHONE)
    live(rotterdam)
    expect(rotterdam.get_by_test_id("adopt-circle")).to_have_value("rotterdam-drivers")
    rotterdam.get_by_test_id("adopt-country").fill("NL")
    rotterdam.get_by_test_id("adopt-date").fill(on(origin, 6))
    rotterdam.get_by_test_id("adopt-teacher").select_option("durban-dockers")
    rotterdam.get_by_test_id("adopt-submit").click()
    expect(rotterdam.get_by_test_id("adopt-status")).to_have_text("Recorded.")
    # a second adoption by the same circle is refused in the server's words
    rotterdam.get_by_test_id("adopt-country").fill("NL")
    rotterdam.get_by_test_id("adopt-submit").click()
    expect(rotterdam.get_by_test_id("adopt-error")).to_contain_text("adopted the tactic twice")

    # More circles adopt, each learning from an earlier one.
    for circle, days, teacher in ADOPTIONS:
        net.send(
            net.coordinator,
            {
                "type": "record_adoption",
                "tactic": TACTIC,
                "adopter": circle,
                "country": COUNTRY[circle],
                "date": on(origin, days),
                "learned_from": teacher,
                "outcome": "ongoing",
            },
        )

    # The coordinator's page follows live: the curve, the fit, p, q and m with their errors.
    expect(tactic.get_by_test_id("fact-adoptions")).to_have_text("20", timeout=15_000)
    expect(tactic.get_by_test_id("curve-fit")).to_have_count(1)
    assert tactic.get_by_test_id("curve-fit").get_attribute("d").count("L") > 50  # a curve, not a stub
    expect(tactic.get_by_test_id("curve-observed")).to_have_count(1)
    expect(tactic.get_by_test_id("curve-forecast")).to_have_count(1)
    for name in ("p", "q"):
        expect(tactic.get_by_test_id(f"fit-{name}")).to_contain_text(" ± ")
        expect(tactic.get_by_test_id(f"fit-{name}")).to_contain_text("per day")
    expect(tactic.get_by_test_id("fit-m")).to_contain_text("circles")
    view = net.get(f"/tactics/{TACTIC}").json()
    m = view["fit"]["m"]
    assert 16 <= m <= 26, view["fit"]  # 20.7 ± 2.7
    expect(tactic.get_by_test_id("fit-words")).to_contain_text("Half of the circles it can reach had adopted it by")
    # the countries' bars, in the order reached, and the learning network with its border crossings
    expect(tactic.get_by_test_id("countries-svg")).to_be_visible()
    expect(tactic.get_by_test_id("bar-NG")).to_have_count(1)
    expect(tactic.get_by_test_id("network-svg")).to_be_visible()
    expect(tactic.get_by_test_id("edge-durban-dockers-rotterdam-drivers")).to_have_attribute("data-border", "true")
    expect(tactic.get_by_test_id("edge-lagos-dockers-abuja-teachers")).to_have_attribute("data-border", "false")
    expect(tactic.get_by_test_id("fact-borders")).to_have_text("8")
    assert view["borders_crossed"] == 8
    expect(tactic.get_by_test_id("words-durban-dockers-rotterdam-drivers")).to_contain_text(
        "Rotterdam drivers learned it from Durban dockers, 3 days later."
    )
    expect(tactic.get_by_test_id("fact-generations")).to_have_text("7")
    fits(tactic, "the tactic's page")
    screenshot(tactic, "circles-tactics-tactic-phone.png")

    # A Spanish translation, by a person.
    tactic.get_by_test_id("translate-language").select_option("es")
    tactic.get_by_test_id("translate-name").fill("Piquete volante")
    tactic.get_by_test_id("translate-description").fill("Los piquetes van de puerta en puerta.")
    tactic.get_by_test_id("translate-how").select_option("human")
    tactic.get_by_test_id("translate-submit").click()
    expect(tactic.get_by_test_id("translation-es")).to_have_attribute("data-how", "human")

    # The registry: ranked among the fastest; a young tactic has not enough data yet.
    net.send(
        net.circle("manila-nurses"),
        {
            "type": "register_tactic",
            "id": "sit-in",
            "name": "Ward sit-in",
            "language": "en",
            "origin_circle": "manila-nurses",
            "origin_country": "PH",
            "origin_date": on(origin, 60),
        },
    )
    tactic.get_by_test_id("registry-link").click()
    registry = tactic
    live(registry)
    expect(registry.get_by_test_id(f"fastest-{TACTIC}")).to_have_attribute("data-rank", "1")
    expect(registry.get_by_test_id("not-yet-sit-in")).to_have_attribute("data-code", "too_few_adoptions")
    expect(registry.get_by_test_id(f"counts-{TACTIC}")).to_contain_text(
        "20 circles adopted it · 9 countries · 8 borders crossed"
    )
    # a boss's complaint of outside agitation
    registry.get_by_test_id("indicator-kind").select_option("complaint")
    registry.get_by_test_id("indicator-country").fill("NL")
    registry.get_by_test_id("indicator-host").select_option("rotterdam-drivers")
    registry.get_by_test_id("indicator-source").fill("Port employers' statement")
    registry.get_by_test_id("indicator-note").fill("'agitators flown in from Durban'")
    registry.get_by_test_id("indicator-submit").click()
    expect(registry.get_by_test_id("indicator-1")).to_have_attribute("data-kind", "complaint")
    expect(registry.get_by_test_id("total-complaint")).to_have_text("1 in all, 1 in the last 12 months")
    fits(registry, "the registry")
    screenshot(registry, "circles-tactics-registry-phone.png")

    # Open data: the CSV, fetched with the link's header and handed over as a download.
    with registry.expect_download() as got:
        registry.get_by_test_id("export-csv").click()
    download = got.value
    assert download.suggested_filename == f"{net.id}-tactics.csv"
    exported = tmp_path / "tactics.csv"
    download.save_as(exported)
    text = exported.read_bytes().decode("utf-8")  # as written: CSV rows end in CRLF
    assert text.startswith("record,tactic,language,name,description,how,")
    assert text.count("\nadoption,") == 19 and "Piquete volante" in text

    # ...imported into a second network with the same circles: the same registry.
    other = TxNet(mayday_server, "Docks and care, elsewhere")
    second = open_page(other.page("/tactics", other.coordinator), *PHONE)
    live(second)
    expect(second.get_by_test_id("tactics-empty")).to_be_visible()
    second.get_by_test_id("import-file").set_input_files(str(exported))
    second.get_by_test_id("import-submit").click()
    expect(second.get_by_test_id("import-status")).to_have_text("Imported. Tactics: 2; translations: 1; adoptions: 19.")
    expect(second.get_by_test_id(f"counts-{TACTIC}")).to_contain_text(
        "20 circles adopted it · 9 countries · 8 borders crossed"
    )
    expect(second.get_by_test_id(f"fastest-{TACTIC}")).to_have_attribute("data-rank", "1")
    assert other.get("/tactics.csv").text == text
    # importing the same file again: refused whole, in the server's words
    second.get_by_test_id("import-file").set_input_files(str(exported))
    second.get_by_test_id("import-submit").click()
    expect(second.get_by_test_id("import-error")).to_contain_text("'flying-picket' is already a tactic of this network")
    screenshot(second, "circles-tactics-imported-phone.png")
    assert_clean(page_log, net.tokens() + other.tokens(), refused=(409,))


HEADING = {"ar": "حالات التبنّي عبر الزمن", "sw": "Uchukuaji kwa muda"}


@pytest.mark.parametrize("language", ["ar", "sw"])
def test_the_tactic_page_in_arabic_and_kiswahili(language, mayday_server, open_page, page_log, screenshot) -> None:
    net = TxNet(mayday_server, "Docks and care")
    origin = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=ORIGIN_DAYS_AGO)
    net.send(
        net.coordinator,
        {
            "type": "register_tactic",
            "id": TACTIC,
            "name": "Flying picket",
            "description": "Pickets move from gate to gate.",
            "origin_circle": "lagos-dockers",
            "origin_country": "NG",
            "origin_date": origin.isoformat(),
        },
    )
    for circle, days, teacher in [
        ("durban-dockers", 3, "lagos-dockers"),
        ("rotterdam-drivers", 6, "durban-dockers"),
        *ADOPTIONS,
    ]:
        net.send(
            net.coordinator,
            {
                "type": "record_adoption",
                "tactic": TACTIC,
                "adopter": circle,
                "country": COUNTRY[circle],
                "date": on(origin, days),
                "learned_from": teacher,
            },
        )
    net.send(
        net.coordinator,
        {"type": "translate_tactic", "tactic": TACTIC, "language": "sw", "name": "Mgomo unaohama", "how": "machine"},
    )
    page = open_page(net.page(f"/tactic/{TACTIC}", net.circle("manila-nurses")), *PHONE)
    live(page)
    page.get_by_test_id("lang-picker").select_option(language)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("#curve-heading")).to_have_text(HEADING[language])
    # the name in Kiswahili, marked as a machine's; in Arabic the English original, marked as such
    expect(page.get_by_test_id("tactic-name")).to_have_text("Mgomo unaohama" if language == "sw" else "Flying picket")
    expect(page.get_by_test_id("how")).to_have_attribute("data-how", "machine" if language == "sw" else "original")
    expect(page.get_by_test_id("curve-fit")).to_have_count(1)
    expect(page.get_by_test_id("network-svg")).to_be_visible()
    no_missing_string(page)
    page.goto(net.page("/tactics", net.circle("manila-nurses")))
    live(page)
    expect(html).to_have_attribute("lang", language)
    expect(page.get_by_test_id(f"fastest-{TACTIC}")).to_be_visible()
    no_missing_string(page)
    page.goto(net.page(f"/tactic/{TACTIC}", net.circle("manila-nurses")))
    live(page)
    expect(page.get_by_test_id("curve-fit")).to_have_count(1)
    fits(page, f"the tactic's page in {language}")
    screenshot(page, f"circles-tactics-{language}-phone.png")
    assert_clean(page_log, net.tokens())
