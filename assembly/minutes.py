"""The record: who spoke when and for how long, every demand in every language with its history,
every ballot and its result. JSON for machines, Markdown for circulating. Secret ballots appear
with their totals and the number of voters, never who voted how."""

from __future__ import annotations

from typing import Any

from assembly.state import AssemblyState


def minutes_json(state: AssemblyState) -> dict[str, Any]:
    assert state.definition is not None
    names = {pid: p.name for pid, p in state.people.items()}
    texts = []
    for t in state.texts.values():
        texts.append(
            {
                "id": t.id,
                "kind": "amendment" if t.demand else "demand",
                "demand": t.demand,
                "proposer": t.proposer,
                "proposer_name": names.get(t.proposer, t.proposer),
                "status": t.status,
                "language": t.language,
                "text": t.text,
                "rev": t.rev,
                "history": list(t.history),
                "translations": {
                    lang: {"text": tr.text, "by": tr.by, "source_rev": tr.source_rev, "stale": tr.source_rev < t.rev}
                    for lang, tr in sorted(t.translations.items())
                },
            }
        )
    ballots = []
    for b in state.ballots.values():
        entry: dict[str, Any] = {
            "ballot": b.id,
            "kind": b.kind,
            "target": b.target,
            "candidates": list(b.candidates),
            "majority": b.majority,
            "secret": b.secret,
            "quorum": str(b.quorum),
            "opened": b.opened,
            "status": b.status,
            "voters": len(b.voters),
            "result": b.result,
        }
        if not b.secret:
            entry["votes"] = dict(sorted(b.votes.items()))
        if b.weight_risk is not None:
            entry["weight_risk"] = b.weight_risk  # the chair opened it knowing the weights could reveal choices
        ballots.append(entry)
    return {
        "assembly": state.assembly_id,
        "title": state.definition.title,
        "languages": list(state.definition.languages),
        "speeches": [s | {"name": names.get(s["person"], s["person"])} for s in state.speeches],
        "region_time": {r: round(v, 1) for r, v in sorted(state.region_spent.items())},
        "texts": texts,
        "ballots": ballots,
    }


def _mmss(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _choice(choice: object) -> str:
    if isinstance(choice, list):  # a ranking: tiers of candidates
        return " > ".join(" = ".join(tier) for tier in choice)
    return str(choice)


def minutes_markdown(state: AssemblyState) -> str:
    m = minutes_json(state)
    out = [f"# Minutes: {m['title']}", "", f"Languages: {', '.join(m['languages'])}", "", "## Speakers", ""]
    if not m["speeches"]:
        out.append("Nobody spoke.")
    else:
        out += ["| # | speaker | kind | started (UTC) | length | over time |", "|---|---|---|---|---|---|"]
        for i, s in enumerate(m["speeches"], 1):
            out.append(
                f"| {i} | {s['name']} ({s.get('region') or '—'}) | {s['kind'].replace('_', ' ')} | {s['started']} | "
                f"{_mmss(s['seconds'])} | {'yes' if s['overtime'] else ''} |"
            )
    if m["region_time"]:
        out += ["", "Speaking time by region: " + ", ".join(f"{r} {_mmss(v)}" for r, v in m["region_time"].items())]
    out += ["", "## Demands and amendments", ""]
    for t in m["texts"]:
        head = f"### {t['id']} ({t['kind']}{' to ' + t['demand'] if t['demand'] else ''}) — {t['status']}"
        out += [
            head,
            "",
            f"Proposed by {t['proposer_name']}.",
            "",
            f"**{t['language']}** (original, rev {t['rev']}): {t['text']}",
        ]
        for lang, tr in t["translations"].items():
            stale = " *(translation of an earlier revision)*" if tr["stale"] else ""
            out.append(f"\n**{lang}**{stale}: {tr['text']}")
        if len(t["history"]) > 1:
            out += ["", "History:"] + [
                f"- rev {h['rev']} ({h['language']}, {h['by']}, {h['at']}): {h['text']}" for h in t["history"]
            ]
        out.append("")
    out += ["## Ballots", ""]
    for b in m["ballots"]:
        what = b["target"] or "priority ranking of " + ", ".join(b["candidates"])
        kind = "secret" if b["secret"] else "open"
        out.append(
            f"### Ballot {b['ballot']}: {what} ({kind}, {b['majority'].replace('_', ' ')}, {b['voters']} voters)"
        )
        risk = b.get("weight_risk")
        if risk:
            classes = "; ".join(
                f"weight {c['weight']}: {c['delegates']} delegate{'s' if c['delegates'] != 1 else ''}"
                for c in risk["classes"]
            )
            out.append(
                "\nOpened secret although the weights could reveal choices (the chair was warned and went ahead): "
                f"{classes}; each weight needs at least {risk['k']} delegates.\n"
            )
        r = b["result"]
        if r is None:
            out.append("\nStill open.\n")
        elif b["kind"] == "motion":
            out.append(
                f"\nYes {r['yes']}, no {r['no']}, abstain {r['abstain']} (weight present {r['present_weight']}, "
                f"quorum {'met' if r['quorum_met'] else 'not met'}): **{r['outcome'].replace('_', ' ')}**.\n"
            )
        else:
            out.append("\nRanking: " + " > ".join(" = ".join(tier) for tier in r["ranking"]) + "\n")
        if not b["secret"] and b.get("votes"):
            out.append("Votes: " + ", ".join(f"{v}: {_choice(c)}" for v, c in b["votes"].items()) + "\n")
    return "\n".join(out).rstrip() + "\n"
