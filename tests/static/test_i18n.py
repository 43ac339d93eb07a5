"""Every language the product offers is served: each string table of the browser pages
(static/i18n.js, the assembly pages' static/i18n-assembly.js and the circles' pages'
static/i18n-circles.js) has every English key in every served language, not empty, with the same
{placeholders}, and plural forms (Intl.PluralRules) for every category the language uses.

The tables are read by running the modules under node (no browser): the ES modules are copied to a
temporary directory, where i18n-assembly.js's and i18n-circles.js's import of i18n.js is pointed at
a recorder of their addStrings() calls, so each one's own tables are checked as they are written.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
EXPECTED_SERVED = ["en", "es", "fr", "pt", "ar", "sw", "fil", "hi"]
CATEGORIES = {"zero", "one", "two", "few", "many", "other"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")

STUBS = """
globalThis.navigator = { languages: ["en"], language: "en" };
globalThis.CustomEvent = class { constructor(type, init) { this.type = type; this.detail = init?.detail; } };
globalThis.document = {
  documentElement: {},
  querySelectorAll: () => [],
  dispatchEvent: () => true,
  addEventListener: () => {},
};
"""

RECORDER = """
export const recorded = [];
export function addStrings(tables) { recorded.push(JSON.parse(JSON.stringify(tables))); }
"""

MAIN = """
import "./stubs.js";
const i18n = await import("./i18n.js");
const relay = JSON.parse(JSON.stringify(i18n.STRINGS));
let assembly = null;
let assemblyError = null;
try {
  const rec = await import("./recorder.js");
  await import("./i18n-assembly.js");
  assembly = rec.recorded;
} catch (e) {
  assemblyError = String(e && e.stack || e);
}
let circles = null;
let circlesError = null;
try {
  const rec = await import("./recorder.js");
  const before = rec.recorded.length;
  await import("./i18n-circles.js");
  circles = rec.recorded.slice(before);
} catch (e) {
  circlesError = String(e && e.stack || e);
}
const plural = {};
for (const l of i18n.SERVED) {
  const rules = new Intl.PluralRules(l);
  plural[l] = [...new Set(Array.from({ length: 201 }, (_, n) => rules.select(n)))];
}
// t() itself: plural choice by count, numbers in the locale, placeholders kept
const samples = {};
for (const l of i18n.SERVED) {
  i18n.setLanguage(l);
  samples[l] = Object.fromEntries([0, 1, 2, 3, 11, 100, 1234].map((n) => [n, i18n.t("act_created", { count: n })]));
}
i18n.setLanguage("en");
const probe = {
  missing_var: i18n.t("link_site", {}),
  number: i18n.t("dispatch_count", { n: 12345, max: 500 }),
  alias_tl: i18n.bestLanguage(["tl-PH"]),
  alias_fil: i18n.bestLanguage(["fil"]),
  region: i18n.bestLanguage(["pt-BR"]),
  unknown: i18n.bestLanguage(["qu", "sw-KE"]),
};
console.log(JSON.stringify({
  served: i18n.SERVED, names: i18n.LANGUAGE_NAMES, rtl: [...i18n.RTL_LANGUAGES],
  relay, assembly, assemblyError, circles, circlesError, plural, samples, probe,
}));
"""


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to read the string tables (static/*.js are ES modules)")
    work = tmp_path_factory.mktemp("i18n")
    (work / "package.json").write_text('{"type": "module"}')
    (work / "stubs.js").write_text(STUBS)
    (work / "recorder.js").write_text(RECORDER)
    (work / "main.js").write_text(MAIN)
    (work / "i18n.js").write_text((STATIC / "i18n.js").read_text(encoding="utf-8"), encoding="utf-8")
    for name in ("i18n-assembly.js", "i18n-circles.js"):
        if (STATIC / name).exists():
            text = (STATIC / name).read_text(encoding="utf-8").replace('"/static/i18n.js"', '"./recorder.js"')
            (work / name).write_text(text, encoding="utf-8")
    out = subprocess.run([node, "main.js"], cwd=work, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def placeholders(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(set(PLACEHOLDER.findall(v)) for v in value.values() if isinstance(v, str)))
    return set(PLACEHOLDER.findall(value)) if isinstance(value, str) else set()


def problems_with(key: str, en: Any, value: Any, language: str, categories: list[str]) -> list[str]:
    """What is wrong with `value`, the translation into `language` of the English `en`."""
    where = f"{language}.{key}"
    if value is None:
        return [f"{where}: missing"]
    if isinstance(en, dict) != isinstance(value, dict):
        return [f"{where}: {'a plural form' if isinstance(en, dict) else 'a string'} in English, not here"]
    out = []
    if isinstance(value, dict):
        unknown = set(value) - CATEGORIES
        if unknown:
            out.append(f"{where}: unknown plural categories {sorted(unknown)}")
        needed = set(categories) | {"other"}
        missing = sorted(needed - set(value))
        if missing:
            out.append(f"{where}: plural forms missing for {missing}")
        empty = [c for c, v in value.items() if not isinstance(v, str) or not v.strip()]
        if empty:
            out.append(f"{where}: empty plural forms {empty}")
        for c, v in value.items():
            extra = set(PLACEHOLDER.findall(v if isinstance(v, str) else "")) - placeholders(en)
            if extra:
                out.append(f"{where}.{c}: placeholders {sorted(extra)} not in English")
    elif not isinstance(value, str) or not value.strip():
        return [f"{where}: empty"]
    if placeholders(value) != placeholders(en):
        out.append(
            f"{where}: placeholders {sorted(placeholders(value))} differ from English {sorted(placeholders(en))}"
        )
    return out


def test_served_languages(tables: dict[str, Any]) -> None:
    assert tables["served"] == EXPECTED_SERVED
    assert set(tables["names"]) >= set(EXPECTED_SERVED)
    assert "ar" in tables["rtl"]
    assert set(tables["relay"]) >= set(EXPECTED_SERVED)


def test_relay_strings_complete_in_every_served_language(tables: dict[str, Any]) -> None:
    """static/i18n.js: the relay board, site and coordinator views, the index and admin page."""
    relay = tables["relay"]
    en = relay["en"]
    problems = []
    for language in tables["served"]:
        table = relay.get(language, {})
        for key, value in en.items():
            problems += problems_with(key, value, table.get(key), language, tables["plural"][language])
        problems += [f"{language}.{k}: not an English key (a typo?)" for k in sorted(set(table) - set(en))]
    assert problems == [], "\n".join(problems)


def added_table_problems(tables: dict[str, Any], calls: list[dict[str, Any]]) -> list[str]:
    """What is wrong with a table merged in with addStrings() (``calls``: its recorded calls). A
    key it shares with i18n.js may rely on i18n.js's translation only when its English text is the
    same."""
    merged: dict[str, dict[str, Any]] = {}
    for tables_of_call in calls:
        for language, table in tables_of_call.items():
            merged.setdefault(language, {}).update(table)
    relay = tables["relay"]
    en = merged.get("en", {})
    problems = []
    for language in tables["served"]:
        own = merged.get(language, {})
        for key, value in en.items():
            shared = key in relay["en"] and relay["en"][key] == value
            got = own.get(key, relay.get(language, {}).get(key) if shared else None)
            problems += problems_with(key, value, got, language, tables["plural"][language])
        problems += [f"{language}.{k}: not an English key (a typo?)" for k in sorted(set(own) - set(en))]
    return problems


def test_assembly_strings_complete_in_every_served_language(tables: dict[str, Any]) -> None:
    """static/i18n-assembly.js: the chair, delegate, interpreter and watch pages."""
    assert tables["assemblyError"] is None, tables["assemblyError"]
    problems = added_table_problems(tables, tables["assembly"])
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


def test_circles_strings_complete_in_every_served_language(tables: dict[str, Any]) -> None:
    """static/i18n-circles.js: the network, circle, pair, ledger, integrity and reader pages."""
    assert tables["circlesError"] is None, tables["circlesError"]
    assert tables["circles"], "i18n-circles.js added no strings"
    problems = added_table_problems(tables, tables["circles"])
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


def test_t_chooses_plural_forms_and_formats_numbers(tables: dict[str, Any]) -> None:
    samples = tables["samples"]
    assert samples["en"]["1"] == "Relay created with 1 leg"
    assert samples["en"]["3"] == "Relay created with 3 legs"
    assert samples["en"]["1234"] == "Relay created with 1,234 legs"
    # Arabic has six forms: 1, 2, 3-10, 11-99 and 100 read differently
    ar = samples["ar"]
    assert len({ar["1"], ar["2"], ar["3"].replace("3", "N"), ar["11"].replace("11", "N")}) == 4
    assert "{" not in "".join(v for s in samples.values() for v in s.values())
    probe = tables["probe"]
    assert probe["missing_var"] == "Site {site}"  # a missing variable stays visible, not "undefined"
    assert probe["number"] == "12,345 / 500"
    assert probe["alias_tl"] == "fil"
    assert probe["alias_fil"] == "fil"
    assert probe["region"] == "pt"
    assert probe["unknown"] == "sw"
