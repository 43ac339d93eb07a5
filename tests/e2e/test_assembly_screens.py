"""Screenshots of every assembly page (chair, delegate, interpreter, watch) in English, Arabic and
Kiswahili, at desktop (1280x800) and phone (390x844) width, of a session in full swing: a speaker
on the floor, a speaking order, an open and a closed ballot (one without quorum), demands in
Spanish, Arabic and Kiswahili with translations, an interpreter live in a booth. Each page speaks
the chosen language (<html lang>, right to left for Arabic, a translated string on screen, none of
the English one) and nothing spills sideways on a phone. The PNGs land in tests/e2e/artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LIVE = 15_000
DESKTOP = (1280, 800)
PHONE = (390, 844)
LOCALES = {"en": "en-GB", "ar": "ar-EG", "sw": "sw-KE"}

DEFINITION = {
    "title": "Global workers' assembly, 1 May 2027",
    "languages": ["en", "es", "ar", "sw", "tl"],
    "speaking_time": {"speech": "20m", "reply": "1m", "point_of_order": "1m"},
    "queue": {"first_time_first": True, "region_rotation": True, "region_budget": "20m"},
    "quorum": 0.5,
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama Owusu", "language": "en"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi Okafor", "site": "lag", "region": "africa", "weight": 2, "language": "en"},
        {"id": "amina", "name": "Amina Juma", "site": "dar", "region": "africa", "language": "sw"},
        {"id": "rosa", "name": "Rosa Quispe", "site": "lpb", "region": "americas", "language": "es"},
        {"id": "karim", "name": "Karim Haddad", "site": "cai", "region": "africa", "language": "ar"},
        {"id": "maria", "name": "Maria Santos", "site": "mnl", "region": "asia", "language": "tl"},
    ],
    "interpreters": [
        {"id": "lucia", "name": "Lucía Fernández", "booth": "es", "understands": ["en", "ar"]},
        {"id": "leila", "name": "Leila Mansour", "booth": "ar", "understands": ["en", "es"]},
    ],
}

# What each page must show in each language (and the English it must not show instead).
EXPECT = {
    "chair": ("order-heading", {"en": "Speaking order", "ar": "ترتيب المتحدثين", "sw": "Orodha ya wazungumzaji"}),
    "delegate": ("raise-hand", {"en": "Raise hand", "ar": "ارفع يدك", "sw": "Inua mkono"}),
    "interpreter": ("booth-heading", {"en": "Booth console", "ar": "لوحة المقصورة", "sw": "Dashibodi ya kibanda"}),
    "watch": (
        "texts-heading",
        {"en": "Demands and amendments", "ar": "المطالب والتعديلات", "sw": "Madai na marekebisho"},
    ),
}
IDENTITY = {
    "chair": {
        "en": "You are: chair Ama Owusu",
        "ar": "أنت: رئيس الجلسة Ama Owusu",
        "sw": "Wewe ni: mwenyekiti Ama Owusu",
    },
    "delegate": {
        "en": "You are: delegate Rosa Quispe (lpb)",
        "ar": "أنت: المندوب Rosa Quispe (lpb)",
        "sw": "Wewe ni: mjumbe Rosa Quispe (lpb)",
    },
    "interpreter": {
        "en": "You are: interpreter Lucía Fernández, ",
        "ar": "أنت: المترجم Lucía Fernández، ",
        "sw": "Wewe ni: mkalimani Lucía Fernández, ",
    },
    "watch": {
        "en": "You are: viewer (public page, read-only)",
        "ar": "أنت: مشاهد (صفحة عامة، للقراءة فقط)",
        "sw": "Wewe ni: mtazamaji (ukurasa wa umma, kusoma tu)",
    },
}


def command(server: Any, link: str, aid: str, body: dict[str, Any]) -> dict[str, Any]:
    with server.api() as client:
        r = client.post(
            f"/api/assemblies/{aid}/commands", json=body, headers={"authorization": f"Bearer {token_of(link)}"}
        )
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def scene(mayday_server: Any) -> tuple[Any, dict[str, Any]]:
    """One assembly in the middle of a session, shared by every screenshot. The speaker's page is
    never opened (a page closed after its screenshot would drop her from the floor after 30 s)."""
    server = mayday_server
    asm = server.create("/api/assemblies", DEFINITION)
    aid = asm["id"]
    chair = asm["chairs"]["ama"]
    d = asm["delegates"]

    def run(body: dict[str, Any], link: str = chair) -> None:
        command(server, link, aid, body)

    for who in ("ngozi", "amina", "rosa", "karim"):
        run({"type": "attend", "person": who, "present": True})
    run(
        {"type": "propose_demand", "language": "es", "text": "Semana laboral de 35 horas sin pérdida de salario"},
        d["rosa"],
    )
    run({"type": "propose_demand", "language": "ar", "text": "لا فصل بسبب المشاركة في الإضراب"}, d["karim"])
    run(
        {"type": "propose_demand", "language": "sw", "text": "Mshahara sawa kwa kazi sawa katika kila tawi"}, d["amina"]
    )
    lucia = asm["interpreters"]["lucia"]
    run(
        {"type": "translate", "id": "d2", "language": "es", "text": "Ningún despido por participar en la huelga"}, lucia
    )
    run(
        {"type": "translate", "id": "d2", "language": "en", "text": "No dismissal for taking part in the strike"},
        d["karim"],
    )
    run({"type": "translate", "id": "d1", "language": "en", "text": "A 35-hour week with no loss of pay"}, d["rosa"])
    # a ballot that fails on quorum (90 % of the weight present must take part)
    run({"type": "open_ballot", "target": "d1", "quorum": "0.9"})
    run({"type": "vote", "ballot": 1, "choice": "yes"}, d["rosa"])
    run({"type": "close_ballot", "ballot": 1})
    run({"type": "open_ballot", "target": "d2"})
    run({"type": "vote", "ballot": 2, "choice": "yes"}, d["ngozi"])
    run({"type": "vote", "ballot": 2, "choice": "abstain"}, d["amina"])
    for who in ("karim", "amina", "rosa", "ngozi"):
        run({"type": "raise_hand", "person": who, "kind": "speech"})
    run({"type": "grant_floor", "entry": 4})  # Ngozi speaks; three wait
    run({"type": "set_floor_language", "language": "en"})
    run({"type": "set_booth", "booth": "ar", "interpreter": "leila"})
    return server, asm


def page_url(asm: dict[str, Any], kind: str) -> str:
    return {
        "chair": asm["chairs"]["ama"],
        "delegate": asm["delegates"]["rosa"],
        "interpreter": asm["interpreters"]["lucia"],
        "watch": asm["watch"],
    }[kind]


@pytest.mark.parametrize("lang", ["en", "ar", "sw"])
def test_assembly_pages_in_three_languages_at_two_widths(scene, browser, page_log, screenshot, lang) -> None:
    _, asm = scene
    for label, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=LOCALES[lang])
        # the choice a person makes with the picker, remembered on the device
        context.add_init_script(f"localStorage.setItem('mayday.lang', JSON.stringify('{lang}'))")
        try:
            for kind in ("chair", "delegate", "interpreter", "watch"):
                page = context.new_page()
                page.on("pageerror", lambda e: page_log.errors.append(f"pageerror: {e}"))
                page.on("console", lambda m: page_log.errors.append(m.text) if m.type == "error" else None)
                page.goto(page_url(asm, kind))
                expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE)
                html = page.locator("html")
                expect(html).to_have_attribute("lang", lang)
                expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
                testid, words = EXPECT[kind]
                shown = page.locator(f"#{testid}") if kind != "delegate" else page.get_by_test_id(testid)
                expect(shown).to_be_visible()
                expect(shown).to_have_text(words[lang])
                expect(page.get_by_test_id("role")).to_contain_text(IDENTITY[kind][lang])
                expect(page.get_by_test_id("floor-speaker")).to_have_text("Ngozi Okafor")
                # no English left where a translation belongs (a few words that only English has)
                if lang != "en":
                    body = page.locator("#app").inner_text()
                    for english in ("Speaking order", "Nobody", "waiting", "Ballot ", "Demand ", "proposed"):
                        assert english not in body, f"{kind} {lang} {label}: {english!r} in\n{body}"
                # names stay whole inside sentences of the other direction
                if kind != "watch":
                    name = {"chair": "Ama Owusu", "delegate": "Rosa Quispe", "interpreter": "Lucía Fernández"}[kind]
                    expect(page.get_by_test_id("role").locator("bdi").first).to_have_text(name)
                if label == "phone":
                    width_used = page.evaluate("document.documentElement.scrollWidth")
                    assert width_used <= PHONE[0], f"{kind} {lang}: {width_used} px wide on a {PHONE[0]} px phone"
                page.wait_for_timeout(300)  # fonts and the last render
                screenshot(page, f"assembly-{kind}-{lang}-{label}.png")
                page.close()
        finally:
            context.close()
    assert page_log.errors == [], "\n".join(page_log.errors)
