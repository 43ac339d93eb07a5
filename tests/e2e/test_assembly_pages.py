"""What people see on the assembly pages (issue 9, the assembly side), in Chromium against a real
server:

- every served language (en es fr pt ar sw fil hi) on a delegate's phone through the shared picker,
  <html lang>/dir following it, plural forms by count, and the browser's (or the participant's)
  language by default, Filipino included when a definition says "tl";
- who you are, on every page; another link opened in the same tab (only #t= changes) is a new
  identity; the skip link keeps the link token;
- a participant's page without its link token, or with another role's link, says it is read-only
  and why; an assembly that does not exist says so and offers no minutes;
- a ballot that failed on quorum reads "no quorum" (not "rejected") and can be put to a new ballot;
- a secret ballot opened over rare weights: the chair's two ways on (spaced buttons), and the
  delegate is told before voting that their choice may be inferable;
- names isolated with <bdi> in sentences of the other direction (Arabic page, Latin names);
- the chair console on a phone: the running meeting first, booths, people and links folded away;
- participant_dropped: an interpreter and a speaker whose browsers are gone for the drop grace (30 s; 8 s here); the chair sees
  who dropped and what happened, the booth partner learns they are live, the speaker and the
  interpreter learn why when they come back;
- the fields sized by the limits the server sends in its welcome, not by numbers of the pages' own.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import pytest
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LIVE = 15_000
PHONE = (390, 844)
DESKTOP = (1280, 900)
DROP_WAIT = 30_000  # ms: the server's drop grace (8 s here), its timer and the pages' catching up

SERVED = ["en", "es", "fr", "pt", "ar", "sw", "fil", "hi"]
RAISE_HAND = {
    "en": "Raise hand",
    "es": "Levantar la mano",
    "fr": "Lever la main",
    "pt": "Levantar a mão",
    "ar": "ارفع يدك",
    "sw": "Inua mkono",
    "fil": "Magtaas ng kamay",
    "hi": "हाथ उठाएँ",
}
YOU_ARE_ROSA = {
    "en": "You are: delegate Rosa Quispe (lpb)",
    "es": "Eres: delegada/o Rosa Quispe (lpb)",
    "fr": "Vous êtes : délégué·e Rosa Quispe (lpb)",
    "pt": "Você é: delegada/o Rosa Quispe (lpb)",
    "ar": "أنت: المندوب Rosa Quispe (lpb)",
    "sw": "Wewe ni: mjumbe Rosa Quispe (lpb)",
    "fil": "Ikaw ay: delegado Rosa Quispe (lpb)",
    "hi": "आप हैं: प्रतिनिधि Rosa Quispe (lpb)",
}
NO_QUORUM = {"en": "no quorum", "es": "sin quórum", "sw": "hakuna akidi", "ar": "لم يكتمل النصاب"}

DEFINITION = {
    "title": "Pages assembly",
    "languages": ["en", "es", "ar", "sw", "tl"],
    "speaking_time": {"speech": "5m", "reply": "1m", "point_of_order": "1m"},
    "quorum": 0.5,
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama Owusu", "language": "en"}],
    "delegates": [
        {"id": "rosa", "name": "Rosa Quispe", "site": "lpb", "region": "americas", "language": "es"},
        {"id": "ngozi", "name": "Ngozi Okafor", "site": "lag", "region": "africa", "weight": 2, "language": "en"},
        {"id": "karim", "name": "كريم حداد", "site": "cai", "region": "africa", "language": "ar"},
        {"id": "maria", "name": "Maria Santos", "site": "mnl", "region": "asia", "language": "tl"},
    ],
    "interpreters": [
        {"id": "lucia", "name": "Lucía Fernández", "booth": "es", "understands": ["en"]},
        {"id": "marta", "name": "Marta Ríos", "booth": "es", "understands": ["en"]},
    ],
}


def live(page: Any) -> None:
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE)


def run(server: Any, asm: dict[str, Any], body: dict[str, Any], link: str | None = None) -> dict[str, Any]:
    """A command over REST, as the chair unless another link is given."""
    link = link or asm["chairs"]["ama"]
    with server.api() as client:
        r = client.post(
            f"/api/assemblies/{asm['id']}/commands",
            json=body,
            headers={"authorization": f"Bearer {token_of(link)}"},
        )
    assert r.status_code == 200, r.text
    return r.json()


def no_errors(page_log: Any) -> None:
    assert page_log.errors == [], "\n".join(page_log.errors)
    assert page_log.csp_violations() == []


# Languages -----------------------------------------------------------------------------------


def test_every_served_language_on_a_delegates_phone(mayday_server, open_page, page_log, screenshot) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    rosa = open_page(asm["delegates"]["rosa"], *PHONE)
    live(rosa)
    html = rosa.locator("html")
    # the participant's own language first (Rosa's is Spanish), before anything is chosen
    expect(html).to_have_attribute("lang", "es")
    picker = rosa.get_by_test_id("lang-picker")
    assert picker.locator("option").evaluate_all("os => os.map((o) => o.value)") == SERVED
    for lang in SERVED:
        picker.select_option(lang)
        expect(html).to_have_attribute("lang", lang)
        expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        expect(rosa.get_by_test_id("raise-hand")).to_have_text(RAISE_HAND[lang])
        expect(rosa.get_by_test_id("role")).to_have_text(YOU_ARE_ROSA[lang])
        shown = rosa.locator("#app").inner_text()
        raw = re.findall(r"\b[a-z]+_[a-z_]+\b", shown)  # a key shown instead of its words
        assert raw == [], f"{lang}: {raw}"
        assert rosa.evaluate("document.documentElement.scrollWidth") <= PHONE[0], lang
    screenshot(rosa, "assembly-pages-delegate-hi-phone.png")
    # the choice stays on this device: a reload keeps Hindi
    rosa.reload()
    live(rosa)
    expect(html).to_have_attribute("lang", "hi")
    no_errors(page_log)


def test_default_language_browser_and_participant(mayday_server, browser, page_log) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    seen = {}
    for locale, url, want in (
        ("sw-TZ", asm["watch"], "sw"),
        ("hi-IN", asm["watch"], "hi"),
        ("fil-PH", asm["watch"], "fil"),
        ("en-GB", asm["delegates"]["maria"], "fil"),  # the definition says "tl": Filipino pages
        ("fr-FR", asm["delegates"]["karim"], "ar"),
    ):
        context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, locale=locale)
        try:
            page = context.new_page()
            page.on("pageerror", lambda e: page_log.errors.append(str(e)))
            page.goto(url)
            live(page)
            expect(page.locator("html")).to_have_attribute("lang", want)
            seen[locale] = page.get_by_test_id("role").inner_text()
        finally:
            context.close()
    assert seen["sw-TZ"] == "Wewe ni: mtazamaji (ukurasa wa umma, kusoma tu)"
    assert seen["fil-PH"] == "Ikaw ay: manonood (pampublikong pahina, pagbasa lang)"
    assert seen["en-GB"] == "Ikaw ay: delegado Maria Santos (mnl)"
    no_errors(page_log)


def test_plural_forms_and_numbers_follow_the_language(mayday_server, open_page, page_log) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    chair = open_page(asm["chairs"]["ama"], *DESKTOP)
    live(chair)
    summary = chair.get_by_test_id("present-summary")
    expect(summary).to_have_text("0 of 4 delegates present (weight 0)")
    run(mayday_server, asm, {"type": "attend", "person": "ngozi", "present": True})
    expect(summary).to_have_text("1 of 4 delegates present (weight 2)")
    run(
        mayday_server,
        asm,
        {"type": "propose_demand", "language": "en", "text": "Strike fund"},
        asm["delegates"]["ngozi"],
    )
    run(mayday_server, asm, {"type": "open_ballot", "target": "d1"})
    voters = chair.get_by_test_id("ballot-1").get_by_test_id("voters")
    expect(voters).to_have_text("0 voted")
    run(mayday_server, asm, {"type": "vote", "ballot": 1, "choice": "yes"}, asm["delegates"]["ngozi"])
    expect(voters).to_have_text("1 voted")
    chair.get_by_test_id("lang-picker").select_option("es")
    expect(voters).to_have_text("1 votó")
    run(mayday_server, asm, {"type": "vote", "ballot": 1, "choice": "no"}, asm["delegates"]["rosa"])
    expect(voters).to_have_text("2 votaron")
    chair.get_by_test_id("lang-picker").select_option("ar")
    expect(voters).to_have_text("صوّت شخصان")  # Arabic's dual
    chair.get_by_test_id("lang-picker").select_option("fr")
    expect(chair.get_by_test_id("booths-state")).to_have_text("0 en direct sur 5")
    run(mayday_server, asm, {"type": "attend", "person": "rosa", "present": True})
    expect(summary).to_have_text("Présent·es : 2 sur 4 délégué·es (poids 3)")
    no_errors(page_log)


# Who you are ------------------------------------------------------------------------------------


def test_who_you_are_and_another_link_in_the_same_tab(mayday_server, open_page, page_log) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    page = open_page(asm["delegates"]["rosa"], *PHONE)
    live(page)
    page.get_by_test_id("lang-picker").select_option("en")
    role = page.get_by_test_id("role")
    expect(role).to_have_text("You are: delegate Rosa Quispe (lpb)")
    # the skip link moves focus without replacing the fragment (and the link token with it)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#t=" + token_of(asm["delegates"]["rosa"])
    # another link pasted into the same tab: only the fragment changes, and the page is Ngozi's
    welcomes = page.evaluate("window.mayday.page.welcomes")
    assert welcomes >= 1
    page.evaluate("(t) => { location.hash = '#t=' + t; }", token_of(asm["delegates"]["ngozi"]))
    expect(role).to_have_text("You are: delegate Ngozi Okafor (lag)", timeout=LIVE)
    live(page)
    assert page.evaluate("window.mayday.page.subject") == "ngozi"
    page.get_by_test_id("attend").click()
    expect(page.get_by_test_id("presence")).to_have_attribute("data-present", "true")
    # every page says who you are
    for url, want in (
        (asm["chairs"]["ama"], "You are: chair Ama Owusu"),
        (asm["interpreters"]["lucia"], "You are: interpreter Lucía Fernández, Spanish booth"),
        (asm["viewer"], "You are: viewer (read-only)"),
        (asm["watch"], "You are: viewer (public page, read-only)"),
    ):
        other = open_page(url, *PHONE)
        live(other)
        other.get_by_test_id("lang-picker").select_option("en")
        expect(other.get_by_test_id("role")).to_have_text(want)
    no_errors(page_log)


def test_pages_without_their_link_say_they_are_read_only(mayday_server, open_page, page_log, screenshot) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    bare = asm["delegates"]["rosa"].split("#", 1)[0]
    page = open_page(bare, *PHONE)
    live(page)
    notice = page.get_by_test_id("readonly-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("data-reason", "no-token")
    expect(notice).to_contain_text("Read-only. This address has no link token")
    expect(notice).to_contain_text("Open the link you were sent")
    expect(page.get_by_test_id("role")).to_have_text("You are: viewer (public page, read-only)")
    for testid in ("attend", "raise-hand", "propose-form", "presence", "me-name"):
        expect(page.get_by_test_id(testid)).to_be_hidden()
    screenshot(page, "assembly-pages-delegate-without-link-phone.png")
    # another role's link on the delegate page: which link it is, and where it works
    viewer_here = open_page(asm["viewer"].replace("/watch#", "/delegate#"), *PHONE)
    live(viewer_here)
    notice = viewer_here.get_by_test_id("readonly-notice")
    expect(notice).to_have_attribute("data-reason", "other-link")
    expect(notice).to_contain_text("This is a viewer link")
    expect(viewer_here.get_by_test_id("readonly-open")).to_have_attribute(
        "href", re.compile(rf"/assembly/{asm['id']}/watch#t=")
    )
    # the chair console without a link: no chair controls, and the notice
    chair = open_page(asm["chairs"]["ama"].split("#", 1)[0], *DESKTOP)
    live(chair)
    expect(chair.get_by_test_id("readonly-notice")).to_contain_text("cannot run it")
    expect(chair.get_by_test_id("grant-next")).to_be_hidden()
    # the delegate's own link: no notice
    rosa = open_page(asm["delegates"]["rosa"], *PHONE)
    live(rosa)
    expect(rosa.get_by_test_id("readonly-notice")).to_be_hidden()
    # an assembly only link holders may watch: the delegate page without its link cannot open
    private = mayday_server.create("/api/assemblies", {**DEFINITION, "viewers": "link"})
    closed = open_page(private["delegates"]["rosa"].split("#", 1)[0], *PHONE)
    expect(closed.get_by_test_id("fatal")).to_contain_text("This page needs your own link", timeout=LIVE)
    no_errors_but_refused(page_log)


def no_errors_but_refused(page_log: Any) -> None:
    """A socket the server refuses (no link on a link-only assembly) is logged by Chromium."""
    page_log.errors[:] = [e for e in page_log.errors if "/ws/assembly/" not in e]
    no_errors(page_log)


def test_an_assembly_that_does_not_exist(mayday_server, open_page, page_log, screenshot) -> None:
    for kind in ("chair", "delegate", "interpreter", "watch"):
        page = open_page(f"{mayday_server.base}/assembly/no-such-assembly/{kind}#t=abc", *PHONE)
        heading = page.get_by_test_id("not-found-heading")
        expect(heading).to_have_text("Assembly not found", timeout=LIVE)
        expect(page.get_by_test_id("fatal")).to_contain_text("There is no assembly with this id")
        expect(page.get_by_role("link", name="Go to the front page")).to_have_attribute("href", "/")
        for testid in ("minutes-md", "minutes-json", "connection"):
            expect(page.get_by_test_id(testid)).to_be_hidden()
        expect(page.get_by_text("Open the public page instead")).to_have_count(0)
        assert page.title() == "Assembly not found — Mayday"
        if kind == "watch":
            page.get_by_test_id("lang-picker").select_option("sw")
            expect(heading).to_have_text("Mkutano haukupatikana")
            expect(page.locator("html")).to_have_attribute("lang", "sw")
            screenshot(page, "assembly-pages-not-found-sw-phone.png")
    no_errors_but_refused(page_log)


# Labels -----------------------------------------------------------------------------------------


def test_no_quorum_is_not_rejected_and_can_be_voted_again(mayday_server, open_page, page_log) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    chair = open_page(asm["chairs"]["ama"], *DESKTOP)
    ngozi = open_page(asm["delegates"]["ngozi"], *PHONE)
    viewer = open_page(asm["watch"], *PHONE)
    for page in (chair, ngozi, viewer):
        live(page)
    for who in ("rosa", "ngozi", "karim"):
        run(mayday_server, asm, {"type": "attend", "person": who, "present": True})
    ngozi.get_by_test_id("propose-text").fill("A strike fund for every site")
    ngozi.get_by_test_id("propose-submit").click()
    d1 = chair.get_by_test_id("text-d1")
    expect(d1).to_be_visible()
    d1.get_by_test_id("open-ballot").locator("summary").click()
    d1.get_by_test_id("ob-quorum").fill("90")
    d1.get_by_test_id("ob-submit").click()
    ngozi.get_by_test_id("ballot-1").get_by_test_id("vote-yes").click()  # weight 2 of 4 present: no quorum
    expect(chair.get_by_test_id("ballot-1").get_by_test_id("voters")).to_have_attribute("data-n", "1")
    chair.get_by_test_id("ballot-1").get_by_test_id("close-ballot").click()
    for page in (chair, ngozi, viewer):
        status = page.get_by_test_id("text-d1").locator(".text-status")
        expect(status).to_have_attribute("data-status", "no_quorum")
        expect(page.get_by_test_id("ballot-1").get_by_test_id("outcome")).to_have_text("No quorum")
    expect(chair.get_by_test_id("text-d1").locator(".text-status")).to_have_text(NO_QUORUM["en"])
    expect(ngozi.get_by_test_id("text-d1").locator(".text-status")).to_have_text(NO_QUORUM["en"])
    for lang in ("es", "sw", "ar"):
        viewer.get_by_test_id("lang-picker").select_option(lang)
        expect(viewer.get_by_test_id("text-d1").locator(".text-status")).to_have_text(NO_QUORUM[lang])
    # it decided nothing: the chair can put it to a new ballot, and the proposer can still amend it
    expect(d1.get_by_test_id("open-ballot")).to_be_visible()
    expect(ngozi.get_by_test_id("text-d1").get_by_test_id("edit")).to_be_visible()
    d1.get_by_test_id("ob-quorum").fill("50")
    d1.get_by_test_id("ob-submit").click()
    ngozi.get_by_test_id("ballot-2").get_by_test_id("vote-yes").click()
    expect(chair.get_by_test_id("ballot-2").get_by_test_id("voters")).to_have_attribute("data-n", "1")
    chair.get_by_test_id("ballot-2").get_by_test_id("close-ballot").click()
    expect(viewer.get_by_test_id("text-d1")).to_have_attribute("data-status", "adopted")
    expect(d1.get_by_test_id("open-ballot")).to_be_hidden()
    no_errors(page_log)


def test_secret_ballot_over_rare_weights(mayday_server, open_page, page_log, screenshot) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    chair = open_page(asm["chairs"]["ama"], *DESKTOP)
    ngozi = open_page(asm["delegates"]["ngozi"], *PHONE)
    rosa = open_page(asm["delegates"]["rosa"], *PHONE)
    for page in (chair, ngozi, rosa):
        live(page)
    rosa.get_by_test_id("lang-picker").select_option("en")
    for text in ("Equal pay for equal work", "No dismissal for striking"):
        run(mayday_server, asm, {"type": "propose_demand", "language": "en", "text": text}, asm["delegates"]["ngozi"])
    d1 = chair.get_by_test_id("text-d1")
    d1.get_by_test_id("open-ballot").locator("summary").click()
    d1.get_by_test_id("ob-secret").check()
    d1.get_by_test_id("ob-submit").click()
    proceed = d1.get_by_test_id("weight-proceed")
    instead = d1.get_by_test_id("weight-open-instead")
    expect(proceed).to_have_text("Proceed as secret anyway")
    expect(instead).to_have_text("Open as an open ballot")
    expect(d1.get_by_test_id("weight-warning")).to_contain_text("weight 2: Ngozi Okafor")
    a, b = proceed.bounding_box(), instead.bounding_box()
    gap = b["x"] - (a["x"] + a["width"]) if abs(a["y"] - b["y"]) < 4 else b["y"] - (a["y"] + a["height"])
    assert gap >= 8, f"the two buttons touch: {a} {b}"
    screenshot(chair, "assembly-pages-weight-warning-desktop.png")
    proceed.click()
    warning = ngozi.get_by_test_id("ballot-1").get_by_test_id("weight-risk-warning")
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("data-mine", "true")
    expect(warning).to_contain_text("Your choice may be inferable.")
    expect(warning).to_contain_text("Your weight (2) is held by only 1 delegate: you.")
    # Rosa's weight (1) is shared by three delegates, still fewer than the five it needs
    other = rosa.get_by_test_id("ballot-1").get_by_test_id("weight-risk-warning")
    expect(other).to_be_visible()
    expect(other).to_contain_text("Your weight (1) is held by only 3 delegates, you included.")
    ngozi.get_by_test_id("ballot-1").get_by_test_id("vote-yes").click()
    expect(ngozi.get_by_test_id("ballot-1")).to_have_attribute("data-my-choice", '"yes"')
    chair.get_by_test_id("ballot-1").get_by_test_id("close-ballot").click()
    expect(warning).to_be_hidden()  # closed: nothing more to decide
    # the other way: the same ballot, open
    d2 = chair.get_by_test_id("text-d2")
    d2.get_by_test_id("open-ballot").locator("summary").click()
    d2.get_by_test_id("ob-secret").check()
    d2.get_by_test_id("ob-submit").click()
    d2.get_by_test_id("weight-open-instead").click()
    expect(ngozi.get_by_test_id("ballot-2")).to_have_attribute("data-secret", "false")
    expect(ngozi.get_by_test_id("ballot-2").get_by_test_id("weight-risk-warning")).to_be_hidden()
    no_errors(page_log)


def test_names_keep_their_direction(mayday_server, open_page, page_log, screenshot) -> None:
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    karim = open_page(asm["delegates"]["karim"], *PHONE)  # an Arabic page
    chair = open_page(asm["chairs"]["ama"], *DESKTOP)  # an English page
    live(karim)
    live(chair)
    expect(karim.locator("html")).to_have_attribute("dir", "rtl")
    run(
        mayday_server,
        asm,
        {"type": "propose_demand", "language": "es", "text": "Jornada de 35 horas"},
        asm["delegates"]["rosa"],
    )
    run(
        mayday_server,
        asm,
        {"type": "propose_demand", "language": "ar", "text": "لا فصل بسبب الإضراب"},
        asm["delegates"]["karim"],
    )
    for who in ("rosa", "karim"):
        run(mayday_server, asm, {"type": "raise_hand", "person": who, "kind": "speech"})
    # Latin names inside Arabic sentences, each in its own <bdi>
    expect(karim.get_by_test_id("role").locator("bdi")).to_have_text(["كريم حداد", "cai"])
    expect(karim.get_by_test_id("text-d1").locator(".text-by bdi")).to_have_text("Rosa Quispe")
    expect(karim.get_by_test_id("order-summary").locator("bdi")).to_have_text("Rosa Quispe")
    expect(karim.get_by_test_id("order-rosa-speech").locator(".order-name bdi")).to_have_text("Rosa Quispe")
    # and an Arabic name inside English ones
    expect(chair.get_by_test_id("text-d2").locator(".text-by bdi")).to_have_text("كريم حداد")
    expect(chair.get_by_test_id("order-karim-speech").locator(".order-name bdi")).to_have_text("كريم حداد")
    expect(chair.get_by_test_id("attendance").locator("bdi", has_text="كريم حداد")).to_have_count(1)
    # user texts keep their own direction
    expect(karim.get_by_test_id("text-d1").get_by_test_id("text-body")).to_have_attribute("dir", "auto")
    screenshot(karim, "assembly-pages-names-ar-phone.png")
    no_errors(page_log)


# The chair on a phone ----------------------------------------------------------------------------


def test_chair_console_on_a_phone_puts_the_running_meeting_first(
    mayday_server, open_page, page_log, screenshot
) -> None:
    many = {
        **DEFINITION,
        "languages": ["en", "es", "fr", "pt", "sw", "ar", "tl"],
        "interpreters": [
            {"id": f"i{n}", "name": f"Interpreter {n}", "booth": b}
            for n, b in enumerate(["es", "fr", "pt", "sw", "ar", "tl"])
        ],
    }
    asm = mayday_server.create("/api/assemblies", many)
    for who in ("rosa", "ngozi"):
        run(mayday_server, asm, {"type": "raise_hand", "person": who, "kind": "speech"})
    run(
        mayday_server,
        asm,
        {"type": "propose_demand", "language": "es", "text": "Jornada de 35 horas"},
        asm["delegates"]["rosa"],
    )
    run(mayday_server, asm, {"type": "open_ballot", "target": "d1"})
    chair = open_page(asm["chairs"]["ama"], *PHONE)
    live(chair)
    top = {name: chair.locator(sel).bounding_box()["y"] for name, sel in (
        ("floor", "#floor"),
        ("order", "#order-heading"),
        ("ballots", "#ballots-heading"),
        ("booths", "#booths-card"),
        ("people", "#people-card"),
        ("links", "#links-details"),
    )}  # fmt: skip
    assert top["floor"] < top["order"] < top["ballots"] < top["booths"] < top["people"] < top["links"], top
    for folded in ("booths-card", "people-card", "links-details", "attendance-card"):
        expect(chair.get_by_test_id(folded)).not_to_have_attribute("open", "")
    expect(chair.get_by_test_id("booth-set-es")).to_be_hidden()
    expect(chair.get_by_test_id("booths-state")).to_have_text("0 of 7 live")
    height = chair.evaluate("document.documentElement.scrollHeight")
    assert height < 3200, f"the chair console is {height} px tall on a phone"
    assert chair.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    screenshot(chair, "assembly-pages-chair-phone.png")
    # opened, the booths are all there
    chair.locator("#booths-card > summary").click()
    expect(chair.get_by_test_id("booth-set-es")).to_be_visible()
    chair.get_by_test_id("booth-set-es").select_option("i0")
    expect(chair.get_by_test_id("booths-state")).to_have_text("1 of 7 live")
    # on a desktop they start open
    wide = open_page(asm["chairs"]["ama"], *DESKTOP)
    live(wide)
    expect(wide.get_by_test_id("booth-set-fr")).to_be_visible()
    # every heading in the chosen language ("Links" stayed English on the Portuguese page)
    wide.get_by_test_id("lang-picker").select_option("pt")
    expect(wide.locator("#links-details > summary")).to_have_text("Endereços de acesso")
    expect(wide.locator("#people-card > summary .fold-title")).to_have_text("Participantes")
    no_errors(page_log)


# Who dropped ---------------------------------------------------------------------------------


def test_a_dropped_interpreter_and_speaker(quick_drop_server, open_page, page_log, screenshot) -> None:
    server = quick_drop_server  # an 8 s drop grace instead of 30 s (the same code path, less waiting)
    asm = server.create("/api/assemblies", DEFINITION)
    chair = open_page(asm["chairs"]["ama"], *DESKTOP)
    marta = open_page(asm["interpreters"]["marta"], *DESKTOP)  # stays connected: the booth goes to her
    lucia = open_page(asm["interpreters"]["lucia"], *DESKTOP)
    rosa = open_page(asm["delegates"]["rosa"], *PHONE)
    for page in (chair, marta, lucia, rosa):
        live(page)
    run(server, asm, {"type": "take_booth"}, asm["interpreters"]["lucia"])
    run(server, asm, {"type": "raise_hand", "person": "rosa", "kind": "speech"})
    run(server, asm, {"type": "grant_floor"})
    expect(lucia.get_by_test_id("booth-card")).to_have_attribute("data-live", "me")
    expect(rosa.get_by_test_id("end-my-speech")).to_be_visible()
    # both browsers go away (a closed tab, a phone out of battery)
    lucia.close()
    rosa.close()
    gone = time.monotonic()
    notices = chair.get_by_test_id("drop-notices")
    lucia_notice = chair.get_by_test_id("drop-lucia")
    expect(lucia_notice).to_be_visible(timeout=DROP_WAIT)
    print(f"dropped after {time.monotonic() - gone:.1f} s")
    assert time.monotonic() - gone > float(os.environ["MAYDAY_DROP_GRACE"]) - 2  # not before the grace
    expect(lucia_notice).to_contain_text("Lucía Fernández dropped: Spanish booth handed to Marta Ríos.")
    expect(lucia_notice).to_have_attribute("data-handed-to", "marta")
    rosa_notice = chair.get_by_test_id("drop-rosa")
    expect(rosa_notice).to_be_visible(timeout=DROP_WAIT)
    expect(rosa_notice).to_contain_text("Rosa Quispe dropped: floor ended.")
    expect(chair.get_by_test_id("floor")).to_have_attribute("data-state", "empty")
    # the participants list marks who dropped
    expect(chair.get_by_test_id("people-state")).to_contain_text("2 dropped")
    expect(chair.get_by_test_id("person-lucia")).to_have_attribute("data-dropped", "true")
    expect(chair.get_by_test_id("person-marta")).to_have_attribute("data-dropped", "false")
    expect(chair.get_by_test_id("person-marta")).to_have_attribute("data-live", "true")
    expect(chair.locator('#attendance li[data-dropped="true"]')).to_have_count(1)
    expect(chair.get_by_test_id("booth-set-es")).to_have_value("marta")
    screenshot(chair, "assembly-pages-dropped-chair-desktop.png")
    # the partner is told she is live now
    note = marta.get_by_test_id("booth-drop-note")
    expect(note).to_have_attribute("data-kind", "handed-to-you")
    expect(note).to_have_text("Lucía Fernández's connection dropped: you are now live in the Spanish booth.")
    expect(marta.get_by_test_id("booth-card")).to_have_attribute("data-live", "me")
    # those who dropped learn why when they come back
    rosa = open_page(asm["delegates"]["rosa"], *PHONE)
    live(rosa)
    rosa.get_by_test_id("lang-picker").select_option("en")
    expect(rosa.get_by_test_id("floor-drop-note")).to_contain_text("your speech was ended")
    lucia = open_page(asm["interpreters"]["lucia"], *DESKTOP)
    live(lucia)
    expect(lucia.get_by_test_id("booth-drop-note")).to_have_attribute("data-kind", "you-dropped")
    expect(lucia.get_by_test_id("booth-drop-note")).to_contain_text("the Spanish booth was handed to Marta Ríos")
    # the chair dismisses a notice; it stays dismissed on this device
    lucia_notice.get_by_test_id("drop-dismiss").click()
    expect(lucia_notice).to_have_count(0)
    chair.reload()
    live(chair)
    expect(chair.get_by_test_id("drop-rosa")).to_be_visible()
    expect(chair.get_by_test_id("drop-lucia")).to_have_count(0)
    expect(notices).to_be_visible()
    # back: Rosa raises her hand again, and the mark goes
    rosa.get_by_test_id("raise-hand").click()
    expect(chair.get_by_test_id("person-rosa")).to_have_attribute("data-dropped", "false")
    no_errors(page_log)


# Limits --------------------------------------------------------------------------------------


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


def test_fields_take_their_limits_from_the_welcome(mayday_server, browser, page_log) -> None:
    """No page keeps a copy of the server's limits: a delegate's text fields (the proposal, and the
    edit form of her own text, made later), the chair's name and place fields, the interpreter's
    chat line and translation take their maxlength from welcome.limits. The welcome is passed on with
    other limits than the server's, and the pages follow them."""
    asm = mayday_server.create("/api/assemblies", DEFINITION)
    run(
        mayday_server,
        asm,
        {"type": "propose_demand", "language": "en", "text": "Strike fund"},
        asm["delegates"]["rosa"],
    )
    served: list[dict[str, int]] = []

    def other(limits: dict[str, int]) -> dict[str, int]:
        served.append(limits)
        return {key: value - 7 for key, value in limits.items()}

    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]}, locale="en-GB")
    try:
        context.route_web_socket(re.compile(r"/ws/assembly/"), lambda ws: pass_welcome(ws, other))
        pages = {}
        for who, link in (
            ("rosa", asm["delegates"]["rosa"]),
            ("ama", asm["chairs"]["ama"]),
            ("lucia", asm["interpreters"]["lucia"]),
        ):
            page = pages[who] = context.new_page()
            page.on("pageerror", lambda e: page_log.errors.append(f"pageerror: {e}"))
            page.goto(link)
            live(page)
        assert served and set(served[0]) == {"text", "name", "place", "chat"}, served  # the server's
        limit = {key: str(value - 7) for key, value in served[0].items()}
        rosa, ama, lucia = pages["rosa"], pages["ama"], pages["lucia"]
        expect(rosa.get_by_test_id("propose-text")).to_have_attribute("maxlength", limit["text"])
        expect(rosa.get_by_test_id("edit-text")).to_have_attribute("maxlength", limit["text"])
        expect(ama.get_by_test_id("ap-name")).to_have_attribute("maxlength", limit["name"])
        expect(ama.get_by_test_id("ap-region")).to_have_attribute("maxlength", limit["place"])
        expect(lucia.get_by_test_id("chat-text")).to_have_attribute("maxlength", limit["chat"])
        expect(lucia.get_by_test_id("translate-text")).to_have_attribute("maxlength", limit["text"])
    finally:
        context.close()
    assert page_log.errors == [], "\n".join(page_log.errors)
