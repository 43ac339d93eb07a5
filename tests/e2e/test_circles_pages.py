"""The circles' pages (issue 11) in Chromium against a real server:

- the journey: two circles paired in the definition; Lagos changes its pledge on its page and La
  Paz, its twin, sees version 2 marked as changed; Lagos records income (typed "1,000.00") and
  sees its twin's tithe held; the pair page says who owes whom; an over-delivery is refused with
  the server's words; Lagos delivers and the pair page, live, shows the imbalance closed; the
  network page draws the flow; the ledger page exports its CSV through a fetch (no token in a
  URL); the integrity page passes and shows the head the twins compare. Screenshots on the way;
- the rally reader in Spanish (a person's translation), French (a machine's), Kiswahili (none
  yet: the original with a note), then a Kiswahili translation added on the reader by the twin;
- a member's page: the circle's funds and overdue reminders both ways, but no form and no
  correction button anywhere;
- another circle's member: the shape of the network but no amount, and the pair and ledger pages
  refused with the server's message;

and on every page: no console error, no CSP violation, no link token in any URL requested.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from assembly_meeting import assert_clean as meeting_assert_clean
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESKTOP = (1280, 900)
LIVE = 15_000
LAGOS, LA_PAZ, MANILA = "lagos-dockers", "la-paz-miners", "manila-nurses"
PAIR = "la-paz-miners~lagos-dockers"

NETWORK = {
    "name": "Ports and mines",
    "circles": [
        {
            "id": LAGOS,
            "name": "Lagos dockers",
            "place": "Lagos",
            "tz": "Africa/Lagos",
            "languages": ["en", "yo"],
            "adversary": "Maersk",
        },
        {
            "id": LA_PAZ,
            "name": "La Paz miners",
            "place": "La Paz",
            "tz": "America/La_Paz",
            "languages": ["es"],
            "adversary": "Glencore",
        },
        {"id": MANILA, "name": "Manila nurses", "place": "Manila", "tz": "Asia/Manila", "languages": ["fil", "en"]},
    ],
    "pairs": [
        {
            "circles": [LAGOS, LA_PAZ],
            "adversary": "Glencore",
            "link": "the ore they mine leaves through the port we work",
            "settle_days": 30,
        }
    ],
}


class Net:
    """One network of NETWORK on the session's server: its links and REST commands."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.made = server.create("/api/networks", NETWORK)
        self.id = self.made["id"]

    def circle_link(self, circle: str) -> str:
        return self.made["circles"][circle]

    def member_link(self, circle: str) -> str:
        return self.made["members"][circle]

    def link(self, kind: str, circle: str, path: str) -> str:
        """A page of the network (``path`` after /network/{id}) with the link of ``circle``'s
        ``kind`` ("circles" or "members") in its fragment."""
        return f"{self.server.base}/network/{self.id}{path}#t={token_of(self.made[kind][circle])}"

    def send(self, circle: str, command: dict[str, Any]) -> dict[str, Any]:
        with httpx.Client(base_url=self.server.base, timeout=10) as client:
            r = client.post(
                f"/api/networks/{self.id}/commands",
                json=command,
                headers={"authorization": f"Bearer {token_of(self.circle_link(circle))}"},
            )
        assert r.status_code == 200, r.text
        return r.json()

    def tokens(self) -> list[str]:
        """Every link token of the network and the admin's: none may leave a page in a URL."""
        made = self.made
        found = [token_of(link) for group in ("circles", "members") for link in made[group].values()]
        return [*found, token_of(made["coordinator"]), token_of(made["viewer"]), self.server.admin_token]


@pytest.fixture
def net(mayday_server: Any) -> Net:
    return Net(mayday_server)


def live(page: Any) -> None:
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE)


def assert_clean(page_log: Any, tokens: list[str], refused: tuple[int, ...] = ()) -> None:
    """assembly_meeting.assert_clean, but for the browser's own note of a request the test made
    the server refuse on purpose (``refused``: those statuses)."""
    expected = tuple(f"the server responded with a status of {status}" for status in refused)
    page_log.errors[:] = [e for e in page_log.errors if not any(x in e for x in expected)]
    meeting_assert_clean(page_log, tokens)


