"""The minutes (assembly/minutes.py), pure: every served language with its plural rules, dates and
times to the minute in the assembly's zone, names instead of ids, weights and heads labelled, the
Schulze tables, and escaping that keeps a participant's text from becoming Markup or HTML. The
Markdown is rendered with markdown-it-py (CommonMark + GFM tables) to check what a reader sees."""

from __future__ import annotations

import datetime as dt
import html
import re
import string
from dataclasses import replace

import pytest
from assembly_driver import DEFINITION, Driver
from babel import Locale
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from assembly import core
from assembly.definition import assembly_to_json, parse_assembly
from assembly.minutes import default_language, md_block, md_inline, minutes_json, minutes_language, minutes_markdown
from assembly.minutes_text import CATALOGS, LOCALES, SERVED
from mayday.definitions import SpecError

EVIL_NAME = "<img src=x onerror=alert(1)>"
PIPE_NAME = "*bold*|pipe"
PERSON_IDS = ("ama", "ngozi", "kwame", "rosa", "joao", "maria", "lucia")


def render(md: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(md)


def tables(md: str) -> list[list[list[str]]]:
    """Every table as rows of cell texts (what a reader sees in each cell)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    out: list[list[list[str]]] = []
    for tok in tokens:
        if tok.type == "table_open":
            out.append([])
        elif tok.type == "tr_open":
            out[-1].append([])
        elif tok.type == "inline" and out and tokens[tokens.index(tok) - 1].type in ("th_open", "td_open"):
            out[-1][-1].append("".join(c.content for c in tok.children or []))
    return out


def texts_of(md: str) -> str:
    """The rendered text, tags stripped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", render(md)))


# -- The catalogs --------------------------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_served_language_has_a_catalog_a_locale_and_babel_data():
    assert tuple(CATALOGS) == SERVED and set(LOCALES) == set(SERVED)
    assert {"en", "es", "fr", "pt", "ar", "sw", "fil", "hi"} <= set(SERVED)
    for lang in SERVED:
        Locale.parse(LOCALES[lang])  # raises when Babel has no data for it


@pytest.mark.parametrize("lang", SERVED)
def test_a_catalog_has_every_key_with_the_same_placeholders(lang):
    en, cat = CATALOGS["en"], CATALOGS[lang]
    assert set(cat) == set(en), f"{lang}: missing {sorted(set(en) - set(cat))}, extra {sorted(set(cat) - set(en))}"
    tags = Locale.parse(LOCALES[lang]).plural_form.tags | {"other"}
    for key, entry in en.items():
        theirs = cat[key]
        if isinstance(entry, str):
            assert isinstance(theirs, str), f"{lang}.{key}: expected a text"
            assert placeholders(theirs) == placeholders(entry), f"{lang}.{key}: placeholders differ"
            continue
        assert isinstance(theirs, dict), f"{lang}.{key}: expected plural forms"
        assert set(theirs) == tags, f"{lang}.{key}: forms {sorted(theirs)}, Babel's rules need {sorted(tags)}"
        expected = placeholders(entry["other"])
        for category, form in theirs.items():
            got = placeholders(form)
            # A form whose category fixes the number ("one", "two", "zero") may say it in words.
            optional = {"n"} if category in ("zero", "one", "two") else set()
            assert expected - optional <= got <= expected, f"{lang}.{key}[{category}]: placeholders {sorted(got)}"


@pytest.mark.parametrize("lang", SERVED)
def test_a_catalog_holds_words_not_markup(lang):
    """Markup stays in the code, so no translation can break a table or add a link."""
    for key, entry in CATALOGS[lang].items():
        for text in [entry] if isinstance(entry, str) else entry.values():
            words = re.sub(r"\{[a-z_]+\}", "", text)
            assert not set(words) & set("\\`*_[]<>|#&~\n"), f"{lang}.{key}: {text!r}"


def test_the_catalog_test_catches_a_missing_key_and_a_wrong_placeholder(monkeypatch):
    broken = dict(CATALOGS["es"])
    del broken["h_speakers"]
    monkeypatch.setitem(CATALOGS, "es", broken)
    with pytest.raises(AssertionError, match="missing"):
        test_a_catalog_has_every_key_with_the_same_placeholders("es")
    monkeypatch.setitem(CATALOGS, "es", dict(CATALOGS["en"]) | {"title": "Acta: {titulo}"})
    with pytest.raises(AssertionError, match="placeholders differ"):
        test_a_catalog_has_every_key_with_the_same_placeholders("es")
    monkeypatch.setitem(CATALOGS, "es", dict(CATALOGS["en"]))  # English plural forms lack "many"
    with pytest.raises(AssertionError, match="Babel's rules"):
        test_a_catalog_has_every_key_with_the_same_placeholders("es")


# -- A whole assembly ----------------------------------------------------------------------------


def session(zone: str = "America/La_Paz", **extra) -> Driver:
    """Speeches, a demand with a translation, an edit and an adopted amendment, an open ballot,
    a secret one, one without quorum, and a ranking."""
    drive = Driver(DEFINITION | {"timezone": zone} | extra)
    for who in ("ngozi", "rosa", "kwame", "maria"):
        drive(core.SetPresence(who, True))
    drive.advance(5 * 60 + 30)  # 12:05:30 UTC, 08:05 in La Paz
    drive(core.RaiseHand("ngozi"))
    drive(core.GrantFloor())
    drive.advance(130)
    drive(core.RaiseHand("rosa", "point_of_order"))
    drive(core.GrantFloor())  # ends Ngozi's speech, over her two minutes
    drive.advance(20)
    drive(core.EndSpeech())
    drive(core.ProposeDemand("rosa", "es", "Salario mínimo vital y móvil en todas las sedes de la empresa"))
    drive(core.Translate("d1", "fr", "Un salaire minimum vital et indexé sur tous les sites de l'entreprise", "lucia"))
    drive(core.EditText("d1", "Salario mínimo vital y móvil en todas las sedes", "rosa"))
    drive(core.ProposeAmendment("d1", "maria", "en", "A living wage at every site"))
    drive(core.OpenBallot("a1"))
    for voter, choice in (("ngozi", "yes"), ("rosa", "yes"), ("kwame", "no"), ("maria", "abstain")):
        drive(core.CastVote(1, voter, choice))
    drive(core.CloseBallot(1))  # a1 adopted: d1 now reads as a1
    drive(core.OpenBallot("d1", majority="two_thirds"))
    for voter in ("ngozi", "rosa", "kwame"):
        drive(core.CastVote(2, voter, "yes"))
    drive(core.CloseBallot(2))
    drive(core.ProposeDemand("ngozi", "en", "Thirty-five hour week"))
    drive(core.ProposeDemand("kwame", "fr", "Pas de licenciement pour fait de grève"))
    drive(core.OpenBallot("d2", secret=True, accept_weight_risk=True))
    for voter in ("ngozi", "rosa", "kwame"):  # 2 + 1 yes, 1 no: the core sees who, never what
        drive(core.CastSecretVote(3, voter))
    drive(core.CloseBallot(3, secret_totals={"b3:yes": 3000, "b3:no": 1000, "b3:abstain": 0}))
    drive(core.OpenBallot("d3"))
    drive(core.CastVote(4, "kwame", "yes"))
    drive(core.CloseBallot(4))  # 1 of 5 present: no quorum
    drive(core.OpenBallot("d3"))
    for voter in ("ngozi", "kwame", "rosa"):
        drive(core.CastVote(5, voter, "yes"))
    drive(core.CloseBallot(5))
    drive(core.OpenRanking())
    drive(core.CastVote(6, "ngozi", [["d2"], ["d1"], ["d3"]]))
    drive(core.CastVote(6, "rosa", [["d1"], ["d3", "d2"]]))
    drive(core.CastVote(6, "kwame", [["d3"], ["d1"], ["d2"]]))
    drive(core.CloseBallot(6))
    return drive


@pytest.fixture(scope="module")
def state():
    return session().state


@pytest.mark.parametrize("lang", SERVED)
def test_every_language_renders_the_whole_record(state, lang):
    md = minutes_markdown(state, lang)
    cat = CATALOGS[lang]
    for key in ("h_participants", "h_speakers", "h_texts", "h_ballots"):
        assert f"## {cat[key]}" in md
    if lang != "en":
        assert "## Speakers" not in md and "Ballot 1" not in md
    # Two tables per ranking, and every table has the columns its header promises.
    found = tables(md)
    # people, speeches, four open motions with their votes, a secret one, the ranking's three
    assert len(found) == 1 + 1 + 4 * 2 + 1 + 3
    for table in found:
        assert len({len(row) for row in table}) == 1, table


def test_english_minutes_read_as_a_record(state):
    md = minutes_markdown(state, "en")
    assert md.startswith("# Minutes: Test assembly\n")
    assert "Date: 1 May 2027" in md
    assert "Times are given to the minute in the assembly's time zone, America/La_Paz." in md
    speeches = tables(md)[1]
    assert speeches[0] == ["#", "Speaker", "Kind", "Started (America/La_Paz)", "Length", "Over time"]
    assert speeches[1] == ["1", "Ngozi (africa)", "speech", "08:05", "2:10", "yes"]
    assert speeches[2] == ["2", "Rosa (americas)", "point of order", "08:07", "0:20", ""]
    assert "Speaking time by region: africa 2:10, americas 0:20" in md


def test_names_not_ids(state):
    md = minutes_markdown(state, "en")
    text = texts_of(md)
    for pid in PERSON_IDS:  # the names are capitalised, the ids are not
        assert not re.search(rf"\b{pid}\b", text), pid
    assert "Chaired by Ama." in text
    assert "- Spanish (es): Lucía" in md  # the booth's interpreter
    assert "French (fr), translated by Lucía from revision 1; the text has changed since:" in text
    assert "Demand proposed by Rosa, 08:08 (America/La_Paz)." in text
    assert "Amendment to D1 · A living wage at every site; proposed by Maria" in text
    assert "- Revision 2, 08:08, Spanish (es), by Rosa: Salario mínimo vital y móvil en todas las sedes\n" in md
    assert "- Revision 3, 08:08, English (en), by amendment A1: A living wage at every site\n" in md
    votes = tables(md)[3]
    assert votes == [
        ["Delegate", "Vote", "Weight"],
        ["Kwame", "No", "1"],
        ["Maria", "Abstain", "1"],
        ["Ngozi", "Yes", "2"],
        ["Rosa", "Yes", "1"],
    ]


def test_a_demand_is_labelled_by_number_and_the_start_of_its_text(state):
    md = minutes_markdown(state, "es")
    assert "### D3 · Pas de licenciement pour fait de grève — aprobada" in md
    # The label is in the reader's language when a current translation has it: D1's French
    # translation is stale (the text changed since), so the French reader sees the text as it stands.
    assert "### D1 · A living wage at every site — aprobada" in md
    assert "### D1 · A living wage at every site — adoptée" in minutes_markdown(state, "fr")
    drive = Driver()
    drive(core.ProposeDemand("rosa", "es", "Salario mínimo " + "y móvil " * 20))
    assert "### D1 · Salario mínimo y móvil y móvil y móvil… — proposed" in minutes_markdown(drive.state, "en")
    drive(core.Translate("d1", "en", "A minimum wage", "lucia"))
    assert "### D1 · A minimum wage — proposed" in minutes_markdown(drive.state, "en")
    assert "### D1 · Salario mínimo y móvil y móvil y móvil… — propuesta" in minutes_markdown(drive.state, "es")


def test_weights_and_heads_are_labelled_and_quorum_is_explained(state):
    md = minutes_markdown(state, "en")
    assert "### Ballot 1: A1 · A living wage at every site" in md
    assert "Open ballot · simple majority: yes must outweigh no · opened 08:08 (America/La_Paz) · 4 voters\n" in md
    assert tables(md)[2] == [
        ["Choice", "Weight", "Delegates"],
        ["Yes", "3", "2"],
        ["No", "1", "1"],
        ["Abstain", "1", "1"],
    ]
    assert "Weight is the sum of the voters' weights; delegates are heads." in md
    assert (
        "Quorum: 50% of the weight present (5) had to take part, that is 2.5; the weight taking part was 5 "
        "(yes, no and abstain): met."
    ) in md
    assert "two-thirds majority: yes needs at least two thirds of yes and no together" in md
    fr = minutes_markdown(state, "fr")
    assert "| Oui | 3 | 2 |" in fr and "poids présent (5) devait participer, soit 2,5" in fr


def test_a_secret_ballot_shows_totals_and_voters_never_who(state):
    md = minutes_markdown(state, "en")
    section = md.split("### Ballot 3:")[1].split("### Ballot 4:")[0]
    assert "Secret ballot ·" in section and "· 3 voters\n" in section
    assert "| Yes | 3 |" in section and "Delegates" not in section and "Votes:" not in section
    assert "never who voted how" in section
    assert "Opened secret although the weights could reveal choices" in section
    assert (
        "weight 1: 3 delegates; weight 1.5: 1 delegate; weight 2: 1 delegate; each weight needs at least 5 delegates."
    ) in section


def test_no_quorum_is_its_own_outcome_not_a_rejection(state):
    md = minutes_markdown(state, "en")
    section = md.split("### Ballot 4:")[1].split("### Ballot 5:")[0]
    assert "Result: **no quorum**" in section and "rejected" not in section
    assert "The ballot decided nothing" in section and "1 voter ·" not in section and "· 1 voter\n" in section
    assert "the weight taking part was 1 (yes, no and abstain): not met." in section
    assert "Resultado: **sin quórum**" in minutes_markdown(state, "es")
    assert "النتيجة: **لم يكتمل النصاب**" in minutes_markdown(state, "ar")
    data = minutes_json(state)
    assert data["ballots"][3]["result"]["outcome"] == "no_quorum"


def test_a_text_left_without_quorum_says_so():
    drive = Driver()
    for who in ("ngozi", "kwame", "rosa", "joao", "maria"):
        drive(core.SetPresence(who, True))
    drive(core.ProposeDemand("rosa", "es", "Salario"))
    drive(core.OpenBallot("d1"))
    drive(core.CastVote(1, "rosa", "yes"))
    drive(core.CloseBallot(1))
    assert drive.state.texts["d1"].status == "no_quorum"
    md = minutes_markdown(drive.state, "en")
    assert "### D1 · Salario — no quorum" in md and "rejected" not in md
    assert "Its last ballot did not reach quorum" in md


@pytest.mark.parametrize(
    ("lang", "one", "two", "many"),
    [
        ("en", "· 1 voter\n", "· 2 voters", "5 delegates"),
        ("es", "· 1 votante\n", "· 2 votantes", "5 delegados"),
        ("fr", "· 1 votant\n", "· 2 votants", "5 délégués"),
        ("pt", "· 1 votante\n", "· 2 votantes", "5 delegados"),
        ("ar", "· مصوّت واحد\n", "· مصوّتان", "5 مندوبين"),
        ("sw", "· mpiga kura 1\n", "· wapiga kura 2", "wajumbe 5"),
        ("fil", "· 1 botante\n", "· 2 botante", "5 delegado"),
        ("hi", "· 1 मतदाता\n", "· 2 मतदाता", "5 प्रतिनिधि"),
    ],
)
def test_plural_rules_in_each_language(lang, one, two, many):
    drive = Driver()
    drive(core.ProposeDemand("rosa", "es", "Salario"))
    drive(core.ProposeDemand("rosa", "es", "Pan"))
    drive(core.OpenBallot("d1", quorum=core.Decimal(0)))
    drive(core.CastVote(1, "rosa", "yes"))
    drive(core.CloseBallot(1))
    drive(core.OpenBallot("d2", quorum=core.Decimal(0)))
    drive(core.CastVote(2, "rosa", "yes"))
    drive(core.CastVote(2, "kwame", "yes"))
    md = minutes_markdown(drive.state, lang)
    assert one in md and two in md and many in md


def test_arabic_keeps_latin_names_in_order_with_isolates(state):
    md = minutes_markdown(state, "ar")
    assert "\u2068Ngozi\u2069" in md and "ترأسها \u2068Ama\u2069." in md
    assert "\u2068" not in minutes_markdown(state, "en")


# -- Times ---------------------------------------------------------------------------------------


def test_times_to_the_minute_in_the_assemblys_zone_and_dates_across_days():
    drive = Driver(DEFINITION | {"timezone": "Asia/Kolkata"})
    drive.advance(11 * 3600 + 59 * 60 + 59)  # 23:59:59 UTC: 05:29 the next day in Kolkata
    drive(core.ProposeDemand("rosa", "es", "Salario"))
    drive.advance(-86400)
    drive(core.ProposeDemand("ngozi", "en", "Wage"))
    md = minutes_markdown(drive.state, "en")
    assert re.search(r"^Date: 1\s*–\s*2 May 2027$", md, re.M)  # Babel's interval, thin spaces and all
    assert "Demand proposed by Rosa, 2 May 2027, 05:29 (Asia/Kolkata)." in md  # to the minute, not rounded
    assert "Demand proposed by Ngozi, 1 May 2027, 05:29 (Asia/Kolkata)." in md
    assert "T23:59" not in md and "05:29:" not in md
    assert "2 mai 2027, 05:29 (Asia/Kolkata)" in minutes_markdown(drive.state, "fr")
    assert "2 may 2027, 5:29 (Asia/Kolkata)" in minutes_markdown(drive.state, "es")


def test_summer_time_after_2037_is_still_right():
    """pytz has no transitions after 2037; the minutes convert with zoneinfo."""
    drive = Driver(DEFINITION | {"timezone": "America/New_York"})
    drive.now = dt.datetime(2038, 7, 1, 16, 0, tzinfo=dt.UTC)
    drive(core.ProposeDemand("rosa", "es", "Salario"))
    assert "Demand proposed by Rosa, 12:00 (America/New_York)." in minutes_markdown(drive.state, "en")


def test_utc_when_the_definition_names_no_zone():
    drive = Driver()
    drive(core.ProposeDemand("rosa", "es", "Salario"))
    assert "Demand proposed by Rosa, 12:00 (UTC)." in minutes_markdown(drive.state, "en")
    assert minutes_json(drive.state)["timezone"] == "UTC"


def test_the_definition_takes_an_iana_zone_and_keeps_it():
    assert parse_assembly(DEFINITION).timezone == "UTC"
    a = parse_assembly(DEFINITION | {"timezone": "America/La_Paz"})
    assert a.timezone == "America/La_Paz"
    assert assembly_to_json(a)["timezone"] == "America/La_Paz"
    assert parse_assembly(assembly_to_json(a)) == a
    for bad in ("Mars/Olympus", "utc+2", "", 5, None, ["UTC"]):
        with pytest.raises(SpecError, match="timezone"):
            parse_assembly(DEFINITION | {"timezone": bad})


# -- Languages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("languages", "expected"),
    [(["es", "en"], "es"), (["sw"], "sw"), (["pt-BR", "en"], "pt"), (["tl", "en"], "fil"), (["de", "es"], "en")],
)
def test_the_default_language_is_the_assemblys_first_when_served(languages, expected):
    d = DEFINITION | {"languages": languages, "interpreters": []}
    d = d | {"delegates": [p | {"language": languages[0]} for p in DEFINITION["delegates"]]}
    drive = Driver(d)
    assert default_language(drive.state) == expected
    assert minutes_markdown(drive.state).startswith("# " + CATALOGS[expected]["title"].split("{")[0])


