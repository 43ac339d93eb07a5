"""The meeting the assembly journeys run (tests/e2e/test_assembly_*.py): its definition, the texts
its delegates write, and plain helpers on its pages. The ``meeting`` fixture (tests/e2e/conftest.py)
creates it and opens its five pages (``restartable_meeting``: on a server of the test's own);
nothing here starts anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from helpers import token_of
from playwright.sync_api import expect

PHONE = (360, 800)
DESKTOP = (1280, 900)
LIVE = 15_000  # ms: a page connects, or reconnects after a restart, within this

ES_DRAFT = "Semana laboral de 35 horas sin pérdida de salario"
EN_DRAFT = "A 35-hour working week with no loss of pay"
ES_DEMAND = "Semana laboral de 35 horas sin pérdida de salario en todas las sedes"
EN_DEMAND = "A 35-hour working week with no loss of pay at every site"
EN_DEMAND_2 = "Equal pay for equal work across every site and subcontractor"
ES_DEMAND_3 = "Ningún despido por participar en la huelga"

DEFINITION = {
    "title": "E2E workers' assembly",
    "languages": ["en", "es", "fr", "pt", "ar"],
    "speaking_time": {"speech": "60s", "reply": "30s", "point_of_order": "10s"},
    "queue": {"first_time_first": True, "region_rotation": True, "region_budget": "10m"},
    "quorum": 0.5,
    "viewers": "public",
    "chairs": [{"id": "ama", "name": "Ama", "language": "en"}],
    "delegates": [
        {"id": "ngozi", "name": "Ngozi", "site": "lag", "region": "africa", "weight": 2, "language": "en"},
        {"id": "rosa", "name": "Rosa", "site": "lpb", "region": "americas", "language": "es"},
    ],
    "interpreters": [{"id": "lucia", "name": "Lucía", "booth": "en", "understands": ["es", "pt"]}],
}


@dataclass
class Meeting:
    """One assembly of DEFINITION on ``server`` (tests/e2e/conftest.py's MaydayServer), its links
    (``asm``, as the create route answered) and its five open pages."""

    server: Any
    asm: dict[str, Any]
    chair: Any  # Ama, desktop
    rosa: Any  # a delegate reading Spanish, phone
    ngozi: Any  # a delegate reading English, phone
    interp: Any  # Lucía in the English booth, desktop
    viewer: Any  # the public watch page, without any link, phone

    @property
    def aid(self) -> str:
        return self.asm["id"]

    @property
    def pages(self) -> list[Any]:
        return [self.chair, self.rosa, self.ngozi, self.interp, self.viewer]

    def token(self, group: str, pid: str) -> str:
        return token_of(self.asm[group][pid])

    def tokens(self) -> list[str]:
        """Every link token of the assembly and the admin's: none may leave a page."""
        asm = self.asm
        found = [token_of(link) for group in ("chairs", "delegates", "interpreters") for link in asm[group].values()]
        return [*found, token_of(asm["viewer"]), self.server.admin_token]

    def command(self, token: str, body: dict[str, Any]) -> httpx.Response:
        """A command sent over REST with ``token``'s link (to set a scene without the pages)."""
        with self.server.api() as client:
            return client.post(
                f"/api/assemblies/{self.aid}/commands", json=body, headers={"authorization": f"Bearer {token}"}
            )

    def minutes(self) -> str:
        with self.server.api() as client:
            r = client.get(f"/api/assemblies/{self.aid}/minutes.md")
        assert r.status_code == 200, r.text
        return r.text


def live(page: Any) -> None:
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE)


def welcomes(page: Any) -> int:
    return page.evaluate("window.mayday.page.welcomes")


def ballot(page: Any, n: int) -> Any:
    return page.get_by_test_id(f"ballot-{n}")


def text(page: Any, tid: str) -> Any:
    return page.get_by_test_id(f"text-{tid}")


def propose(page: Any, words: str) -> None:
    """A delegate's page proposes a demand."""
    page.get_by_test_id("propose-text").fill(words)
    page.get_by_test_id("propose-submit").click()


def attend(meeting: Meeting) -> None:
    """Both delegates say they are here (a ballot's quorum counts them)."""
    meeting.rosa.get_by_test_id("attend").click()
    meeting.ngozi.get_by_test_id("attend").click()
    expect(meeting.chair.get_by_test_id("present-summary")).to_contain_text("2 of 2 delegates present")


def assert_clean(page_log: Any, tokens: list[str]) -> None:
    """No page logged an error or broke the CSP, and no link token left a page in a URL or Referer."""
    assert page_log.errors == [], "\n".join(page_log.errors)
    assert page_log.csp_violations() == []
    for secret in tokens:
        leaked = [u for u in page_log.urls + page_log.referers if secret in u]
        assert leaked == [], f"a link token left the page in a URL or Referer: {leaked}"