def test_pair_pledge_income_deliver_and_the_imbalance_closes(net, open_page, page_log, screenshot) -> None:
    lagos = open_page(net.circle_link(LAGOS), *PHONE)
    la_paz = open_page(net.circle_link(LA_PAZ), *PHONE)
    for page in (lagos, la_paz):
        live(page)
    expect(lagos.get_by_test_id("role")).to_have_text("You are: Lagos dockers (you can record and send for it)")
    expect(lagos.get_by_test_id("title")).to_have_text("Lagos dockers")
    their = la_paz.get_by_test_id(f"their-pledge-{LAGOS}")
    expect(their).to_have_attribute("data-version", "1")  # the pair's opening pledge, from the definition
    expect(la_paz.get_by_test_id(f"their-pledge-{LAGOS}-changed")).to_have_count(0)

    # Lagos changes its pledge on its page: money 25 %. Its twin sees version 2, marked as changed.
    expect(lagos.get_by_test_id("pledge-money")).to_have_value("10")
    lagos.get_by_test_id("pledge-money").fill("25")
    lagos.get_by_test_id("pledge-submit").click()
    expect(lagos.get_by_test_id("pledge-status")).to_have_text("Pledge saved.")
    expect(their).to_have_attribute("data-version", "2")
    expect(la_paz.get_by_test_id(f"their-pledge-{LAGOS}-version")).to_have_text("version 2")
    expect(la_paz.get_by_test_id(f"their-pledge-{LAGOS}-changed")).to_have_text("changed")
    expect(their.locator('[data-resource="money"]')).to_have_text("money: 25%")
    expect(their.locator('[data-resource="DAYS"]')).to_have_text("strike-fund days: 10%")
    screenshot(la_paz, "circles-twin-sees-pledge-v2-phone.png")

    # A share over 100 % is refused, in the server's words, and nothing changes.
    lagos.get_by_test_id("pledge-money").fill("150")
    lagos.get_by_test_id("pledge-submit").click()
    expect(lagos.get_by_test_id("pledge-error")).to_contain_text("Refused:")
    expect(their).to_have_attribute("data-version", "2")

    # Income, typed the way an English speaker writes it: the twin's 25 % is held before the rest.
    lagos.get_by_test_id("income-source").select_option("donations")
    lagos.get_by_test_id("income-amount").fill("1,000.00")
    lagos.get_by_test_id("income-commodity").fill("USD")
    lagos.get_by_test_id("income-narration").fill("May Day collection")
    lagos.get_by_test_id("income-submit").click()
    expect(lagos.get_by_test_id("income-status")).to_have_text("Recorded.")
    expect(lagos.get_by_test_id("fund-general")).to_have_text("750.00 USD")
    expect(lagos.get_by_test_id(f"held-{LA_PAZ}")).to_have_text("250.00 USD")
    expect(lagos.get_by_test_id("deliver-held")).to_have_text("Held for La Paz miners now: 250.00 USD")
    screenshot(lagos, "circles-income-tithe-held-phone.png")

    # La Paz opens the pair page from its own page: the link keeps the token in the fragment.
    la_paz.get_by_test_id(f"pair-link-{LAGOS}").click()
    expect(la_paz).to_have_url(f"{net.server.base}/network/{net.id}/pair/{PAIR}#t={token_of(net.circle_link(LA_PAZ))}")
    live(la_paz)
    net_usd = la_paz.get_by_test_id("net-USD")
    expect(net_usd).to_have_text("Lagos dockers owes La Paz miners 250.00 USD")
    expect(net_usd).to_have_attribute("data-debtor", LAGOS)
    bar = la_paz.get_by_test_id(f"bar-{LAGOS}-USD")
    expect(bar).to_contain_text("pledged 250.00, delivered 0.00, still owed 250.00, held 250.00 (USD)")
    expect(bar.get_by_test_id("pair-bar-svg")).to_be_visible()
    screenshot(la_paz, "circles-pair-owed-phone.png")

    # Delivering more than is owed is refused with the server's message.
    lagos.get_by_test_id("deliver-amount").fill("300.00")
    lagos.get_by_test_id("deliver-commodity").fill("USD")
    lagos.get_by_test_id("deliver-submit").click()
    expect(lagos.get_by_test_id("deliver-error")).to_contain_text("less than 300.00")

    # Lagos delivers what it holds: on La Paz's pair page, live, the imbalance closes.
    lagos.get_by_test_id("deliver-amount").fill("250.00")
    lagos.get_by_test_id("deliver-narration").fill("Tithe for May")
    lagos.get_by_test_id("deliver-submit").click()
    expect(lagos.get_by_test_id("deliver-status")).to_have_text("Delivered.")
    expect(lagos.get_by_test_id("deliver-error")).to_have_text("")
    expect(net_usd).to_have_text("Even in USD")
    expect(net_usd).to_have_attribute("data-debtor", "")
    expect(bar).to_contain_text("pledged 250.00, delivered 250.00, still owed 0.00, held 0.00 (USD)")
    expect(bar).to_have_class("bar-row settled")
    expect(lagos.get_by_test_id(f"held-{LA_PAZ}")).to_have_text("Nothing yet")
    screenshot(la_paz, "circles-pair-even-phone.png")
    pair_head = la_paz.get_by_test_id("head").get_attribute("title")

    # The network page draws what flowed, from the pairs this link may see.
    network = open_page(net.link("circles", LAGOS, ""), *DESKTOP)
    live(network)
    expect(network.get_by_test_id(f"flow-words-{LAGOS}-{LA_PAZ}")).to_have_text(
        "Lagos dockers → La Paz miners: 250.00 USD"
    )
    expect(network.get_by_test_id(f"flow-{LAGOS}-{LA_PAZ}")).to_contain_text("250.00 USD")
    expect(network.get_by_test_id("txn-count")).to_have_text("2 transactions")
    expect(network.get_by_test_id(f"pledge-{LAGOS}-changed")).to_have_text("changed")
    expect(network.get_by_test_id("head")).to_have_attribute("title", pair_head)
    screenshot(network, "circles-network-desktop.png")

    # The ledger: the statement with running balances, the head, a CSV fetched with the header.
    ledger = open_page(net.link("circles", LAGOS, f"/circle/{LAGOS}/ledger"), *PHONE)
    live(ledger)
    expect(ledger.get_by_test_id("line-count")).to_have_text("7 lines")
    expect(ledger.get_by_test_id("head")).to_have_attribute("title", pair_head)
    with ledger.expect_download() as got:
        ledger.get_by_test_id("export-csv").click()
    download = got.value
    assert download.suggested_filename == f"{LAGOS}-ledger.csv"
    csv_text = open(download.path(), encoding="utf-8").read()
    assert "May Day collection" in csv_text and "Tithe for May" in csv_text
    screenshot(ledger, "circles-ledger-phone.png")

    # Integrity: every check passed, and the same head.
    integrity = open_page(net.link("members", MANILA, "/integrity"), *PHONE)
    live(integrity)
    expect(integrity.get_by_test_id("verdict")).to_have_text("Every check passed.")
    expect(integrity.get_by_test_id("check-chain")).to_have_attribute("data-failed", "0")
    expect(integrity.get_by_test_id("head")).to_have_attribute("title", pair_head)
    integrity.get_by_test_id("run").click()
    expect(integrity.get_by_test_id("verdict")).to_have_text("Every check passed.")
    screenshot(integrity, "circles-integrity-phone.png")

    assert_clean(page_log, net.tokens())