def test_an_unknown_language_is_refused_with_the_choices():
    drive = Driver()
    assert minutes_language(drive.state, None) == "en" and minutes_language(drive.state, "hi") == "hi"
    with pytest.raises(ValueError, match="en, es, fr, pt, ar, sw, fil, hi"):
        minutes_language(drive.state, "xx")


# -- Schulze -------------------------------------------------------------------------------------


def test_a_ranking_shows_its_order_pairwise_table_and_strongest_paths(state):
    md = minutes_markdown(state, "en")
    section = md.split("### Ballot 6:")[1]
    result = state.ballots[6].result
    names = ["d1", "d2", "d3"]
    assert "priority ranking (Schulze method)" in md.split("### Ballot 6:")[1].split("\n")[0]
    order = [line for line in section.splitlines() if re.match(r"^\d\. ", line)]
    assert order and order[0].startswith("1. D")
    pair, paths = tables(section)[:2]
    assert pair[0] == ["", "D1", "D2", "D3"]
    assert pair[1][0] == "D1 · A living wage at every site"
    for i, x in enumerate(names, 1):
        for j, y in enumerate(names, 1):
            expect = "—" if x == y else str(result["pairwise"][x][y])
            assert pair[i][j] == expect
            support = result["strongest_paths"][x][y] if x != y else None
            if support is not None and "path_opposition" in result and support:
                assert paths[i][j] == f"{support} / {result['path_opposition'][x][y]}"
            elif support is not None:
                assert paths[i][j] == str(support)
    assert "Pairwise preferences: each cell is the weight of the ballots that rank" in section
    votes = tables(section)[2]
    assert votes[0] == ["Delegate", "Ranking", "Weight"] and ["Rosa", "D1 > D3 = D2", "1"] in votes


