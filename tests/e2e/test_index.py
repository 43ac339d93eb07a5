"""The front page with the server's admin link: every relay and assembly on the server with all
their links (copy buttons included), an assembly previewed and then created from a definition
(typed or loaded from a file), a definition the server refuses, who the page acts as, another
admin link opened in the same tab, and the page in another language."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import token_of
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESKTOP = (1280, 900)

ASSEMBLY = {
    "title": "Index test assembly",
    "languages": ["en", "sw"],
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama Owusu", "language": "en"}],
    "delegates": [
        {"id": "amina", "name": "Amina Juma", "site": "dar", "region": "africa", "language": "sw"},
        {"id": "ngozi", "name": "Ngozi Okafor", "site": "lag", "region": "africa", "weight": 2, "language": "en"},
    ],
    "interpreters": [{"id": "neema", "name": "Neema Mushi", "booth": "sw", "understands": ["en"]}],
}


def relay_definition(name: str) -> dict[str, Any]:
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    return {
        "name": name,
        "legs": {"date": day, "start": "06:00", "duration": "8h"},
        "sites": [
            {"id": "dhk", "name": "Dhaka garment", "tz": "Asia/Dhaka"},
            {"id": "lag", "name": "Lagos port", "tz": "Africa/Lagos", "backup": "dhk"},
        ],
    }


def admin_page(server: Any, open_page: Any, size: tuple[int, int] = DESKTOP) -> Any:
    return open_page(f"{server.base}/#admin={server.admin_token}", *size)


def assert_clean(page_log: Any, secrets: list[str], refused: tuple[int, ...] = ()) -> None:
    """No error on any page but the browser's own note of a request the test made the server
    refuse (`refused`: those statuses), no CSP violation, no link token in a URL or Referer."""
    expected = tuple(f"the server responded with a status of {status}" for status in refused)
    errors = [e for e in page_log.errors if not (expected and any(x in e for x in expected))]
    assert errors == [], "\n".join(errors)
    assert page_log.csp_violations() == []
    for secret in secrets:
        leaked = [u for u in page_log.urls + page_log.referers if secret in u]
        assert leaked == [], f"a link token left the page in a URL or Referer: {leaked}"


def test_admin_lists_every_relay_and_assembly_with_their_links(mayday_server, open_page, page_log) -> None:
    relay = mayday_server.create("/api/relays", relay_definition("Index links relay"))
    assembly = mayday_server.create("/api/assemblies", ASSEMBLY)

    page = admin_page(mayday_server, open_page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=mayday_server.base)
    expect(page.get_by_test_id("identity")).to_have_text("You are: the server's admin")

    relays = page.get_by_test_id("relays")
    expect(relays).to_contain_text("Index links relay", timeout=10_000)
    page.get_by_test_id(f"links-button-{relay['id']}").click()
    panel = page.get_by_test_id(f"links-panel-{relay['id']}")
    prefix = f"links-{relay['id']}"
    expect(panel.get_by_test_id(f"{prefix}-coordinator")).to_have_value(relay["coordinator"], timeout=10_000)
    expect(panel.get_by_test_id(f"{prefix}-viewer")).to_have_value(relay["viewer"])
    expect(panel.get_by_test_id(f"{prefix}-site-dhk")).to_have_value(relay["sites"]["dhk"])
    expect(panel.get_by_test_id(f"{prefix}-site-lag")).to_have_value(relay["sites"]["lag"])
    expect(panel.get_by_test_id(f"{prefix}-board")).to_have_value(relay["board"])
    expect(page.get_by_test_id(f"links-button-{relay['id']}")).to_have_attribute("aria-expanded", "true")

    # Copy puts the link on the clipboard
    row = panel.locator(".link-item", has=page.get_by_test_id(f"{prefix}-site-lag"))
    row.get_by_role("button", name="Copy").click()
    expect(row.locator(".copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == relay["sites"]["lag"]

    assemblies = page.get_by_test_id("assemblies")
    expect(assemblies).to_contain_text("Index test assembly")
    page.get_by_test_id(f"links-button-{assembly['id']}").click()
    panel = page.get_by_test_id(f"links-panel-{assembly['id']}")
    prefix = f"links-{assembly['id']}"
    expect(panel.get_by_test_id(f"{prefix}-watch")).to_have_value(assembly["watch"], timeout=10_000)
    expect(panel.get_by_test_id(f"{prefix}-chairs-ama")).to_have_value(assembly["chairs"]["ama"])
    expect(panel.get_by_test_id(f"{prefix}-delegates-amina")).to_have_value(assembly["delegates"]["amina"])
    expect(panel.get_by_test_id(f"{prefix}-interpreters-neema")).to_have_value(assembly["interpreters"]["neema"])
    expect(panel.get_by_test_id(f"{prefix}-minutes")).to_have_value(assembly["minutes"])
    expect(panel).to_contain_text("Delegate: Amina Juma (amina)")  # names come with the links

    # the panel closes again
    page.get_by_test_id(f"links-button-{assembly['id']}").click()
    expect(panel).to_be_hidden()

    # the coordinator link from the list opens the board as the coordinator
    board = open_page(relay["coordinator"], *PHONE)
    expect(board.get_by_test_id("role")).to_have_text("You are: coordinator", timeout=10_000)
    assert_clean(page_log, [mayday_server.admin_token, token_of(relay["coordinator"])])


def test_admin_previews_then_creates_an_assembly(mayday_server, open_page, page_log, tmp_path: Path) -> None:
    page = admin_page(mayday_server, open_page)
    area = page.get_by_test_id("asm-definition")
    expect(area).to_have_value(re.compile("Sample assembly"))  # a sample to start from

    # a definition the server refuses: its reason, next to the form
    area.fill("title: Broken\nlanguages: [en]\ndelegates: nope\n")
    page.get_by_test_id("asm-preview-button").click()
    expect(page.get_by_test_id("asm-form-error")).to_contain_text("The request failed:", timeout=10_000)
    expect(page.get_by_test_id("asm-preview")).to_be_hidden()

    # loaded from a file
    definition = tmp_path / "assembly.json"
    definition.write_text(json.dumps({**ASSEMBLY, "title": "Uploaded assembly"}))
    page.get_by_test_id("asm-definition-file").set_input_files(str(definition))
    expect(area).to_have_value(re.compile("Uploaded assembly"))
    page.get_by_test_id("asm-preview-button").click()
    preview = page.get_by_test_id("asm-preview")
    expect(preview.get_by_role("heading", level=2)).to_have_text("Assembly preview: Uploaded assembly", timeout=10_000)
    expect(page.get_by_test_id("asm-languages")).to_have_text("Languages: English (en), Swahili (sw)")
    expect(preview).to_contain_text("1 chair")
    expect(preview).to_contain_text("2 delegates")
    expect(preview).to_contain_text("1 interpreter")
    delegates = page.get_by_test_id("asm-delegates")
    expect(delegates.locator("tbody tr")).to_have_count(2)
    expect(delegates.locator("tr[data-person=ngozi]")).to_contain_text("Ngozi Okafor (ngozi)")
    expect(delegates.locator("tr[data-person=ngozi] td").nth(2)).to_have_text("2")  # the weight
    expect(page.get_by_test_id("asm-interpreters")).to_contain_text("Swahili (sw)")
    expect(page.get_by_test_id("asm-warnings")).to_be_visible()
    with mayday_server.api() as client:  # previewing stores nothing
        listed = client.get("/api/assemblies", headers={"authorization": f"Bearer {mayday_server.admin_token}"}).json()
    assert "Uploaded assembly" not in [a["title"] for a in listed["assemblies"]]

    page.get_by_test_id("asm-create-button").click()
    created = page.get_by_test_id("asm-created")
    expect(created.get_by_role("heading")).to_have_text("Assembly created: Uploaded assembly", timeout=10_000)
    expect(created).to_contain_text("Delegate: Ngozi Okafor (ngozi)")  # names from the preview
    chair = created.locator("input[data-testid$='-chairs-ama']")
    expect(chair).to_have_value(re.compile(r"/assembly/\w+/chair#t=\S+"))
    expect(page.get_by_test_id("assemblies")).to_contain_text("Uploaded assembly")
    assert_clean(page_log, [mayday_server.admin_token, token_of(chair.input_value())], refused=(400,))


def test_admin_page_language_identity_and_a_new_admin_link(mayday_server, open_page, page_log) -> None:
    mayday_server.create("/api/relays", relay_definition("Relay for the picker"))
    page = open_page(f"{mayday_server.base}/#admin=forged-token", *PHONE)
    expect(page.get_by_test_id("admin-error")).to_contain_text("This admin link is not valid", timeout=10_000)

    # the right admin link opened in the same tab: the page starts again with it
    page.evaluate("(hash) => { location.hash = hash }", f"#admin={mayday_server.admin_token}")
    expect(page.get_by_test_id("relays")).to_contain_text("Relay for the picker", timeout=10_000)
    expect(page.get_by_test_id("admin-error")).to_be_hidden()

    picker = page.get_by_test_id("lang-picker")
    picker.select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("identity")).to_have_text("Vous êtes : l'administration du serveur")
    expect(page.locator("#relays-heading")).to_have_text("Relais sur ce serveur")
    expect(page.get_by_test_id("relays").get_by_role("button", name="Liens").first).to_be_visible()
    page.get_by_test_id("definition").fill(json.dumps(relay_definition("Preview in French")))
    page.get_by_test_id("preview-button").click()
    expect(page.get_by_test_id("plan-summary")).to_have_text(
        re.compile(r"^2 étapes, \d+ passages? de témoin, base de données des fuseaux horaires \w+\.$"), timeout=10_000
    )

    picker.select_option("hi")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_test_id("plan-summary")).to_contain_text("2 चरण")  # written again in Hindi
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert_clean(page_log, [mayday_server.admin_token], refused=(401,))


def test_an_unknown_address_gets_a_page_that_says_so_in_the_readers_language(
    mayday_server, open_page, page_log
) -> None:
    page = open_page(f"{mayday_server.base}/nope", *PHONE)
    expect(page.get_by_test_id("page-not-found")).to_contain_text("There is nothing at this address")
    expect(page.get_by_role("link", name="Go to the front page")).to_have_attribute("href", "/")
    expect(page).to_have_title("Page not found")
    page.get_by_test_id("lang-picker").select_option("sw")
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    expect(page).not_to_have_title("Page not found")  # the tab says it in Swahili too
    expect(page.get_by_test_id("page-not-found")).to_contain_text("Hakuna kitu kwenye anwani hii")
    page.get_by_test_id("lang-picker").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    with mayday_server.api() as client:
        r = client.get("/nope")
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        api = client.get("/api/nope")
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert_clean(page_log, [], refused=(404,))