def test_a_correction_reverses_and_both_lines_say_so(net, open_page, page_log) -> None:
    net.send(LAGOS, {"type": "record_income", "amount": "80.00", "commodity": "EUR", "narration": "Wrong amount"})
    ledger = open_page(net.link("circles", LAGOS, f"/circle/{LAGOS}/ledger"), *PHONE)
    live(ledger)
    expect(ledger.get_by_test_id("line-count")).to_have_text("5 lines")
    reverse = ledger.get_by_test_id("reverse-t1")
    reverse.click()
    expect(reverse).to_have_text("Really reverse t1?")  # a second click, not a dialog
    reverse.click()
    expect(ledger.get_by_test_id("reverse-status")).to_have_text("Reversed.")
    expect(ledger.get_by_test_id("line-count")).to_have_text("10 lines")
    expect(ledger.locator('[data-testid="line-t1"] [data-testid="reversed"]').first).to_have_text("reversed by t2")
    expect(ledger.locator('[data-testid="line-t2"] [data-testid="reverses"]').first).to_have_text("reverses t1")
    expect(ledger.get_by_test_id("reverse-t1")).to_have_count(0)
    assert_clean(page_log, net.tokens())


def test_the_rally_reader_in_the_readers_language_with_the_translation_status(
    net, open_page, page_log, screenshot
) -> None:
    text = "The port is shut from dawn. We stand with the miners of La Paz."
    net.send(LAGOS, {"type": "post_dispatch", "twin": LA_PAZ, "text": text, "language": "en"})
    es = "El puerto está cerrado desde el alba. Estamos con los mineros de La Paz."
    fr = "Le port est fermé depuis l'aube. Nous sommes avec les mineurs de La Paz."
    net.send(LA_PAZ, {"type": "translate_dispatch", "dispatch": 1, "language": "es", "text": es, "how": "human"})
    net.send(LAGOS, {"type": "translate_dispatch", "dispatch": 1, "language": "fr", "text": fr, "how": "machine"})

    network = open_page(net.link("members", LA_PAZ, ""), *PHONE)
    live(network)
    network.get_by_test_id("read-1").click()
    expect(network).to_have_url(f"{net.server.base}/network/{net.id}/dispatch/1#t={token_of(net.member_link(LA_PAZ))}")
    reader = network
    live(reader)
    status = reader.get_by_test_id("reader-status")
    words = reader.get_by_test_id("reader-text")
    expect(status).to_have_attribute("data-status", "original")
    expect(words).to_have_text(text)

    picker = reader.get_by_test_id("lang-picker")
    picker.select_option("es")
    expect(reader.locator("html")).to_have_attribute("lang", "es")
    expect(status).to_have_attribute("data-status", "human")
    expect(status).to_have_text("Traducido por una persona del inglés.")
    expect(words).to_have_text(es)
    expect(words).to_have_attribute("lang", "es")
    expect(reader.get_by_test_id("reader-from")).to_contain_text("De Lagos dockers a La Paz miners")
    screenshot(reader, "circles-reader-es-phone.png")

    picker.select_option("fr")
    expect(status).to_have_attribute("data-status", "machine")
    expect(words).to_have_text(fr)

    picker.select_option("sw")
    expect(status).to_have_attribute("data-status", "missing")
    expect(words).to_have_text(text)  # the original, with a note
    expect(words).to_have_attribute("lang", "en")
    expect(status).to_contain_text("Kiswahili")
    expect(reader.get_by_test_id("translate-card")).to_be_hidden()  # a member does not translate
    screenshot(reader, "circles-reader-sw-missing-phone.png")

    # The twin's own link adds a Kiswahili translation from the reader; the member's reader follows.
    twin = open_page(net.link("circles", LA_PAZ, "/dispatch/1"), *PHONE)
    live(twin)
    twin.get_by_test_id("lang-picker").select_option("sw")
    expect(twin.get_by_test_id("translate-card")).to_be_visible()
    expect(twin.get_by_test_id("translate-language")).to_have_value("sw")
    sw = "Bandari imefungwa tangu alfajiri. Tuko pamoja na wachimbaji wa La Paz."
    twin.get_by_test_id("translate-text").fill(sw)
    twin.get_by_test_id("translate-submit").click()
    expect(status).to_have_attribute("data-status", "human")
    expect(words).to_have_text(sw)
    expect(reader.locator("html")).to_have_attribute("lang", "sw")
    assert_clean(page_log, net.tokens())