def test_a_ranking_recorded_without_strongest_paths_has_them_computed():
    s = session().state
    b = s.ballots[6]
    result = {k: v for k, v in b.result.items() if k not in ("strongest_paths", "path_opposition")}
    s = replace(s, ballots=s.ballots | {6: replace(b, result=result)})
    section = minutes_markdown(s, "en").split("### Ballot 6:")[1]
    paths = tables(section)[1]
    assert paths[0] == ["", "D1", "D2", "D3"]
    assert "After the slash" not in section
    from assembly.schulze import strongest_paths

    p = strongest_paths(["d1", "d2", "d3"], b.result["pairwise"])
    assert paths[1][2] == str(p["d1"]["d2"])


# -- Escaping ------------------------------------------------------------------------------------


def hostile() -> Driver:
    definition = DEFINITION | {
        "title": "# Assembly <script>alert(1)</script> & [click](javascript:alert(1))",
        "delegates": [
            {"id": "evil", "name": EVIL_NAME, "site": "[x](javascript:alert(1))", "region": "- list", "language": "en"},
            {"id": "pipe", "name": PIPE_NAME, "site": "a|b", "region": "1. one", "weight": 2, "language": "en"},
        ],
        "interpreters": [{"id": "lucia", "name": "_Lucía_ `code`", "booth": "es"}],
    }
    drive = Driver(definition)
    drive(core.RaiseHand("evil"))
    drive(core.GrantFloor())
    drive.advance(10)
    drive(core.EndSpeech())
    text = "First line *not bold*\n\n- not a list\n1. not a list\n```\nnot code\n```\n    not code either\n<b>not html</b> &amp;\n===\n| a | b |\n|---|---|"
    drive(core.ProposeDemand("evil", "en", text))
    drive(core.Translate("d1", "es", "![img](http://x/y.png) <iframe src=x>", "lucia"))
    drive(core.ProposeDemand("pipe", "en", "Second | with pipes | and a\nnewline"))
    drive(core.OpenBallot("d1", quorum=core.Decimal(0)))
    drive(core.CastVote(1, "evil", "yes"))
    drive(core.CastVote(1, "pipe", "yes"))
    drive(core.CloseBallot(1))
    drive(core.OpenBallot("d2", quorum=core.Decimal(0)))
    drive(core.CastVote(2, "evil", "yes"))
    drive(core.CloseBallot(2))
    drive(core.OpenRanking())
    drive(core.CastVote(3, "pipe", [["d2"], ["d1"]]))
    drive(core.CloseBallot(3))
    return drive


