"""A network's commands, one class each (docs/protocol.md "Circles"). The wire commands are msgspec
Structs tagged on ``type``: ``decode`` validates a client's JSON object into one of them, refusing
with ``bad_command`` and msgspec's message naming the field. ``circle`` is the acting circle: a
circle's link fills it, never the JSON. ``CreateNetwork`` comes from the shell only. Who may send
what is the table in circles/decide.py.

Amounts, shares and rates are decimal text on the wire ("120.50", "0.10"), never JSON numbers:
a float cannot hold 0.10, and the ledger never rounds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from circles.chart import CIRCLE_ID, MAX_CIRCLE_ID
from circles.definition import MAX_LINE, MAX_NAME, CircleDef, Language, NetworkDef
from mayday.errors import bad_request

COORDINATOR, CIRCLE, MEMBER, VIEWER = "coordinator", "circle", "member", "viewer"  # the links' roles
ROLES = (COORDINATOR, CIRCLE, MEMBER, VIEWER)

CircleId = Annotated[str, msgspec.Meta(pattern=CIRCLE_ID.pattern, max_length=MAX_CIRCLE_ID)]
MAX_TEXT, MAX_NARRATION = 4000, 500  # a dispatch or translation; a transaction's narration
MAX_REASON = 2000  # what a claim says happened; why a claim is disputed
MAX_COMMUNIQUE = 20_000  # a communique's translation
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
Narration = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NARRATION)]
Line = Annotated[str, msgspec.Meta(max_length=MAX_LINE)]
Url = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^(https?://\S+)?$")]
Commodity = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Z0-9]{1,23}$")]
# The kinds of resource a pledge shares: money (every currency) and the non-money units.
RESOURCES = ("money", "DAYS", "HOURS", "REACH")
Resource = Literal["money", "DAYS", "HOURS", "REACH"]
INCOME = Literal["dues", "donations", "settlements", "other_income"]
SOURCE = Literal["held_for", "general", "fallout_cover"]
HOW = Literal["human", "machine"]


class Wire(msgspec.Struct, frozen=True, tag_field="type", forbid_unknown_fields=False):
    """Base of the commands a client sends."""

    circle: str = ""  # the acting circle, from the link (a coordinator's commands leave it empty)


class AddCircle(Wire, frozen=True, tag="add_circle"):
    id: CircleId = ""
    name: Annotated[str, msgspec.Meta(max_length=MAX_NAME)] = ""
    tz: str = "UTC"
    place: Line = ""
    languages: tuple[Language, ...] = ("en",)
    adversary: Line = ""

    def definition(self) -> CircleDef:
        return CircleDef(self.id, self.name, self.tz, self.place, self.languages, self.adversary)


class Pair(Wire, frozen=True, tag="pair"):
    a: CircleId = ""
    b: CircleId = ""
    adversary: Line = ""
    link: Line = ""
    settle_days: Annotated[int, msgspec.Meta(ge=1, le=366)] = 30
    pledge: Decimal = Decimal("0.10")


class SetPledge(Wire, frozen=True, tag="set_pledge"):
    """The acting circle's pledge to ``twin``: a share of each kind of resource it wins (the kinds
    not named keep their share). A new version that both sides see."""

    twin: CircleId = ""
    shares: dict[Resource, Decimal] = {}


class RecordIncome(Wire, frozen=True, tag="record_income"):
    """Income the circle won: each twin's pledged share is ring-fenced before the rest reaches the
    general fund (a tithe, circles/entries.py). ``original``/``rate``/``rate_date``: the amount as
    received in another currency, and the rate the circle used (no rate service is asked)."""

    source: INCOME = "dues"
    amount: Decimal = Decimal(0)
    commodity: Commodity = "USD"
    date: dt.date | None = None  # default: today in the circle's zone
    narration: Narration = "income"
    original: Decimal | None = None
    original_commodity: Commodity | None = None
    rate: Decimal | None = None
    rate_date: dt.date | None = None


class Deliver(Wire, frozen=True, tag="deliver"):
    """The circle delivers to ``twin`` what it owes it (out of what it holds for it, by default)."""

    twin: CircleId = ""
    amount: Decimal = Decimal(0)
    commodity: Commodity = "USD"
    source: SOURCE = "held_for"
    date: dt.date | None = None
    narration: Narration = "delivery"


class Exchange(Wire, frozen=True, tag="exchange"):
    """The circle changed ``sold`` of one currency into ``bought`` of another at ``rate``."""

    sold: Decimal = Decimal(0)
    sold_commodity: Commodity = "USD"
    bought: Decimal = Decimal(0)
    bought_commodity: Commodity = "EUR"
    rate: Decimal = Decimal(0)
    rate_date: dt.date | None = None
    date: dt.date | None = None
    narration: Narration = "exchange"


class Reverse(Wire, frozen=True, tag="reverse"):
    """Correct a transaction of the circle's: a new transaction that negates it (never an edit)."""

    txn: Annotated[str, msgspec.Meta(max_length=64)] = ""
    narration: Narration = "correction"
    date: dt.date | None = None