def test_a_members_page_shows_the_books_and_reminders_but_no_forms(net, open_page, page_log, screenshot) -> None:
    net.send(LAGOS, {"type": "record_income", "amount": "400.00", "commodity": "USD"})
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=45)).date().isoformat()
    net.send(LA_PAZ, {"type": "record_income", "amount": "500.00", "commodity": "BOB", "date": long_ago})
    member = open_page(net.member_link(LAGOS), *PHONE)
    live(member)
    expect(member.get_by_test_id("role")).to_have_text("You are: a member of Lagos dockers (read-only)")
    expect(member.get_by_test_id("fund-general")).to_have_text("360.00 USD")
    expect(member.get_by_test_id(f"held-{LA_PAZ}")).to_have_text("40.00 USD")
    # La Paz's tithe to Lagos is past the pair's 30 days: a reminder on both circles' pages
    reminders = member.get_by_test_id("reminders")
    expect(reminders).to_contain_text("La Paz miners owes Lagos dockers 50.00 BOB")
    expect(member.get_by_test_id("forms")).to_be_hidden()
    for form in ("income-form", "deliver-form", "pledge-form", "post-form", "visibility-form"):
        expect(member.get_by_test_id(form)).to_be_hidden()
    expect(member.locator("form:visible")).to_have_count(0)
    expect(member.get_by_test_id("calendar")).to_be_visible()  # its own circle's reminders
    screenshot(member, "circles-member-no-forms-phone.png")

    twin = open_page(net.circle_link(LA_PAZ), *PHONE)
    live(twin)
    expect(twin.get_by_test_id("reminders")).to_contain_text("La Paz miners owes Lagos dockers 50.00 BOB")

    member.get_by_test_id("ledger-link").click()
    live(member)
    expect(member.get_by_test_id("line-count")).to_have_text("7 lines")
    expect(member.locator('[data-testid^="reverse-t"]')).to_have_count(0)
    assert_clean(page_log, net.tokens())


