"""The record: who spoke when and for how long, every demand in every language with its history,
every ballot and its result. JSON for machines (language-neutral data, names beside every id),
Markdown for circulating, in any language the product serves (assembly/minutes_text.py).
Secret ballots appear with their totals and the number of voters, never who voted how.

The Markdown follows its readers' conventions through Babel: plural rules ("1 voter", "2 voters",
Arabic's six forms), dates, times to the minute in the assembly's time zone, decimal separators.
Everything a participant typed (names, titles, texts, translations, sites, regions) is escaped, so
no name can add a table column, a link, an image or raw HTML: see ``md_inline``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytz
from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from assembly.definition import person_to_json
from assembly.minutes_text import CATALOGS, LOCALES, SERVED
from assembly.schulze import strongest_paths
from assembly.state import AssemblyState, Ballot, Text, parse_iso

SNIPPET = 40  # characters of a demand's text in its label ("D2 · Salario mínimo…")
FSI, PDI = "\u2068", "\u2069"  # Unicode isolates: a Latin name inside Arabic text keeps its order


# -- Language -----------------------------------------------------------------------------------


def _served(code: str) -> str | None:
    """The served language an assembly language code is written in: ``pt-BR`` -> ``pt``,
    ``tl`` (Tagalog, whose standard form is Filipino) -> ``fil``."""
    primary = code.split("-")[0].lower()
    primary = "fil" if primary == "tl" else primary
    return primary if primary in SERVED else None


def default_language(state: AssemblyState) -> str:
    """The assembly's first language when the product serves it, else English."""
    assert state.definition is not None
    return _served(state.definition.languages[0]) or "en"


def minutes_language(state: AssemblyState, requested: str | None) -> str:
    """``requested`` if served, the default when absent; ValueError naming the choices otherwise."""
    if requested is None or requested == "":
        return default_language(state)
    if requested not in SERVED:
        raise ValueError(f"lang must be one of {', '.join(SERVED)}, got {requested[:20]!r}")
    return requested


# -- Markdown escaping --------------------------------------------------------------------------

# Escaped wherever they stand: emphasis, code, links and images, raw HTML and entities, table
# cells, strikethrough, and ATX heading markers (also closing ones, at a heading's end).
_ALWAYS = frozenset("\\`*_[]<>&|~#")
# Escaped at the start of a line only, where they would open a block: a list item ("- ", "+ ",
# "1. ", "1) "), a setext underline ("===", "---"). Elsewhere they are plain punctuation, and
# leaving them bare keeps "A 35-hour week. (Paid.)" readable in the raw file too.
_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def _escape_line(line: str) -> str:
    out = []
    for i, ch in enumerate(line):
        if ch in _ALWAYS or (ch == "!" and line[i + 1 : i + 2] == "["):
            out.append("\\" + ch)
        else:
            out.append(ch)
    text = "".join(out)
    m = _ORDERED.match(text)
    if m:
        return f"{m.group(1)}\\{m.group(2)}{text[m.end() :]}"
    if text[:1] in ("-", "+", "="):
        return "\\" + text
    return text


def md_inline(text: str) -> str:
    """User text for one line of Markdown (a table cell, a heading, a list item, a sentence):
    every run of white space (newlines included) becomes one space, and what Markdown or HTML
    would read as markup is backslash-escaped. It renders as exactly the text, words intact."""
    return _escape_line(" ".join(str(text).split()))


