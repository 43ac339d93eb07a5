"""The browser pages against a real server: the baton moves on the board live, a site link checks in
and posts a dispatch that the public board shows, read-only pages have no controls, the front page
previews and creates a relay (its sample dated ahead of now in every zone), and no page logs an error, breaks the CSP or leaks a link token.
Then what a person reads: who holds the baton for whom after a backup takes over, each row's real
state, who the page acts as (and another link opened in the same tab), an unknown relay, the NOW
label clear of the ticks, a leg's details in view on a phone, the language picker, and the
dispatch field sized by the limit the server sends in its welcome."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import pytest
import pytz
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = (360, 800)
DESKTOP = (1280, 900)
LEAD_A = dt.timedelta(seconds=6)  # site A's leg starts this long after the relay is created
LEAD_B = dt.timedelta(seconds=11)
LEG = dt.timedelta(seconds=60)
CHECK_IN = re.compile(r"^check in", re.IGNORECASE)  # "Check in", "Check in for this site"


def leg_at(start: dt.datetime, tz: str) -> dict[str, str]:
    """A leg starting at the UTC instant ``start``, written in the site's own wall-clock time."""
    local = start.astimezone(pytz.timezone(tz))
    return {
        "date": local.date().isoformat(),
        "start": local.strftime("%H:%M:%S"),
        "duration": f"{int(LEG.total_seconds())}s",
    }


def assert_clean(page_log: Any, secrets: list[str]) -> None:
    assert page_log.errors == [], "\n".join(page_log.errors)
    assert page_log.csp_violations() == []
    for secret in secrets:
        leaked = [u for u in page_log.urls + page_log.referers if secret in u]
        assert leaked == [], f"a link token left the page in a URL or Referer: {leaked}"