class SetVisibility(Wire, frozen=True, tag="set_visibility"):
    """Who besides the circle (and its twins, for what flows between them) sees its amounts."""

    share_with: tuple[CircleId, ...] = ()
    public: bool = False


class PostDispatch(Wire, frozen=True, tag="post_dispatch"):
    """A dispatch to ``twin``: short text in ``language``, maybe a link to a stream."""

    twin: CircleId = ""
    text: Text = "-"
    language: Language = "en"
    stream: Url = ""


class TranslateDispatch(Wire, frozen=True, tag="translate_dispatch"):
    """A translation of a dispatch, by a person (``human``) or a machine (``machine``)."""

    dispatch: Annotated[int, msgspec.Meta(ge=1)] = 0
    language: Language = "en"
    text: Text = "-"
    how: HOW = "human"


class RotateLinks(Wire, frozen=True, tag="rotate_links"):
    """Revoke a circle's links (its coordinator's and its members'): new ones are signed."""

    target: CircleId = ""


# Joint actions and shared risk (issue 11 §3) ---------------------------------------------------

FALLOUT = Literal["lost_wages", "fines", "legal_costs", "dismissals", "other_fallout"]
Share = Decimal


class OpenAction(Wire, frozen=True, tag="open_action"):
    """A joint action of two or more circles (each paired with another of them), maybe the relay
    it runs as; every pair among them covers ``cover`` of the other's fallout unless changed."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)] = "-"
    circles: tuple[CircleId, ...] = ()
    relay: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    sites: dict[Annotated[str, msgspec.Meta(max_length=32)], CircleId] = {}  # the relay's site -> circle
    date: dt.date | None = None
    cover: Share = Decimal("0.25")
    # The relay's sites, as the shell read them from the relay before deciding (never sent).
    relay_sites: frozenset[str] | None = None


class DeclareRisk(Wire, frozen=True, tag="declare_risk"):
    """A risk the circle's crew assumes in the action: kind, estimate, currency, how many people."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    kind: FALLOUT = "lost_wages"
    estimate: Decimal = Decimal(0)
    commodity: Commodity = "USD"
    people: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    note: Line = ""


class WithdrawRisk(Wire, frozen=True, tag="withdraw_risk"):
    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    risk: Annotated[int, msgspec.Meta(ge=1)] = 0


class SetCover(Wire, frozen=True, tag="set_cover"):
    """The share of ``twin``'s declared fallout the circle pledges to cover in this action."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    twin: CircleId = ""
    share: Share = Decimal("0.25")


class AcceptFigures(Wire, frozen=True, tag="accept_figures"):
    """The circle accepts the action's what-if as of ``version`` (a later change makes it stale)."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    version: Annotated[int, msgspec.Meta(ge=1)] = 1


class TranslateCommunique(Wire, frozen=True, tag="translate_communique"):
    """A person's translation of the action's communique into ``language``, for ``version``."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    language: Language = "en"
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_COMMUNIQUE)] = "-"
    version: Annotated[int, msgspec.Meta(ge=1)] = 1


class FileClaim(Wire, frozen=True, tag="file_claim"):
    """After the action: fallout that happened, for ``twin`` to cover its share of."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    twin: CircleId = ""
    kind: FALLOUT = "lost_wages"
    amount: Decimal = Decimal(0)
    commodity: Commodity = "USD"
    what: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON)] = "-"
    evidence: Url = ""


class ApproveClaim(Wire, frozen=True, tag="approve_claim"):
    """The twin approves a claim: its cover is posted (the twin owes it, delivered like a tithe)."""

    claim: Annotated[int, msgspec.Meta(ge=1)] = 0


class DisputeClaim(Wire, frozen=True, tag="dispute_claim"):
    """The twin disputes a claim: it goes to a joint assembly's ballot (docs/ledger.md)."""

    claim: Annotated[int, msgspec.Meta(ge=1)] = 0
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON)] = "-"