def test_another_circles_member_sees_the_shape_but_no_amount(net, open_page, page_log) -> None:
    net.send(LAGOS, {"type": "record_income", "amount": "1234.00", "commodity": "USD"})
    net.send(LAGOS, {"type": "deliver", "twin": LA_PAZ, "amount": "100.00", "commodity": "USD"})
    stranger = open_page(net.link("members", MANILA, f"/circle/{LAGOS}"), *PHONE)
    live(stranger)
    expect(stranger.get_by_test_id("title")).to_have_text("Lagos dockers")
    expect(stranger.get_by_test_id("no-books")).to_be_visible()
    expect(stranger.get_by_test_id(f"our-pledge-{LA_PAZ}")).to_be_visible()  # the shape is anyone's
    expect(stranger.get_by_test_id(f"pair-link-{LA_PAZ}")).to_have_count(0)
    expect(stranger.get_by_test_id("ledger-link")).to_be_hidden()
    expect(stranger.get_by_test_id("forms")).to_be_hidden()
    body = stranger.locator("main").inner_text()
    for amount in ("1,234", "1234", "1,110", "23.40", "100.00"):
        assert amount not in body, f"{amount} on another circle's page"

    network = open_page(net.link("members", MANILA, ""), *PHONE)
    live(network)
    expect(network.get_by_test_id("flow-none")).to_be_visible()
    expect(network.get_by_test_id(f"pair-link-{PAIR}")).to_have_count(0)
    assert "1,234" not in network.locator("main").inner_text()

    pair = open_page(net.link("members", MANILA, f"/pair/{PAIR}"), *PHONE)
    expect(pair.get_by_test_id("fatal")).to_contain_text("What flows between these twins is not for this link")
    ledger = open_page(net.link("members", MANILA, f"/circle/{LAGOS}/ledger"), *PHONE)
    expect(ledger.get_by_test_id("fatal")).to_contain_text("This circle's books are not for this link")
    assert_clean(page_log, net.tokens(), refused=(403,))