def test_board_follows_the_baton_live(mayday_server, open_page, page_log, screenshot) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    a_start, b_start = now + LEAD_A, now + LEAD_B
    relay = mayday_server.create(
        "/api/relays",
        {
            "name": "E2E relay",
            "checkin_grace": "1m",
            "sites": [
                {"id": "a", "name": "Alpha depot", "tz": "UTC", "legs": leg_at(a_start, "UTC")},
                {
                    "id": "b",
                    "name": "Kathmandu garment",
                    "tz": "Asia/Kathmandu",  # +05:45: a local time no whole-hour maths gets right
                    "backup": "a",
                    "legs": leg_at(b_start, "Asia/Kathmandu"),
                },
            ],
        },
    )
    assert relay["board"].endswith(f"/relay/{relay['id']}")

    public = open_page(relay["board"], *DESKTOP)
    expect(public.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=10_000)
    expect(public.get_by_test_id("relay-name")).to_have_text("E2E relay")
    holder = public.get_by_test_id("holder")
    expect(holder).to_have_attribute("data-site", "")
    expect(public.locator("#holder-name")).to_have_text("Nobody yet")
    expect(public.get_by_test_id("next")).to_have_attribute("data-site", "a")
    expect(public.get_by_test_id("countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(public.get_by_test_id("role")).to_have_attribute("data-role", "public")
    expect(public.get_by_role("button", name=CHECK_IN)).to_have_count(0)
    expect(public.get_by_test_id("checkin-button")).to_be_hidden()
    expect(public.get_by_test_id("dispatch-form")).to_be_hidden()
    expect(public.get_by_test_id("checkin-b")).to_have_attribute("data-state", "pending")
    # the Kathmandu leg in its own time: the bar's label carries the local start
    b_local = b_start.astimezone(pytz.timezone("Asia/Kathmandu")).strftime("%H:%M")
    expect(public.get_by_test_id("leg-1")).to_have_attribute("title", re.compile(re.escape(b_local)))

    site = open_page(relay["sites"]["b"], *PHONE)
    expect(site.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=10_000)
    expect(site.get_by_test_id("role")).to_have_attribute("data-role", "site")
    expect(site.get_by_test_id("role")).to_contain_text("Kathmandu garment")
    check_in = site.get_by_test_id("checkin-button")
    expect(check_in).to_be_visible()
    expect(check_in).to_be_enabled()
    expect(check_in).to_have_text("Check in")

    viewer = open_page(relay["viewer"], *PHONE)
    expect(viewer.get_by_test_id("role")).to_have_attribute("data-role", "viewer", timeout=10_000)
    expect(viewer.get_by_role("button", name=CHECK_IN)).to_have_count(0)
    expect(viewer.get_by_test_id("dispatch-form")).to_be_hidden()

    # nobody -> A -> B, live, without reloading
    wait_a = (a_start - dt.datetime.now(dt.UTC)).total_seconds() * 1000 + 8_000
    expect(holder).to_have_attribute("data-site", "a", timeout=wait_a)
    expect(public.locator("#holder-name")).to_have_text("Alpha depot")
    expect(public.get_by_test_id("next")).to_have_attribute("data-site", "b")
    expect(public.get_by_test_id("checkin-a")).to_have_attribute("data-phase", "striking")
    wait_b = (b_start - dt.datetime.now(dt.UTC)).total_seconds() * 1000 + 8_000
    expect(holder).to_have_attribute("data-site", "b", timeout=wait_b)
    expect(public.locator("#holder-name")).to_have_text("Kathmandu garment")
    expect(site.get_by_test_id("holder")).to_have_attribute("data-site", "b")
    expect(viewer.get_by_test_id("holder")).to_have_attribute("data-site", "b")

    # the site checks in; the public board sees it
    check_in.click()
    expect(public.get_by_test_id("checkin-b")).to_have_attribute("data-state", "checked-in", timeout=10_000)
    expect(public.get_by_test_id("checkin-b")).to_contain_text("checked in")
    expect(check_in).to_have_text("Checked in ✓")
    expect(check_in).to_be_disabled()
    expect(site.get_by_test_id("checkin-error")).to_be_hidden()

    # ... and posts a dispatch
    text = f"Gates shut, all out at the Kathmandu plant ({uuid.uuid4().hex[:6]})"
    site.get_by_test_id("dispatch-text").fill(text)
    site.get_by_test_id("dispatch-submit").click()
    expect(site.get_by_test_id("dispatch-status")).to_have_text("Sent.", timeout=10_000)
    expect(site.get_by_test_id("dispatch-text")).to_have_value("")
    first = public.get_by_test_id("feed").get_by_test_id("feed-item").first
    expect(first).to_contain_text(text, timeout=10_000)
    expect(first).to_contain_text("Kathmandu garment")
    expect(viewer.get_by_test_id("feed")).to_contain_text(text)

    # a refused command shows its error next to the control: an empty dispatch is refused here
    site.get_by_test_id("dispatch-submit").click()
    expect(site.get_by_test_id("dispatch-error")).to_have_text("Write something first.")

    screenshot(public, "board-desktop.png")
    public.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    expect(public.get_by_test_id("holder")).to_be_visible()
    screenshot(public, "board-phone.png")
    screenshot(site, "site-phone.png")

    # the coordinators replace site B's link (a lost phone): the open page loses its controls at once
    with mayday_server.api() as client:
        r = client.post(
            f"/api/relays/{relay['id']}/commands",
            json={"type": "rotate_site_link", "site": "b"},
            headers={"authorization": f"Bearer {token_of(relay['coordinator'])}"},
        )
    assert r.status_code == 200, r.text
    expect(site.get_by_test_id("fatal")).to_contain_text("replaced", timeout=10_000)
    expect(site.get_by_test_id("connection")).to_have_attribute("data-state", "failed")
    expect(site.get_by_test_id("checkin-button")).to_be_hidden()
    expect(site.get_by_test_id("dispatch-form")).to_be_hidden()

    tokens = [token_of(relay["viewer"]), token_of(relay["coordinator"]), token_of(relay["sites"]["b"])]
    assert_clean(page_log, tokens)


def test_front_page_previews_and_creates(mayday_server, open_page, page_log, screenshot) -> None:
    anonymous = open_page(f"{mayday_server.base}/", *PHONE)
    expect(anonymous.get_by_test_id("no-admin")).to_be_visible()
    expect(anonymous.get_by_test_id("admin")).to_be_hidden()
    expect(anonymous.get_by_test_id("no-admin")).to_contain_text("mayday invite admin")

    page = open_page(f"{mayday_server.base}/#admin={mayday_server.admin_token}", *DESKTOP)
    expect(page.get_by_test_id("definition")).to_have_value(re.compile("Lagos port"))
    page.get_by_test_id("preview-button").click()
    table = page.get_by_test_id("plan-table")
    expect(table.locator("tbody tr")).to_have_count(3, timeout=10_000)
    expect(table).to_contain_text("(UTC-04:00)")  # La Paz's local times, with their offset
    page.get_by_test_id("create-button").click()
    coordinator = page.get_by_test_id("created-coordinator")
    expect(coordinator).to_have_value(re.compile(r"/relay/[\w-]+#t=\S+"), timeout=10_000)
    expect(page.get_by_test_id("relays")).to_contain_text("Sample relay")
    screenshot(page, "index-desktop.png")
    coordinator_link = coordinator.input_value()

    # the coordinator checks a site in on its behalf (the sample relay starts ahead of now in every one of its zones: its next leg)
    coord = open_page(coordinator_link, *DESKTOP)
    expect(coord.get_by_test_id("role")).to_have_attribute("data-role", "coordinator", timeout=10_000)
    expect(coord.get_by_test_id("checkin-button")).to_be_hidden()
    coord.get_by_test_id("coord-site").select_option("lag")
    coord.get_by_test_id("coord-checkin-button").click()
    expect(coord.get_by_test_id("checkin-lag")).to_have_attribute("data-state", "checked-in", timeout=10_000)
    expect(coord.get_by_test_id("checkin-mnl")).to_have_attribute("data-state", "pending")
    coord.get_by_test_id("dispatch-from").select_option("")
    coord.get_by_test_id("dispatch-text").fill("Coordinators: strike fund is open")
    coord.get_by_test_id("dispatch-submit").click()
    expect(coord.get_by_test_id("feed-item").first).to_contain_text("Coordinators")

    assert_clean(page_log, [mayday_server.admin_token, token_of(coordinator_link)])


@pytest.mark.parametrize("utc_time", ["00:30", "19:59", "22:33", "23:59"])
def test_sample_relay_starts_ahead_in_every_zone(mayday_server, browser, utc_time) -> None:
    """The front page's sample relay opens on a date whose 06:00 has not come yet anywhere it runs:
    at 22:33 UTC, 06:00 in Manila on tomorrow's UTC date is already past (CI once created the sample
    with Manila's check-in missed and its backup holding the leg)."""
    now = dt.datetime.now(dt.UTC)
    fake = dt.datetime.combine(now.date(), dt.time.fromisoformat(utc_time), dt.UTC)
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.clock.set_fixed_time(fake)
        page.goto(f"{mayday_server.base}/#admin={mayday_server.admin_token}")
        definition = page.get_by_test_id("definition")
        expect(definition).to_have_value(re.compile("Lagos port"))
        text = definition.input_value()
    finally:
        context.close()
    date = dt.date.fromisoformat(re.search(r"legs: \{date: (\d{4}-\d{2}-\d{2})", text).group(1))
    assert date <= fake.date() + dt.timedelta(days=2)  # still a near date, not a far one
    for tz in re.findall(r"tz: ([\w/]+)", text):
        zone = pytz.timezone(tz)
        first = zone.localize(dt.datetime.combine(date, dt.time(6))).astimezone(dt.UTC)
        assert first - fake >= dt.timedelta(hours=1), (tz, first, fake)


def hhmmss(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%H:%M:%S")


def test_backup_takeover_says_who_holds_the_baton_for_whom(mayday_server, open_page, page_log) -> None:
    """Auckland misses its check-in and Sydney, its backup, takes the leg over: the board says
    Sydney holds the baton for Auckland, since the takeover, and Auckland's row says it was
    replaced (not "on strike"); then Sydney passes the baton to itself for its own leg."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    a_start = now + dt.timedelta(seconds=4)
    b_start = a_start + dt.timedelta(seconds=14)
    c_start = a_start + dt.timedelta(seconds=40)
    relay = mayday_server.create(
        "/api/relays",
        {
            "name": "Takeover relay",
            "checkin_grace": "2s",  # missed at +2 s, the backup takes the leg at +4 s
            "sites": [
                {
                    "id": "akl",
                    "name": "Auckland dockers",
                    "tz": "Pacific/Auckland",
                    "backup": "syd",
                    "legs": leg_at(a_start, "Pacific/Auckland"),
                },
                {
                    "id": "syd",
                    "name": "Sydney warehouse",
                    "tz": "Australia/Sydney",
                    "legs": leg_at(b_start, "Australia/Sydney"),
                },
                {
                    "id": "rey",
                    "name": "Reykjavik dock",
                    "tz": "Atlantic/Reykjavik",
                    "legs": leg_at(c_start, "Atlantic/Reykjavik"),
                },
            ],
        },
    )
    board = open_page(relay["board"], *DESKTOP)
    expect(board.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=10_000)
    holder = board.get_by_test_id("holder")
    wait = (a_start - dt.datetime.now(dt.UTC)).total_seconds() * 1000 + 12_000
    expect(holder).to_have_attribute("data-for", "akl", timeout=wait)
    expect(holder).to_have_attribute("data-site", "syd")
    expect(board.locator("#holder-name")).to_have_text("Sydney warehouse")
    expect(board.get_by_test_id("holder-for")).to_have_text("Holding the leg of Auckland dockers as its backup")
    since = board.get_by_test_id("holder-since")
    expect(since).to_contain_text("when it took over")
    expect(since).not_to_contain_text(hhmmss(a_start))  # not when the baton reached Auckland
    expect(board.get_by_test_id("holder-chip")).to_have_text("Backup not checked in yet")
    expect(board.locator("#next-name")).to_have_text("Sydney warehouse, for its own leg")

    akl = board.get_by_test_id("checkin-akl")
    expect(akl).to_have_attribute("data-state", "backup")
    expect(akl).to_have_text("replaced by its backup, Sydney warehouse")
    expect(board.get_by_test_id("checkin-syd")).to_contain_text("holding the leg of Auckland dockers as its backup")
    activity = board.get_by_test_id("activity")
    expect(activity).to_contain_text("Auckland dockers missed check-in; backup Sydney warehouse alerted")
    expect(activity).to_contain_text("Sydney warehouse took over the leg of Auckland dockers")
    assert "'s leg" not in board.locator("body").inner_text()

    # the backup checks in for the leg it holds: its chip says so, and so does Auckland's row
    site = open_page(relay["sites"]["syd"], *PHONE)
    expect(site.get_by_test_id("role")).to_have_text("You are: site Sydney warehouse (syd)", timeout=10_000)
    expect(site.get_by_test_id("your-leg")).to_contain_text("You hold this leg as the backup of Auckland dockers.")
    site.get_by_test_id("checkin-button").click()
    expect(board.get_by_test_id("holder-chip")).to_have_text("Checked in", timeout=10_000)
    expect(akl).to_contain_text("replaced by its backup, Sydney warehouse · backup checked in")
    expect(akl).not_to_contain_text("on strike")

    # Sydney's own leg: the baton goes from Sydney-for-Auckland to Sydney
    wait = (b_start - dt.datetime.now(dt.UTC)).total_seconds() * 1000 + 8_000
    expect(activity).to_contain_text("Baton Sydney warehouse, for Auckland dockers → Sydney warehouse", timeout=wait)
    expect(holder).not_to_have_attribute("data-for", "akl")
    expect(board.get_by_test_id("holder-for")).to_be_hidden()
    expect(board.locator("#next-name")).to_have_text("Reykjavik dock")

    # local times: said once for a site on UTC, beside UTC for the others
    coordinator = token_of(relay["coordinator"])
    with mayday_server.api() as client:
        for site_id, text in (("rey", "Harbour gates closed"), ("syd", "Warehouse out")):
            r = client.post(
                f"/api/relays/{relay['id']}/commands",
                json={"type": "dispatch", "site": site_id, "text": text},
                headers={"authorization": f"Bearer {coordinator}"},
            )
            assert r.status_code == 200, r.text
    feed = board.get_by_test_id("feed")
    rey = feed.locator("[data-site=rey] .feed-time")
    expect(rey).to_have_text(re.compile(r"^\d\d:\d\d UTC \(same in Reykjavik dock\)$"), timeout=10_000)
    syd = feed.locator("[data-site=syd] .feed-time")
    expect(syd).to_have_text(re.compile(r"^\d\d:\d\d UTC · \d\d:\d\d in Sydney warehouse$"))
    assert_clean(page_log, [coordinator, token_of(relay["sites"]["syd"])])


def test_the_page_says_who_you_are_and_follows_a_new_link_in_the_tab(mayday_server, open_page, page_log) -> None:
    """Opening another link in the same tab changes only the fragment: the page starts again as
    that link (a site link must never go on checking in as the previous site)."""
    tomorrow = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    relay = mayday_server.create(
        "/api/relays",
        {
            "name": "Identity relay",
            "sites": [
                {"id": "lag", "name": "Lagos port", "tz": "Africa/Lagos", "legs": leg_at(tomorrow, "Africa/Lagos")},
                {
                    "id": "mnl",
                    "name": "Manila call centre",
                    "tz": "Asia/Manila",
                    "legs": leg_at(tomorrow + dt.timedelta(hours=1), "Asia/Manila"),
                },
            ],
        },
    )
    page = open_page(relay["sites"]["lag"], *PHONE)
    role = page.get_by_test_id("role")
    expect(role).to_have_text("You are: site Lagos port (lag)", timeout=10_000)
    expect(role).to_be_visible()
    expect(page.locator("#site-controls-heading")).to_have_text("Your site: Lagos port")

    # the skip link moves the focus but keeps the link (and the page)
    page.evaluate("window.__samePage = true")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__samePage === true && location.hash.startsWith('#t=')")

    for link, text, data_role in (
        (relay["sites"]["mnl"], "You are: site Manila call centre (mnl)", "site"),
        (relay["coordinator"], "You are: coordinator", "coordinator"),
        (relay["viewer"], "You are: viewer (read-only)", "viewer"),
    ):
        page.evaluate("(hash) => { location.hash = hash }", "#t=" + token_of(link))
        expect(role).to_have_text(text, timeout=10_000)
        expect(role).to_have_attribute("data-role", data_role)
        assert page.evaluate("window.__samePage === undefined"), "the page must start again with the new link"
        page.evaluate("window.__samePage = true")
    expect(page.get_by_test_id("checkin-button")).to_be_hidden()

    page.evaluate("location.hash = ''")
    expect(role).to_have_text("You are: public board (read-only)", timeout=10_000)
    expect(role).to_have_attribute("data-role", "public")
    assert_clean(page_log, [token_of(relay["sites"]["lag"]), token_of(relay["coordinator"])])


def test_an_unknown_relay_says_so(mayday_server, open_page, page_log) -> None:
    for path in ("/relay/nope", "/relay/bad!id"):
        page = open_page(f"{mayday_server.base}{path}", *PHONE)
        box = page.get_by_test_id("not-found")
        expect(box).to_be_visible(timeout=10_000)
        expect(box.get_by_role("heading")).to_have_text("There is no relay here")
        expect(box).to_contain_text("Check the link you were sent")
        expect(box.get_by_role("link", name="Go to the front page")).to_have_attribute("href", "/")
        expect(page).to_have_title("Relay not found — Mayday")
        expect(page.get_by_test_id("connection")).to_be_hidden()
    expect(page.get_by_test_id("not-found")).to_contain_text("bad!id")
    assert_clean(page_log, [])


def overlaps(page: Any) -> list[str]:
    """Tick labels in the NOW label's lane: wherever "now" is, it could cover them."""
    return page.evaluate(
        """() => {
        const now = document.querySelector("[data-testid=now-label]").getBoundingClientRect();
        return [...document.querySelectorAll(".tl-tick")].filter((tick) => {
          const r = tick.getBoundingClientRect();
          return r.top < now.bottom && now.top < r.bottom;
        }).map((tick) => tick.textContent);
      }"""
    )


def test_now_label_clear_of_ticks_and_leg_details_in_view_on_a_phone(mayday_server, open_page, page_log) -> None:
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    zones = ["Pacific/Auckland", "Australia/Sydney", "Asia/Manila", "Asia/Dhaka", "Africa/Lagos", "America/La_Paz"]
    sites = []
    for i, tz in enumerate(zones):
        leg = leg_at(start + dt.timedelta(minutes=2 * i), tz)
        leg["duration"] = "5m"
        sites.append({"id": f"s{i}", "name": f"Site {tz.split('/')[1]}", "tz": tz, "legs": leg})
    relay = mayday_server.create("/api/relays", {"name": "Timeline relay", "sites": sites})
    page = open_page(relay["board"], *DESKTOP)
    expect(page.get_by_test_id("timeline")).to_have_class(re.compile("now-inside"), timeout=10_000)
    expect(page.get_by_test_id("now-label")).to_be_visible()
    assert page.locator(".tl-tick").count() >= 2
    assert overlaps(page) == []

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_test_id("now-label")).to_be_visible()
    assert overlaps(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    # the last site's bar, far down the list: its details open on screen, next to it
    bar = page.get_by_test_id("leg-5")
    bar.click()
    details = page.get_by_test_id("leg-details")
    expect(details).to_be_visible()
    expect(details).to_contain_text("Leg 6: Site La_Paz")
    expect(details).to_be_in_viewport(ratio=1)
    expect(bar).to_be_in_viewport()
    box, sheet = bar.bounding_box(), details.bounding_box()
    assert box and sheet and box["y"] + box["height"] <= sheet["y"] + 1, "the sheet covers the bar tapped"
    page.keyboard.press("Escape")
    expect(details).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.testid") == "leg-5"
    assert_clean(page_log, [])


def test_language_picker_translates_the_board_and_is_remembered(mayday_server, open_page, page_log) -> None:
    tomorrow = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    relay = mayday_server.create(
        "/api/relays",
        {
            "name": "Picker relay",
            "sites": [
                {
                    "id": "lpb",
                    "name": "La Paz miners",
                    "tz": "America/La_Paz",
                    "legs": leg_at(tomorrow, "America/La_Paz"),
                }
            ],
        },
    )
    page = open_page(relay["sites"]["lpb"], *PHONE)
    html = page.locator("html")
    expect(page.get_by_test_id("role")).to_have_text("You are: site La Paz miners (lpb)", timeout=10_000)
    picker = page.get_by_test_id("lang-picker")
    expect(picker).to_have_value("en")
    expect(picker.locator("option")).to_have_text(
        ["English", "Español", "Français", "Português", "العربية", "Kiswahili", "Filipino", "हिन्दी"]
    )

    picker.select_option("es")
    expect(html).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("role")).to_have_text("Eres: sitio La Paz miners (lpb)")
    expect(page.get_by_test_id("checkin-button")).to_have_text("Confirmar presencia")
    expect(page.locator("#timeline-heading")).to_have_text("Cronología (UTC)")
    expect(page.get_by_test_id("activity")).to_contain_text("Relevo creado con 1 tramo")  # one, not "1 tramos"

    page.reload()
    expect(html).to_have_attribute("lang", "es")  # remembered on this device
    expect(page.get_by_test_id("role")).to_have_text("Eres: sitio La Paz miners (lpb)", timeout=10_000)

    picker.select_option("ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_test_id("checkin-button")).to_have_text("سجّل الحضور")
    # the timeline runs right to left: bars are placed from the right edge
    assert page.get_by_test_id("leg-0").evaluate("(el) => el.style.right !== '' && el.style.left === ''")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")

    picker.select_option("sw")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_test_id("checkin-button")).to_have_text("Thibitisha uwepo")
    expect(page.get_by_test_id("activity")).to_contain_text("Mpokezano umeundwa na awamu 1")
    assert_clean(page_log, [token_of(relay["sites"]["lpb"])])


def test_the_dispatch_field_takes_its_limit_from_the_welcome(mayday_server, browser, page_log) -> None:
    """The board keeps no copy of the server's limit: the dispatch field's maxlength and its counter
    come from welcome.limits. The welcome is passed on with another limit than the server's, and
    the page follows it."""
    tomorrow = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    relay = mayday_server.create(
        "/api/relays",
        {
            "name": "Limits relay",
            "sites": [{"id": "acc", "name": "Accra port", "tz": "UTC", "legs": leg_at(tomorrow, "UTC")}],
        },
    )
    served: list[dict[str, int]] = []

    def smaller(limits: dict[str, int]) -> dict[str, int]:
        served.append(limits)
        return {**limits, "dispatch": limits["dispatch"] - 123}

    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale="en-GB")
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: page_log.errors.append(f"pageerror: {e}"))
        page.route_web_socket(re.compile(r"/ws/relay/"), lambda ws: pass_welcome(ws, smaller))
        page.goto(relay["sites"]["acc"])
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=10_000)
        assert served and served[0]["dispatch"] > 123, served  # what the server says: {"dispatch": N}
        limit = served[0]["dispatch"] - 123
        field = page.get_by_test_id("dispatch-text")
        expect(field).to_have_attribute("maxlength", str(limit))
        expect(page.locator("#dispatch-count")).to_have_text(f"0 / {limit}")
        field.fill("Gates shut")
        expect(page.locator("#dispatch-count")).to_have_text(f"10 / {limit}")
    finally:
        context.close()
    assert page_log.errors == [], "\n".join(page_log.errors)


def pass_welcome(ws: Any, change: Any) -> None:
    """A page's WebSocket through Playwright to the real server, every frame as it is, but the
    welcome's ``limits`` replaced by ``change(limits)``."""
    server = ws.connect_to_server()
    ws.on_message(lambda message: server.send(message))

    def from_server(message: str | bytes) -> None:
        frame = json.loads(message) if isinstance(message, str) else None
        if isinstance(frame, dict) and frame.get("type") == "welcome":
            message = json.dumps({**frame, "limits": change(frame["limits"])})
        ws.send(message)

    server.on_message(from_server)