class SetJointAssembly(Wire, frozen=True, tag="set_joint_assembly"):
    """The joint assembly of a pair's two circles, where disputes over claims go to a ballot. Its
    delegates whose ``site`` is a circle's id speak for that circle."""

    pair: Annotated[str, msgspec.Meta(max_length=2 * MAX_CIRCLE_ID + 1)] = ""
    assembly: Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")] = "-"
    assembly_viewers: str | None = None  # who may watch it, as the shell read it (never sent)


# Risk audits: red lines (issue 12 §1) ------------------------------------------------------------

MAX_RED_LINE = 1000  # a red line, or its translation
RedLineText = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_RED_LINE)]
Key = Annotated[str, msgspec.Meta(min_length=16, max_length=100)]
Person = Annotated[str, msgspec.Meta(max_length=MAX_NAME)]


class NameRedLine(Wire, frozen=True, tag="name_red_line"):
    """A participant's red line for the action's risk audit: what they will not do or risk.
    ``named``: the others see ``author`` (and the circle); otherwise nobody does, the chair
    included: the log keeps no author, only a hash of ``key``, a secret the writer's page draws
    (a fresh one per line) and keeps, to change or withdraw it later."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    text: RedLineText = "-"
    language: Language = "en"
    named: bool = False
    author: Person = ""
    key: Key = "-" * 16


class ChangeRedLine(Wire, frozen=True, tag="change_red_line"):
    """Its writer changes a red line (a new version; acknowledgements of the audit go stale)."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    line: Annotated[int, msgspec.Meta(ge=1)] = 0
    text: RedLineText = "-"
    key: Key = "-" * 16


class WithdrawRedLine(Wire, frozen=True, tag="withdraw_red_line"):
    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    line: Annotated[int, msgspec.Meta(ge=1)] = 0
    key: Key = "-" * 16


class TranslateRedLine(Wire, frozen=True, tag="translate_red_line"):
    """A translation of a red line's current version, by a person or a machine (marked so)."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    line: Annotated[int, msgspec.Meta(ge=1)] = 0
    language: Language = "en"
    text: RedLineText = "-"
    how: HOW = "human"
    version: Annotated[int, msgspec.Meta(ge=1)] = 1  # the red line's version it translates


class AcknowledgeRedLines(Wire, frozen=True, tag="acknowledge_red_lines"):
    """The circle has read the action's red lines as of ``version`` (the audit's version)."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    version: Annotated[int, msgspec.Meta(ge=0)] = 0


class ProceedAnyway(Wire, frozen=True, tag="proceed_anyway"):
    """An organiser decides the action goes ahead though it is not ready: on the record, by name."""

    action: Annotated[int, msgspec.Meta(ge=1)] = 0
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)] = "-"
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON)] = "-"


# Tactic diffusion (issue 12 §3) -----------------------------------------------------------------

MAX_TACTIC_TEXT = 4000
TacticId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
TacticName = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
TacticText = Annotated[str, msgspec.Meta(max_length=MAX_TACTIC_TEXT)]
OUTCOME = Literal["won", "partial", "lost", "ongoing", "unknown"]
INDICATOR = Literal["residency", "complaint"]


class RegisterTactic(Wire, frozen=True, tag="register_tactic"):
    """A tactic, where and when it was first used and by which circle (its origin)."""

    id: TacticId = "-"
    name: TacticName = "-"
    description: TacticText = ""
    language: Language = "en"
    origin_circle: CircleId = ""
    origin_country: Country = "ZZ"
    origin_date: dt.date | None = None


class TranslateTactic(Wire, frozen=True, tag="translate_tactic"):
    tactic: TacticId = "-"
    language: Language = "en"
    name: TacticName = "-"
    description: TacticText = ""
    how: HOW = "human"


class RecordAdoption(Wire, frozen=True, tag="record_adoption"):
    """``adopter`` (the acting circle's own, for a circle link) used the tactic on ``date`` in
    ``country``, having learned it from ``learned_from`` (a circle that adopted it before)."""

    tactic: TacticId = "-"
    adopter: CircleId = ""
    country: Country = "ZZ"
    date: dt.date | None = None
    outcome: OUTCOME = "unknown"
    learned_from: CircleId = ""


