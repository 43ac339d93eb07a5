"""The browser pages against a real server: the baton moves on the board live, a site link checks in
and posts a dispatch that the public board shows, read-only pages have no controls, the front page
previews and creates a relay, and no page logs an error, breaks the CSP or leaks a link token."""

from __future__ import annotations

import datetime as dt
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

    # the coordinator checks a site in on its behalf (the sample relay starts tomorrow: its next leg)
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
