"""The tactic tracker's strings (static/i18n-tactics.js) are complete in every served language:
every English key in each, not empty, with the same {placeholders}, plural tables with every
category the language uses for 0 to 200; and every ``tx_`` key the pages and their scripts use
is there (static keys, and the families built from a value: ``tx_outcome_won``...).

Read under node (no browser): the module is copied beside a recorder of its addStrings() call."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
SERVED = ["en", "es", "fr", "pt", "ar", "sw", "fil", "hi"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
USERS = [
    "tactics.html",
    "tactic.html",
    "circles-tactics.js",
    "circles-tactic.js",
    "circles-tx.js",
    "circles-network.js",
]
# Keys built from a value at run time, as `tx_outcome_${outcome}`: each family's members.
FAMILIES = {
    "tx_outcome_": ["won", "partial", "lost", "ongoing", "unknown"],
    "tx_how_": ["original", "human", "machine"],
    "tx_by_": ["human", "machine"],
    "tx_kind_": ["residency", "complaint"],
    "tx_refusal_": ["too_few_adoptions", "no_fit"],
}

MAIN = """
import { recorded } from "./recorder.js";
await import("./i18n-tactics.js");
const plural = {};
for (const l of %s) {
  const rules = new Intl.PluralRules(l);
  plural[l] = [...new Set(Array.from({ length: 201 }, (_, n) => rules.select(n)))];
}
console.log(JSON.stringify({ recorded, plural }));
"""


@pytest.fixture(scope="module")
def strings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to read the string tables (static/*.js are ES modules)")
    work = tmp_path_factory.mktemp("tx-i18n")
    (work / "package.json").write_text('{"type": "module"}')
    (work / "recorder.js").write_text(
        "export const recorded = [];\nexport function addStrings(t) { recorded.push(JSON.parse(JSON.stringify(t))); }\n"
    )
    text = (STATIC / "i18n-tactics.js").read_text(encoding="utf-8").replace('"/static/i18n.js"', '"./recorder.js"')
    (work / "i18n-tactics.js").write_text(text, encoding="utf-8")
    (work / "main.js").write_text(MAIN % json.dumps(SERVED))
    out = subprocess.run([node, "main.js"], cwd=work, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    merged: dict[str, dict[str, Any]] = {}
    for call in data["recorded"]:
        for language, table in call.items():
            merged.setdefault(language, {}).update(table)
    return {"tables": merged, "plural": data["plural"]}


def names(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(set(PLACEHOLDER.findall(v)) for v in value.values()))
    return set(PLACEHOLDER.findall(value))


def test_every_language_has_every_english_key_with_its_placeholders(strings):
    tables, plural = strings["tables"], strings["plural"]
    en = tables["en"]
    problems = []
    for language in SERVED:
        table = tables.get(language, {})
        problems += [f"{language}.{k}: not an English key" for k in sorted(set(table) - set(en))]
        for key, english in en.items():
            value = table.get(key)
            where = f"{language}.{key}"
            if value is None:
                problems.append(f"{where}: missing")
                continue
            if isinstance(english, dict) != isinstance(value, dict):
                problems.append(f"{where}: plural in one language and not the other")
                continue
            if isinstance(value, dict):
                missing = (set(plural[language]) | {"other"}) - set(value)
                if missing:
                    problems.append(f"{where}: plural forms missing for {sorted(missing)}")
                if any(not v.strip() for v in value.values()):
                    problems.append(f"{where}: an empty plural form")
                extra = names(value) - names(english)
                if extra:
                    problems.append(f"{where}: placeholders {sorted(extra)} not in English")
            else:
                if not value.strip():
                    problems.append(f"{where}: empty")
                if names(value) != names(english):
                    problems.append(f"{where}: placeholders {sorted(names(value))}, English {sorted(names(english))}")
    assert problems == [], "\n".join(problems)


def test_every_key_the_pages_use_is_there(strings):
    en = strings["tables"]["en"]
    used: set[str] = set()
    for name in USERS:
        text = (STATIC / name).read_text(encoding="utf-8")
        used |= {k for k in re.findall(r"\btx_[a-z0-9_]*[a-z0-9]\b", text) if not any(k == f[:-1] for f in FAMILIES)}
        for family, members in FAMILIES.items():
            if family in text:
                used |= {family + m for m in members}
    missing = sorted(k for k in used if k not in en)
    assert missing == []
    # and no English key that nothing uses
    unused = sorted(set(en) - used)
    assert unused == []