class RecordIndicator(Wire, frozen=True, tag="record_indicator"):
    """What the movement counts besides adoptions: an organiser's exchange residency (from one
    circle to another), or a boss's complaint about "outside agitation", dated and sourced."""

    kind: INDICATOR = "complaint"
    date: dt.date | None = None
    country: Country = "ZZ"
    host: CircleId = ""  # residency: the circle hosting; complaint: the circle complained of
    guest: CircleId = ""  # residency: the organiser's own circle
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LINE)] = "-"  # where it was said
    note: Annotated[str, msgspec.Meta(max_length=MAX_REASON)] = ""


WireCommand = (
    NameRedLine
    | ChangeRedLine
    | WithdrawRedLine
    | TranslateRedLine
    | AcknowledgeRedLines
    | ProceedAnyway
    | RegisterTactic
    | TranslateTactic
    | RecordAdoption
    | RecordIndicator
    | SetJointAssembly
    | OpenAction
    | DeclareRisk
    | WithdrawRisk
    | SetCover
    | AcceptFigures
    | TranslateCommunique
    | FileClaim
    | ApproveClaim
    | DisputeClaim
    | AddCircle
    | Pair
    | SetPledge
    | RecordIncome
    | Deliver
    | Exchange
    | Reverse
    | SetVisibility
    | PostDispatch
    | TranslateDispatch
    | RotateLinks
)
WIRE_CLASSES: tuple[type[Wire], ...] = (
    NameRedLine,
    ChangeRedLine,
    WithdrawRedLine,
    TranslateRedLine,
    AcknowledgeRedLines,
    ProceedAnyway,
    RegisterTactic,
    TranslateTactic,
    RecordAdoption,
    RecordIndicator,
    SetJointAssembly,
    OpenAction,
    DeclareRisk,
    WithdrawRisk,
    SetCover,
    AcceptFigures,
    TranslateCommunique,
    FileClaim,
    ApproveClaim,
    DisputeClaim,
    AddCircle,
    Pair,
    SetPledge,
    RecordIncome,
    Deliver,
    Exchange,
    Reverse,
    SetVisibility,
    PostDispatch,
    TranslateDispatch,
    RotateLinks,
)
BY_TAG: dict[str, type[Wire]] = {cls.__struct_config__.tag: cls for cls in WIRE_CLASSES}  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class CreateNetwork:
    network_id: str
    definition: NetworkDef


@dataclass(frozen=True, slots=True)
class ImportTactics:
    """Sent by the shell from an imported CSV (circles/tactic_csv.py): every row, appended
    together or not at all (the translations too, so that an export imported elsewhere keeps
    its tactics' names in every language)."""

    tactics: tuple[RegisterTactic, ...]
    adoptions: tuple[RecordAdoption, ...]
    translations: tuple[TranslateTactic, ...] = ()


@dataclass(frozen=True, slots=True)
class PutToBallot:
    """Sent by the shell: a disputed claim is now demand ``text`` of the pair's joint assembly."""

    claim: int
    assembly: str
    text: str


@dataclass(frozen=True, slots=True)
class ResolveClaim:
    """Sent by the shell: the joint assembly decided a disputed claim (``adopted``: cover it)."""

    claim: int
    outcome: str  # adopted | rejected


Command = CreateNetwork | ImportTactics | PutToBallot | ResolveClaim | WireCommand


def decode(raw: Any) -> Wire:
    """The typed command for a client's JSON object (``circle`` is never read from it), or
    ApiError(bad_command)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise bad_request("bad_command", 'a command is an object with a "type"')
    if raw["type"] not in BY_TAG:
        raise bad_request("bad_command", f"unknown command {raw['type']!r}")
    for key in ("amount", "original", "rate", "sold", "bought", "pledge", "estimate", "cover", "share"):
        if isinstance(raw.get(key), int | float) and not isinstance(raw.get(key), bool):
            raise bad_request("bad_command", f'{raw["type"]}: {key} is decimal text ("120.50"), never a number')
    shares = raw.get("shares")
    if isinstance(shares, dict) and any(isinstance(v, int | float) for v in shares.values()):
        raise bad_request("bad_command", f'{raw["type"]}: shares are decimal text ("0.10"), never numbers')
    try:
        # Fields the shell fills (never a client): the acting circle, what it read.
        wire = {k: v for k, v in raw.items() if k not in ("circle", "relay_sites", "assembly_viewers")}
        return msgspec.convert(wire, WireCommand, strict=False)  # type: ignore[arg-type]
    except msgspec.ValidationError as e:
        raise bad_request("bad_command", f"{raw['type']}: {e}") from None