@pytest.mark.parametrize("lang", SERVED)
def test_names_and_texts_come_out_inert(lang):
    md = minutes_markdown(hostile().state, lang)
    out = render(md)
    for tag in (
        "<img",
        "<script",
        "<iframe",
        "<a ",
        "<a>",
        "<em>",
        "<b>",
        "<code>",
        "<pre>",
        "<table>\n<thead>\n<tr>\n<th>a",
    ):
        assert tag not in out, tag
    assert out.count("<h1>") == 1
    visible = texts_of(md)
    for raw in (EVIL_NAME, PIPE_NAME, "[x](javascript:alert(1))", "- list", "1. one", "_Lucía_ `code`"):
        assert raw in visible, raw
    assert "<script>alert(1)</script>" in visible and "&amp;" in visible  # shown, not run or decoded
    assert "![img](http://x/y.png) <iframe src=x>" in visible
    # Lists in the rendering are only ours: the booth's and the ranking's two places.
    assert out.count("<ul>") == 1 and out.count("<ol>") == 1 and out.count("<li>") == 3


def test_tables_keep_their_columns_whatever_the_names():
    md = minutes_markdown(hostile().state, "en")
    people = tables(md)[0]
    assert people == [
        ["Delegate", "Site", "Region", "Weight"],
        [EVIL_NAME, "[x](javascript:alert(1))", "- list", "1"],
        [PIPE_NAME, "a|b", "1. one", "2"],
    ]
    votes = tables(md)[3]
    assert [EVIL_NAME, "Yes", "1"] in votes and [PIPE_NAME, "Yes", "2"] in votes
    for table in tables(md):
        assert len({len(row) for row in table}) == 1
    # the raw lines too: as many unescaped pipes in each row as the header has
    for block in re.findall(r"((?:^\|.*\n)+)", md, re.M):
        counts = {len(re.findall(r"(?<!\\)\|", line)) for line in block.splitlines()}
        assert len(counts) == 1, block


