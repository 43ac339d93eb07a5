"""The admin page's routes for assemblies: a preview before creating, and every link afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from helpers import token_of

from mayday.app import Settings

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "assembly.yaml").read_text()


async def test_preview_says_who_is_in_it_and_what_to_check_and_stores_nothing(make_app, tmp_path):
    server = await make_app(Settings(data_dir=str(tmp_path), secret="s", timers=False))
    admin = {"authorization": f"Bearer {server.admin}"}
    async with httpx.AsyncClient(base_url=server.base) as http:
        assert (await http.post("/api/assemblies/preview", content=EXAMPLE)).status_code == 401
        r = await http.post("/api/assemblies/preview", content=EXAMPLE, headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["title"].startswith("Global workers")
        assert [p["id"] for p in body["chairs"]] == ["ama"]
        assert len(body["delegates"]) == 12 and {p["id"] for p in body["interpreters"]} >= {"lucia", "marta"}
        # Weights 2 and 1.5 are held by one delegate each; French and English have no booth.
        assert any("weights held by fewer than 5" in w for w in body["warnings"])
        assert any(w.startswith("no interpreter for fr") for w in body["warnings"])
        assert (await http.get("/api/assemblies", headers=admin)).json()["assemblies"] == []
        bad = await http.post("/api/assemblies/preview", content=b"title: [unclosed", headers=admin)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_spec"


async def test_admin_and_chairs_see_every_link_others_do_not(make_app, tmp_path):
    server = await make_app(Settings(data_dir=str(tmp_path), secret="s", timers=False))
    admin = {"authorization": f"Bearer {server.admin}"}
    async with httpx.AsyncClient(base_url=server.base) as http:
        made = (await http.post("/api/assemblies", content=EXAMPLE, headers=admin)).json()
        url = f"/api/assemblies/{made['id']}/links"
        as_admin = (await http.get(url, headers=admin)).json()
        as_chair = (await http.get(url, headers={"authorization": f"Bearer {token_of(made['chairs']['ama'])}"})).json()
        assert as_admin == as_chair and as_admin["delegates"] == made["delegates"]
        delegate = {"authorization": f"Bearer {token_of(made['delegates']['rosa'])}"}
        assert (await http.get(url, headers=delegate)).status_code == 403
        assert (await http.get(url)).status_code == 403
        assert json.loads((await http.get(url, headers={"authorization": "Bearer forged"})).text)["error"]
