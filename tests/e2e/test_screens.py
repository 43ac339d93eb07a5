"""Screenshots of the relay board and the admin page in English, Arabic and Kiswahili, at desktop
(1280x800) and phone (390x844) width, into tests/e2e/artifacts/. Each page is opened by a browser
whose own language is that one (the pages default to it), and each screenshot is checked first:
the page says it is in that language (<html lang>, dir="rtl" for Arabic), a translated text is
visible, and nothing spills sideways on the phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import pytz
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}

# every security-policy violation, as tests/e2e/conftest.py records them
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""

# what a person reads, in each language: the board's identity line and timeline heading, and the
# admin page's list of relays
SEEN = {
    "en": {
        "dir": "ltr",
        "you_are": "You are: public board (read-only)",
        "timeline": "Timeline (UTC)",
        "relays": "Relays on this server",
        "replaced": "replaced by its backup, Lagos port",
    },
    "ar": {
        "dir": "rtl",
        "you_are": "أنت: اللوحة العامة (للقراءة فقط)",
        "timeline": "الخط الزمني (UTC)",
        "relays": "التتابعات على هذا الخادم",
        "replaced": "تولّاها البديل",
    },
    "sw": {
        "dir": "ltr",
        "you_are": "Wewe ni: ubao wa umma (kusoma tu)",
        "timeline": "Ratiba (UTC)",
        "relays": "Mipokezano kwenye seva hii",
        "replaced": "imechukuliwa na kituo mbadala, Lagos port",
    },
}


def leg(start: dt.datetime, tz: str, minutes: int) -> dict[str, str]:
    local = start.astimezone(pytz.timezone(tz))
    return {"date": local.date().isoformat(), "start": local.strftime("%H:%M:%S"), "duration": f"{minutes}m"}


@pytest.fixture(scope="module")
def relay(mayday_server: Any) -> dict[str, Any]:
    """A relay under way: Manila missed its check-in and Lagos, its backup, holds its leg; La Paz
    and Dhaka are still to come; two dispatches in the feed."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    created = mayday_server.create(
        "/api/relays",
        {
            "name": "May Day relay",
            "checkin_grace": "30s",
            "sites": [
                {
                    "id": "mnl",
                    "name": "Manila call centre",
                    "tz": "Asia/Manila",
                    "backup": "lag",
                    "legs": leg(now - dt.timedelta(minutes=3), "Asia/Manila", 20),
                },
                {
                    "id": "lag",
                    "name": "Lagos port",
                    "tz": "Africa/Lagos",
                    "legs": leg(now + dt.timedelta(minutes=10), "Africa/Lagos", 20),
                },
                {
                    "id": "dhk",
                    "name": "Dhaka garment",
                    "tz": "Asia/Dhaka",
                    "legs": leg(now + dt.timedelta(minutes=15), "Asia/Dhaka", 20),
                },
                {
                    "id": "lpb",
                    "name": "La Paz miners",
                    "tz": "America/La_Paz",
                    "legs": leg(now + dt.timedelta(minutes=25), "America/La_Paz", 20),
                },
            ],
        },
    )
    coordinator = created["coordinator"].split("#t=", 1)[1]
    with mayday_server.api() as client:
        for site, text in (("lag", "Gates 1-4 shut, pickets at the ferry"), (None, "Strike fund open for Manila")):
            command = {"type": "dispatch", "text": text, **({"site": site} if site else {})}
            r = client.post(
                f"/api/relays/{created['id']}/commands",
                json=command,
                headers={"authorization": f"Bearer {coordinator}"},
            )
            assert r.status_code == 200, r.text
    return created


@pytest.fixture
def page_in(browser: Any) -> Iterator[Any]:
    """page_in(language, url) -> (page, errors): a page in a browser whose own language is
    `language`, and the list its console errors and uncaught exceptions go to."""
    contexts: list[Any] = []

    def _open(language: str, url: str) -> tuple[Any, list[str]]:
        width, height = SIZES["desktop"]
        context = browser.new_context(viewport={"width": width, "height": height}, locale=language)
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(CSP_PROBE)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "assert") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        return page, errors

    yield _open
    for context in contexts:
        context.close()


def check(page: Any, language: str, width: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", SEEN[language]["dir"])
    expect(page.get_by_test_id("lang-picker")).to_have_value(language)
    if width == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "the page spills sideways"


@pytest.mark.parametrize("language", ["en", "ar", "sw"])
def test_board_and_admin_page_screens(language, mayday_server, relay, page_in, screenshot) -> None:
    seen = SEEN[language]
    board, board_errors = page_in(language, relay["board"])
    expect(board.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=10_000)
    expect(board.get_by_test_id("holder")).to_have_attribute("data-site", "lag")  # Lagos holds Manila's leg
    expect(board.get_by_test_id("feed-item")).to_have_count(2)
    for width, (w, h) in SIZES.items():
        board.set_viewport_size({"width": w, "height": h})
        check(board, language, width)
        expect(board.get_by_test_id("role")).to_have_text(seen["you_are"])
        expect(board.locator("#timeline-heading")).to_have_text(seen["timeline"])
        expect(board.get_by_test_id("checkin-mnl")).to_contain_text(seen["replaced"])
        screenshot(board, f"board-{language}-{width}.png")

    admin, admin_errors = page_in(language, f"{mayday_server.base}/#admin={mayday_server.admin_token}")
    expect(admin.get_by_test_id("relays")).to_contain_text("May Day relay", timeout=10_000)
    admin.get_by_test_id(f"links-button-{relay['id']}").click()
    expect(admin.get_by_test_id(f"links-{relay['id']}-coordinator")).to_have_value(relay["coordinator"])
    for width, (w, h) in SIZES.items():
        admin.set_viewport_size({"width": w, "height": h})
        check(admin, language, width)
        expect(admin.locator("#relays-heading")).to_have_text(seen["relays"])
        screenshot(admin, f"index-{language}-{width}.png")

    assert board_errors == admin_errors == []
    for page in (board, admin):
        assert page.evaluate("window.__cspViolations") == []