def test_a_multiline_text_keeps_its_lines_and_nothing_else():
    md = minutes_markdown(hostile().state, "en")
    out = render(md)
    quote = out.split("<blockquote>")[1].split("</blockquote>")[0]
    assert "<p>First line *not bold*</p>" in quote
    assert "- not a list<br />\n1. not a list<br />\n```<br />\nnot code" in quote
    assert "&lt;b&gt;not html&lt;/b&gt; &amp;amp;<br />\n===<br />\n| a | b |<br />\n|---|---|" in quote
    assert "<table>" not in quote and "<h" not in quote


# Punctuation CommonMark and GFM give meaning to, a little text, and white space of every kind.
ALPHABET = st.sampled_from(list("\\`*_[]()#+-.!|<>&~=:;'\"/ \t\n\r\u00a0\u2028aéZ19ا"))


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=30))
def test_property_an_escaped_text_renders_as_exactly_that_text(raw):
    words = " ".join(raw.split())
    if not words:
        return
    paragraph = render("Name: " + md_inline(raw))
    assert paragraph.startswith("<p>") and paragraph.endswith("</p>\n"), paragraph
    assert html.unescape(paragraph[3:-5]) == "Name: " + words
    first = render(md_inline(raw))
    assert html.unescape(re.sub(r"^<p>|</p>\n$", "", first)) == words, first
    cell = tables(f"| a | b |\n|---|---|\n| {md_inline(raw)} | x |\n")
    assert cell == [[["a", "b"], [words, "x"]]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(ALPHABET.filter(lambda c: c not in "\n\r\u2028"), max_size=20), min_size=1, max_size=5))
