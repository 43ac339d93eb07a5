"""The six circles' pages on a phone (390x844) in English, Arabic (right to left) and Kiswahili,
with something in every part of them (income, a delivery, a pledge changed, an overdue tithe, a
dispatch with a translation), into tests/e2e/artifacts/circles-<page>-<language>-phone.png. Each
screenshot is checked first: <html lang> and dir follow the picker, a heading reads in that
language, nothing spills sideways; and no page logged an error, broke the CSP or sent a link
token in a URL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect
from test_circles_pages import LA_PAZ, LAGOS, PAIR, PHONE, Net, assert_clean, live

pytestmark = pytest.mark.browser

# page -> (path after /network/{id}, a heading's id, what it reads in en, ar, sw)
PAGES = {
    "network": ("", "circles-heading", {"en": "Circles", "ar": "الحلقات", "sw": "Maduara"}),
    "circle": (f"/circle/{LAGOS}", "twins-heading", {"en": "Twins", "ar": "التوائم", "sw": "Mapacha"}),
    "pair": (
        f"/pair/{PAIR}",
        "net-heading",
        {"en": "Who owes whom", "ar": "من المدين لمن", "sw": "Nani anadaiwa na nani"},
    ),
    "ledger": (
        f"/circle/{LAGOS}/ledger",
        "lines-heading",
        {"en": "Statement", "ar": "كشف الحساب", "sw": "Taarifa ya hesabu"},
    ),
    "integrity": (
        "/integrity",
        "checks-heading",
        {"en": "What was checked", "ar": "ما تم فحصه", "sw": "Kilichohakikiwa"},
    ),
    "reader": (
        "/dispatch/1",
        "translate-heading",
        {"en": "Add a translation", "ar": "أضف ترجمة", "sw": "Ongeza tafsiri"},
    ),
}


@pytest.fixture
def busy(mayday_server: Any) -> Net:
    """A network with a bit of everything the pages show."""
    net = Net(mayday_server)
    net.send(LAGOS, {"type": "set_pledge", "twin": LA_PAZ, "shares": {"money": "0.25"}})
    net.send(
        LAGOS, {"type": "record_income", "amount": "1200.00", "commodity": "USD", "narration": "May Day collection"}
    )
    net.send(LAGOS, {"type": "record_income", "amount": "40", "commodity": "DAYS", "source": "donations"})
    net.send(LAGOS, {"type": "deliver", "twin": LA_PAZ, "amount": "100.00", "commodity": "USD"})
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).date().isoformat()
    net.send(LA_PAZ, {"type": "record_income", "amount": "3500.00", "commodity": "BOB", "date": long_ago})
    text = "Gates 1-4 shut since dawn; the cranes are still. Solidarity from Lagos to the miners of La Paz!"
    net.send(LAGOS, {"type": "post_dispatch", "twin": LA_PAZ, "text": text, "language": "en"})
    es = "Las puertas 1-4 cerradas desde el alba; las grúas están quietas. ¡Solidaridad de Lagos a los mineros de La Paz!"
    net.send(LA_PAZ, {"type": "translate_dispatch", "dispatch": 1, "language": "es", "text": es})
    return net


@pytest.mark.parametrize("language", ["en", "ar", "sw"])
def test_every_circles_page_on_a_phone(language, busy, open_page, page_log, screenshot) -> None:
    for name, (path, heading, words) in PAGES.items():
        page = open_page(busy.link("circles", LAGOS, path), *PHONE)
        live(page)
        page.get_by_test_id("lang-picker").select_option(language)
        html = page.locator("html")
        expect(html).to_have_attribute("lang", language)
        expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        expect(page.locator(f"#{heading}")).to_have_text(words[language])
        expect(page.get_by_test_id("title")).not_to_be_empty()
        if name == "reader":
            expect(page.get_by_test_id("reader-status")).to_have_attribute(
                "data-status", "original" if language == "en" else "missing"
            )
        if name == "pair":
            expect(page.get_by_test_id("pair-bar-svg").first).to_be_visible()
        if name == "network":
            expect(page.get_by_test_id("flow-svg")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), f"{name} spills sideways"
        screenshot(page, f"circles-{name}-{language}-phone.png")
    assert_clean(page_log, busy.tokens())