def md_block(text: str) -> list[str]:
    """User text of several lines, each escaped as by ``md_inline``; blank lines kept (they part
    paragraphs), lines of a paragraph joined by hard breaks so the line breaks survive."""
    lines = [" ".join(line.split()) for line in str(text).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    out = []
    for i, line in enumerate(lines):
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        escaped = _escape_line(line)
        last = i + 1 == len(lines) or not lines[i + 1]
        out.append(escaped if last else escaped + "\\")
    return out


# -- Words and formats in one language ----------------------------------------------------------


def _zone(name: str) -> dt.tzinfo:
    """The zone by its IANA name: zoneinfo, which knows the rules after 2037 that pytz does not;
    pytz (which validated the name) when the system has no zone database."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return pytz.timezone(name)


def _plain_number(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(str(value)))
    return Fraction(Decimal(str(value)))


class Words:
    """The catalog, plural rules, numbers, dates and escaping of one language's minutes."""

    def __init__(self, lang: str, zone: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(LOCALES[lang])
        self.catalog = CATALOGS[lang]
        self.zone_name = zone
        self.zone = _zone(zone)
        self.rtl = self.locale.character_order == "right-to-left"
        self.one_day: dt.date | None = None  # set when every instant of the record is on one local day
        date = self.locale.date_formats["medium"].pattern
        time = self.locale.time_formats["short"].pattern
        self.time_pattern = time
        self.datetime_pattern = str(self.locale.datetime_formats["medium"]).replace("{1}", date).replace("{0}", time)

    def t(self, key: str, **values: Any) -> str:
        entry = self.catalog[key]
        assert isinstance(entry, str), key
        return entry.format(**values)

    def plural(self, key: str, n: int, **values: Any) -> str:
        forms = self.catalog[key]
        assert isinstance(forms, dict), key
        form = forms.get(self.locale.plural_form(n), forms["other"])
        return form.format(n=self.num(n), **values)

    def num(self, value: Any) -> str:
        return format_decimal(Decimal(str(value)) if not isinstance(value, Decimal) else value, locale=self.locale)

    def exact(self, value: Fraction) -> str:
        """An exact sum, to at most three decimals (weights have three)."""
        return self.num(round(Decimal(value.numerator) / Decimal(value.denominator), 3))

    def pct(self, share: Decimal) -> str:
        return format_percent(share, locale=self.locale, decimal_quantization=False)

    def user(self, text: Any) -> str:
        """Participant-provided text, escaped for one line (isolated in right-to-left minutes)."""
        escaped = md_inline(str(text))
        return f"{FSI}{escaped}{PDI}" if self.rtl else escaped

    def user_block(self, text: str) -> list[str]:
        lines = md_block(text)
        return [f"{FSI}{line}{PDI}" if self.rtl and line else line for line in lines]

    def language(self, code: str) -> str:
        """``español (es)``: the language's name in these minutes' language, and its code."""
        name = self.locale.languages.get(code.replace("-", "_")) or self.locale.languages.get(code.split("-")[0])
        return f"{name} ({code})" if name else code

    def local(self, at: str) -> dt.datetime:
        return parse_iso(at).astimezone(self.zone)

    def time(self, at: str) -> str:
        """To the minute, in the assembly's zone: the time alone when the whole record is on one
        day (the date is in the header), else date and time."""
        t = parse_iso(at)
        if self.one_day is not None and t.astimezone(self.zone).date() == self.one_day:
            return format_time(t, self.time_pattern, tzinfo=self.zone, locale=self.locale)
        return format_datetime(t, self.datetime_pattern, tzinfo=self.zone, locale=self.locale)

    def when(self, at: str) -> str:
        """A time in a sentence, with its zone: "14:05 (America/La_Paz)"."""
        return self.t("at_zone", time=self.time(at), zone=self.zone_name)

    def names(self, names: Iterable[str]) -> str:
        escaped = [self.user(n) for n in names]
        return format_list(escaped, locale=self.locale) if escaped else "—"


# -- JSON ---------------------------------------------------------------------------------------


def _name_of(state: AssemblyState, who: str | None) -> str | None:
    p = state.person(who)
    return p.name if p is not None else None


def minutes_json(state: AssemblyState) -> dict[str, Any]:
    """The record as language-neutral data: every id beside the name it stands for."""
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
                "history": [h | {"by_name": _name_of(state, h["by"])} for h in t.history],
                "translations": {
                    lang: {
                        "text": tr.text,
                        "by": tr.by,
                        "by_name": _name_of(state, tr.by),
                        "source_rev": tr.source_rev,
                        "stale": tr.source_rev < t.rev,
                    }
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
            entry["voter_names"] = {v: names.get(v, v) for v in sorted(b.votes)}
        if b.weight_risk is not None:
            entry["weight_risk"] = b.weight_risk  # the chair opened it knowing the weights could reveal choices
        ballots.append(entry)
    people = [{"role": p.role, **person_to_json(p)} for p in state.people.values()]
    return {
        "assembly": state.assembly_id,
        "title": state.definition.title,
        "languages": list(state.definition.languages),
        "timezone": state.definition.timezone,
        "people": people,
        "booths": {
            lang: [p.name for p in state.people.values() if p.role == "interpreter" and p.booth == lang]
            for lang in state.definition.languages
        },
        "speeches": [
            s | {"name": names.get(s["person"], s["person"]), "by_name": _name_of(state, s.get("by"))}
            for s in state.speeches
        ],
        "region_time": {r: round(v, 1) for r, v in sorted(state.region_spent.items())},
        "texts": texts,
        "ballots": ballots,
    }


# -- Markdown -----------------------------------------------------------------------------------


def _mmss(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(c if c else " " for c in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), "|" + "---|" * len(header), *(_row(r) for r in rows), ""]


def _matches(code: str, lang: str) -> bool:
    return _served(code) == lang


class _Record:
    """One rendering of the minutes in one language."""

    def __init__(self, state: AssemblyState, lang: str) -> None:
        assert state.definition is not None
        self.state = state
        self.d = state.definition
        self.w = Words(lang, self.d.timezone)
        instants = [s["started"] for s in state.speeches] + [s["at"] for s in state.speeches if "at" in s]
        instants += [h["at"] for t in state.texts.values() for h in t.history]
        instants += [tr.at for t in state.texts.values() for tr in t.translations.values()]
        instants += [b.opened for b in state.ballots.values()]
        self.days = sorted({self.w.local(at).date() for at in instants})
        if len(self.days) == 1:
            self.w.one_day = self.days[0]

    # names and labels

    def person(self, pid: str | None) -> str:
        p = self.state.person(pid)
        return self.w.user(p.name if p is not None else pid or "—")

    def by(self, who: str) -> str:
        """Who made an edit: a participant's name, the chair, or the adopted amendment."""
        if who in self.state.people:
            return self.person(who)
        if who == "chair":
            return self.w.t("by_chair")
        if who.startswith("amendment "):
            return self.w.t("by_amendment", id=who.removeprefix("amendment ").upper())
        return self.w.user(who)

    def body(self, t: Text) -> str:
        """The text in these minutes' language when a current translation has it, else the original."""
        if not _matches(t.language, self.w.lang):
            for code, tr in t.translations.items():
                if _matches(code, self.w.lang) and tr.source_rev == t.rev:
                    return tr.text
        return t.text

    def label(self, tid: str | None) -> str:
        """``D2 · Salario mínimo…``: the number and the start of the text, escaped."""
        if tid is None:
            return "—"
        t = self.state.texts.get(tid)
        if t is None:
            return self.w.user(tid.upper())
        words = " ".join(self.body(t).split())
        if len(words) > SNIPPET:
            cut = words[:SNIPPET]
            space = cut.rfind(" ")
            words = (cut[:space] if space > SNIPPET // 2 else cut).rstrip(" ,.;:") + "…"
        return f"{tid.upper()} · {self.w.user(words)}"

    # sections

    def render(self) -> str:
        w = self.w
        out = [f"# {w.t('title', title=w.user(self.d.title))}", ""]
        languages = format_list([w.language(code) for code in self.d.languages], locale=w.locale)
        out += [w.t("summary", assembly=w.user(self.state.assembly_id or ""), languages=languages), ""]
        if self.days:
            first, last = self.days[0], self.days[-1]
            if first == last:
                date = format_date(first, "long", locale=w.locale)
            else:
                date = format_interval(first, last, "yMMMd", locale=w.locale)
            out += [w.t("date", date=date), ""]
        out += [w.t("times_in", zone=w.zone_name), ""]
        out += self.participants() + self.speakers() + self.texts() + self.ballots()
        return "\n".join(out).rstrip() + "\n"

    def participants(self) -> list[str]:
        w = self.w
        people = list(self.state.people.values())
        out = [f"## {w.t('h_participants')}", ""]
        chairs = [p.name for p in people if p.role == "chair"]
        if chairs:
            out += [w.t("chaired_by", names=w.names(chairs)), ""]
        booths = [
            (lang, [p.name for p in people if p.role == "interpreter" and p.booth == lang]) for lang in self.d.languages
        ]
        booths = [(lang, names) for lang, names in booths if names]
        if booths:
            out += [w.t("booths"), ""]
            out += [f"- {w.t('booth_line', language=w.language(lang), names=w.names(names))}" for lang, names in booths]
            out.append("")
        delegates = [p for p in people if p.role == "delegate"]
        if delegates:
            total = sum((Fraction(p.weight) for p in delegates), Fraction(0))
            count = w.plural("delegates", len(delegates))
            out += [w.t("delegates_summary", delegates=count, weight=w.exact(total)), ""]
            header = [w.t("col_delegate"), w.t("col_site"), w.t("col_region"), w.t("col_weight")]
            rows = [
                [
                    w.user(p.name),
                    w.user(p.site) if p.site else "—",
                    w.user(p.region) if p.region else "—",
                    w.num(p.weight),
                ]
                for p in delegates
            ]
            out += _table(header, rows)
        return out

    def speakers(self) -> list[str]:
        w = self.w
        out = [f"## {w.t('h_speakers')}", ""]
        if not self.state.speeches:
            return [*out, w.t("nobody_spoke"), ""]
        header = [
            "#",
            w.t("col_speaker"),
            w.t("col_kind"),
            w.t("col_started", zone=w.zone_name),
            w.t("col_length"),
            w.t("col_overtime"),
        ]
        rows = []
        for i, s in enumerate(self.state.speeches, 1):
            who = self.person(s["person"])
            if s.get("region"):
                who += f" ({w.user(s['region'])})"
            kind = w.t("kind_" + s["kind"])
            if s.get("by") == "dropped":
                kind += f" · {w.t('ended_dropped')}"
            overtime = w.t("overtime_yes") if s["overtime"] else ""
            rows.append([str(i), who, kind, w.time(s["started"]), _mmss(s["seconds"]), overtime])
        out += _table(header, rows)
        if self.state.region_spent:
            spent = ", ".join(f"{w.user(r)} {_mmss(v)}" for r, v in sorted(self.state.region_spent.items()))
            out += [w.t("region_time", list=spent), ""]
        return out

    def texts(self) -> list[str]:
        w = self.w
        out = [f"## {w.t('h_texts')}", ""]
        if not self.state.texts:
            return [*out, w.t("no_texts"), ""]
        for t in self.state.texts.values():
            out += [f"### {self.label(t.id)} — {w.t('status_' + t.status)}", ""]
            proposed = w.when(t.history[0]["at"]) if t.history else "—"
            if t.demand is None:
                out.append(w.t("proposed_demand", name=self.person(t.proposer), time=proposed))
            else:
                demand = self.label(t.demand)
                out.append(w.t("proposed_amendment", demand=demand, name=self.person(t.proposer), time=proposed))
            out.append("")
            if t.status == "no_quorum":
                out += [w.t("no_quorum_note"), ""]
            out += [f"**{w.t('original', language=w.language(t.language), rev=t.rev)}**", ""]
            out += self.quote(t.text)
            order = {code: i for i, code in enumerate(self.d.languages)}
            for code, tr in sorted(t.translations.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
                if tr.source_rev < t.rev:
                    head = w.t("translation_stale", language=w.language(code), name=self.by(tr.by), rev=tr.source_rev)
                else:
                    head = w.t("translation", language=w.language(code), name=self.by(tr.by))
                out += [f"**{head}**", "", *self.quote(tr.text)]
            if len(t.history) > 1:
                out += [w.t("history"), ""]
                for h in t.history:
                    entry = w.t(
                        "history_entry",
                        rev=h["rev"],
                        time=w.time(h["at"]),
                        language=w.language(h["language"]),
                        name=self.by(h["by"]),
                        text=w.user(h["text"]),
                    )
                    out.append(f"- {entry}")
                out.append("")
        return out

    def quote(self, text: str) -> list[str]:
        return [f"> {line}" if line else ">" for line in self.w.user_block(text)] + [""]

    def ballots(self) -> list[str]:
        w = self.w
        out = [f"## {w.t('h_ballots')}", ""]
        if not self.state.ballots:
            return [*out, w.t("no_ballots"), ""]
        for b in self.state.ballots.values():
            out += self.motion(b) if b.kind == "motion" else self.ranking(b)
        return out

    def opening(self, b: Ballot) -> list[str]:
        w = self.w
        parts = [w.t("secret_ballot" if b.secret else "open_ballot")]
        if b.majority in ("simple", "two_thirds"):
            parts.append(w.t("majority_" + b.majority))
        parts += [w.t("opened", time=w.when(b.opened)), w.plural("voters", len(b.voters))]
        out = [" · ".join(parts), ""]
        risk = b.weight_risk
        if risk:
            classes = "; ".join(
                w.t("weight_class", weight=w.num(c["weight"]), delegates=w.plural("delegates", c["delegates"]))
                for c in risk["classes"]
            )
            out += [w.t("weight_risk", classes=classes, k=w.plural("delegates", risk["k"])), ""]
        return out

    def motion(self, b: Ballot) -> list[str]:
        w = self.w
        out = [f"### {w.t('ballot_motion', n=b.id, target=self.label(b.target))}", "", *self.opening(b)]
        r = b.result
        if r is None:
            return [*out, w.t("still_open"), ""]
        outcome = r["outcome"]
        out += [w.t("result", outcome=f"**{w.t('status_' + outcome)}**"), ""]
        if outcome == "no_quorum":
            out += [w.t("outcome_no_quorum"), ""]
        choices = ("yes", "no", "abstain")
        if b.secret:
            rows = [[w.t("choice_" + c), w.num(r[c])] for c in choices]
            out += _table([w.t("col_choice"), w.t("col_weight")], rows)
            out += [w.t("secret_heads"), ""]
        else:
            heads = {c: sum(1 for v in b.votes.values() if v == c) for c in choices}
            rows = [[w.t("choice_" + c), w.num(r[c]), w.num(heads[c])] for c in choices]
            out += _table([w.t("col_choice"), w.t("col_weight"), w.t("col_delegates")], rows)
            out += [w.t("weights_heads"), ""]
        out += [self.quorum(b, r), ""]
        out += self.votes(b, lambda choice: w.t("choice_" + choice), w.t("col_vote"))
        return out

    def quorum(self, b: Ballot, r: dict[str, Any]) -> str:
        w = self.w
        if b.quorum == 0:
            return w.t("quorum_none")
        present = _plain_number(r.get("present_weight", 0))
        took_part = sum((_plain_number(r[c]) for c in ("yes", "no", "abstain")), Fraction(0))
        return w.t(
            "quorum_line",
            share=w.pct(b.quorum),
            present=w.exact(present),
            needed=w.exact(Fraction(b.quorum) * present),
            took_part=w.exact(took_part),
            verdict=w.t("quorum_met" if r["quorum_met"] else "quorum_not_met"),
        )

    def votes(self, b: Ballot, show: Any, column: str) -> list[str]:
        """Who voted how, for open ballots: name, choice, weight; by name."""
        w = self.w
        if b.secret or not b.votes:
            return []
        rows = []
        for voter, choice in b.votes.items():
            p = self.state.person(voter)
            rows.append((p.name if p else voter, [self.person(voter), show(choice), w.num(p.weight) if p else "—"]))
        rows.sort(key=lambda r: (r[0].casefold(), r[0]))
        return [w.t("votes"), "", *_table([w.t("col_delegate"), column, w.t("col_weight")], [r[1] for r in rows])]

    def tiers(self, tiers: list[list[str]]) -> str:
        return " > ".join(" = ".join(tid.upper() for tid in tier) for tier in tiers)

    def ranking(self, b: Ballot) -> list[str]:
        w = self.w
        out = [f"### {w.t('ballot_ranking', n=b.id)}", "", *self.opening(b)]
        names = list(b.candidates)
        r = b.result
        if r is None:
            out += [w.t("candidates", list="; ".join(self.label(c) for c in names)), "", w.t("still_open"), ""]
            return out
        out += [w.t("ranking_result"), ""]
        for i, tier in enumerate(r["ranking"], 1):
            out.append(f"{i}. " + " = ".join(self.label(c) for c in tier))
        out.append("")
        d = r.get("pairwise")
        if d is not None:
            paths = r.get("strongest_paths") or strongest_paths(names, d)
            opposition = r.get("path_opposition")
            out += [w.t("pairwise_intro"), "", *self.matrix(names, d)]
            out += [w.t("paths_intro")]
            if opposition is not None:
                out.append(w.t("paths_opposition"))
            out += ["", *self.matrix(names, paths, opposition)]
        out += self.votes(b, self.tiers, w.t("col_ranking"))
        return out

    def matrix(
        self, names: list[str], m: dict[str, dict[str, Any]], q: dict[str, dict[str, Any]] | None = None
    ) -> list[str]:
        """A row and a column per candidate; the diagonal is "—"."""
        w = self.w

        def cell(x: str, y: str) -> str:
            if x == y:
                return "—"
            value = m.get(x, {}).get(y, 0)
            if q is not None and value:
                return f"{w.num(value)} / {w.num(q.get(x, {}).get(y, 0))}"
            return w.num(value)

        header = ["", *(n.upper() for n in names)]
        return _table(header, [[self.label(x), *(cell(x, y) for y in names)] for x in names])


def minutes_markdown(state: AssemblyState, lang: str | None = None) -> str:
    """The minutes as Markdown in ``lang`` (one of SERVED; default: ``default_language``)."""
    return _Record(state, minutes_language(state, lang)).render()