def test_property_an_escaped_block_keeps_its_lines(lines):
    kept = [" ".join(line.split()) for line in lines]
    kept = [line for line in kept if line]
    if not kept:
        return
    md = "\n".join("> " + line if line else ">" for line in md_block("\n".join(kept)))
    out = render(md)
    body = re.sub(r"^<blockquote>\n<p>|</p>\n</blockquote>\n$", "", out)
    assert html.unescape(body.replace("<br />\n", "\n")) == "\n".join(kept), out


# -- JSON ----------------------------------------------------------------------------------------


def test_json_minutes_name_every_id_and_stay_language_neutral(state):
    data = minutes_json(state)
    assert data["timezone"] == "America/La_Paz"
    assert {p["id"]: p["name"] for p in data["people"]}["joao"] == "João"
    assert data["booths"]["es"] == ["Lucía"]
    assert data["speeches"][0]["name"] == "Ngozi" and data["speeches"][0]["by_name"] is None  # ended by the chair
    d1 = next(t for t in data["texts"] if t["id"] == "d1")
    assert d1["proposer_name"] == "Rosa" and d1["translations"]["fr"]["by_name"] == "Lucía"
    assert [h["by_name"] for h in d1["history"]] == ["Rosa", "Rosa", None]  # the last came from amendment a1
    assert data["ballots"][0]["voter_names"] == {"kwame": "Kwame", "maria": "Maria", "ngozi": "Ngozi", "rosa": "Rosa"}
    assert "voter_names" not in data["ballots"][2]  # secret
    assert data["ballots"][0]["votes"]["kwame"] == "no"  # ids and choices stay as data
