"""Tactic diffusion: the numbers (pure: no I/O, no clock; every date comes in as an argument).

One tactic at a time. Its adoptions are ``Adoption(date, circle, country, learned_from)`` values
(plain 4-tuples are accepted too); ``origin`` is the date the tactic was first used. From them:

* ``cumulative`` -- adoptions so far, one point per adoption date;
* ``first_by_country`` -- when the tactic first reached each country, and how many days after
  its origin;
* ``borders_crossed`` -- how many learning edges join circles in different countries;
* ``learning_network`` -- who learned from whom (nodes, edges, generations) for the picture;
* ``bass_fit`` -- the Bass diffusion model (closed-form cumulative curve) fitted to the
  adoptions over time, with standard errors, goodness of fit, the fitted curve, a forecast, the
  peak and the half-way point;
* ``spread_speed`` -- the movement's ranking of tactics by how fast they spread (days from the
  origin to half of the fitted market potential).

``check`` runs every rule on a set of adoptions (the domain calls it on the existing adoptions
plus a new one or an imported batch before appending anything). Refusals are ``DiffusionError``
(a ``DomainError``) with a code: ``bad_adoption``, ``duplicate_adoption``, ``before_origin``,
``future_date``, ``unknown_circle``, ``learning_cycle``, ``too_few_adoptions``, ``no_fit``,
``bad_horizon``. docs/diffusion.md explains the model, the units, the tolerances and when not to
trust a fit.

Units: time is counted in **days since the origin**. An adoption dated ``d`` happened during
day ``k = (d - origin).days``, so the cumulative count at the end of that date is the model's
``F(k + 1)``; p and q are per day, m is a number of circles.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from mayday.errors import DomainError

if TYPE_CHECKING:
    # Imported inside the model's functions: NumPy (and SciPy) cost every server start a
    # noticeable part of its time, for a fit only the tactic pages ask for.
    import numpy as np

# A fit needs at least this many adoptions, on at least this many distinct dates: below that
# three parameters are not determined by the data (refused as ``too_few_adoptions``).
MIN_ADOPTIONS = 5
MIN_DATES = 3
# A forecast reaches at most this many days after the origin (a century): bounds the output.
MAX_HORIZON_DAYS = 36_525
# Bounds of the fit, per day for p and q; m between the observed count and this many times it.
P_BOUNDS = (1e-9, 1.0)
Q_BOUNDS = (1e-9, 5.0)
M_FACTOR_MAX = 100.0
# A parameter whose standard error exceeds this share of its value (less than two standard errors
# from zero) is not determined by the data (typically m before saturation is in sight): the fit
# is refused as ``no_fit``.
MAX_RELATIVE_SE = 0.5
# The starting point is searched on at most this many days of the series.
START_POINTS = 256
# The solver's budget of evaluations of the curve (it converges in a few dozen).
MAX_EVALUATIONS = 600

CODES = (
    "bad_adoption",
    "duplicate_adoption",
    "before_origin",
    "future_date",
    "unknown_circle",
    "learning_cycle",
    "too_few_adoptions",
    "no_fit",
    "bad_horizon",
)


class DiffusionError(DomainError):
    """Bad adoptions or a fit that cannot be made; ``code`` is one of ``CODES``."""


class Adoption(NamedTuple):
    """One circle's adoption of the tactic: when, where, and from which circle it learned it."""

    date: dt.date
    circle: str
    country: str
    learned_from: str | None = None


# --------------------------------------------------------------------------------------------
# Checks


def _read(adoptions: Iterable[Adoption | tuple]) -> list[Adoption]:
    """Adoptions as ``Adoption`` values, each well formed (``bad_adoption`` otherwise)."""
    out = []
    date, text = dt.date, str
    for i, a in enumerate(adoptions):
        if type(a) is not Adoption:
            if not isinstance(a, tuple | list) or not 3 <= len(a) <= 4:
                raise DiffusionError("bad_adoption", f"adoption {i} is not (date, circle, country, learned_from)")
            a = Adoption(*a)
        d, circle, country, teacher = a
        # The common case in one test; anything else gets the full checks (and a message).
        if not (
            type(d) is date
            and type(circle) is text
            and circle
            and type(country) is text
            and country
            and (teacher is None or (type(teacher) is text and teacher))
        ):
            _check_row(i, a)
        out.append(a)
    return out


def _check_row(i: int, a: Adoption) -> None:
    if not _is_date(a.date):
        raise DiffusionError("bad_adoption", f"adoption {i}: the date must be a date (not a time): {a.date!r}")
    if not isinstance(a.circle, str) or not a.circle:
        raise DiffusionError("bad_adoption", f"adoption {i}: the circle must be a non-empty string")
    if not isinstance(a.country, str) or not a.country:
        raise DiffusionError("bad_adoption", f"adoption {i} ({a.circle}): the country must be a non-empty string")
    if a.learned_from is not None and (not isinstance(a.learned_from, str) or not a.learned_from):
        raise DiffusionError("bad_adoption", f"adoption {i} ({a.circle}): learned_from must be a circle or None")


def _is_date(d: object) -> bool:
    return isinstance(d, dt.date) and not isinstance(d, dt.datetime)


def _check_origin(origin: dt.date, today: dt.date | None) -> None:
    if not _is_date(origin):
        raise DiffusionError("bad_adoption", f"the origin must be a date: {origin!r}")
    if today is not None and not _is_date(today):
        raise DiffusionError("bad_adoption", f"today must be a date: {today!r}")
    if today is not None and origin > today:
        raise DiffusionError("future_date", f"the tactic's origin {origin} is after today ({today})")


def _check_dates(adoptions: list[Adoption], origin: dt.date, today: dt.date | None) -> None:
    _check_origin(origin, today)
    for a in adoptions:
        if a.date < origin:
            raise DiffusionError(
                "before_origin", f"{a.circle} adopted the tactic on {a.date}, before its origin ({origin})"
            )
        if today is not None and a.date > today:
            raise DiffusionError("future_date", f"{a.circle}'s adoption is dated {a.date}, after today ({today})")


def _check_network(adoptions: list[Adoption], known_circles: Iterable[str] | None) -> dict[str, Adoption]:
    """Each circle adopts once; every teacher is a known circle that adopted no later than its
    pupil; no chain of learning leads back to where it started. Returns the adoptions by circle."""
    known = None if known_circles is None else set(known_circles)
    by_circle: dict[str, Adoption] = {}
    for a in adoptions:
        if known is not None and a.circle not in known:
            raise DiffusionError("unknown_circle", f"{a.circle} is not a known circle")
        if a.circle in by_circle:
            raise DiffusionError(
                "duplicate_adoption", f"{a.circle} adopted the tactic twice ({by_circle[a.circle].date} and {a.date})"
            )
        by_circle[a.circle] = a
    for a in adoptions:
        t = a.learned_from
        if t is None:
            continue
        if t == a.circle:
            raise DiffusionError("learning_cycle", f"{a.circle} cannot have learned the tactic from itself")
        if known is not None and t not in known:
            raise DiffusionError("unknown_circle", f"{a.circle} learned from {t}, which is not a known circle")
        if t not in by_circle:
            raise DiffusionError("unknown_circle", f"{a.circle} learned from {t}, which has no adoption of this tactic")
    # Each circle has at most one teacher: follow the chain up from every circle; meeting a
    # circle of the chain being walked is a cycle. Linear: each circle is walked once.
    done: set[str] = set()
    for start in by_circle:
        chain: list[str] = []
        on_chain: set[str] = set()
        c: str | None = start
        while c is not None and c not in done:
            if c in on_chain:
                loop = [*chain[chain.index(c) :], c]
                raise DiffusionError("learning_cycle", "a circle cannot have learned from itself: " + " <- ".join(loop))
            chain.append(c)
            on_chain.add(c)
            c = by_circle[c].learned_from
        done.update(chain)
    for a in adoptions:
        t = a.learned_from
        if t is not None and by_circle[t].date > a.date:
            raise DiffusionError(
                "unknown_circle",
                f"{a.circle} learned the tactic on {a.date} from {t}, which adopted it later ({by_circle[t].date})",
            )
    return by_circle


def check(
    adoptions: Iterable[Adoption | tuple],
    origin: dt.date,
    *,
    today: dt.date | None = None,
    known_circles: Iterable[str] | None = None,
) -> tuple[Adoption, ...]:
    """Every rule on a tactic's adoptions; the first broken one is raised. Returns the
    adoptions as ``Adoption`` values.

    First each adoption: ``bad_adoption`` (malformed), ``before_origin``, ``future_date`` (after
    ``today``, if given). Then the network: ``unknown_circle`` (a circle outside
    ``known_circles``, if given, or a teacher with no adoption of the tactic),
    ``duplicate_adoption`` (a circle adopts a tactic once), ``learning_cycle`` (a circle that
    learned, through a chain, from itself), and last ``unknown_circle`` again for a teacher that
    adopted later than its pupil (the same day is allowed). A loop is reported as a loop even
    when its dates are also impossible."""
    rows = _read(adoptions)
    _check_dates(rows, origin, today)
    _check_network(rows, known_circles)
    return tuple(rows)


# --------------------------------------------------------------------------------------------
# Counts


def cumulative(adoptions: Iterable[Adoption | tuple], origin: dt.date) -> list[tuple[dt.date, int]]:
    """``(date, adoptions up to and including that date)``, one point per adoption date, in date
    order. Refuses ``bad_adoption`` and ``before_origin``."""
    rows = _read(adoptions)
    _check_dates(rows, origin, None)
    out: list[tuple[dt.date, int]] = []
    total = 0
    for d, n in sorted(Counter(a.date for a in rows).items()):
        total += n
        out.append((d, total))
    return out


def first_by_country(adoptions: Iterable[Adoption | tuple], origin: dt.date) -> dict[str, tuple[dt.date, int]]:
    """Each country's first adoption: ``country -> (date, days since origin)``, in the order the
    tactic reached them (ties by country). Refuses ``bad_adoption`` and ``before_origin``."""
    rows = _read(adoptions)
    _check_dates(rows, origin, None)
    first: dict[str, dt.date] = {}
    for a in rows:
        if a.country not in first or a.date < first[a.country]:
            first[a.country] = a.date
    return {c: (d, (d - origin).days) for c, d in sorted(first.items(), key=lambda kv: (kv[1], kv[0]))}


def borders_crossed(adoptions: Iterable[Adoption | tuple], countries: Mapping[str, str] | None = None) -> int:
    """How many learning edges (pupil learned from teacher) join circles in different countries.

    A circle's country is ``countries[circle]`` when the mapping is given and holds it, else the
    country of its adoption. Runs the network's checks (``unknown_circle``,
    ``duplicate_adoption``, ``learning_cycle``) first."""
    rows = _read(adoptions)
    by_circle = _check_network(rows, None)

    def country(c: str) -> str:
        return countries[c] if countries is not None and c in countries else by_circle[c].country

    return sum(1 for a in rows if a.learned_from is not None and country(a.circle) != country(a.learned_from))


class Node(NamedTuple):
    circle: str
    country: str
    date: dt.date
    days: int  # since the tactic's origin
    learned_from: str | None
    generation: int  # 0 for a circle that learned from no one recorded, else its teacher's + 1


class Edge(NamedTuple):
    teacher: str
    pupil: str
    teacher_country: str
    pupil_country: str
    crosses_border: bool
    lag_days: int  # from the teacher's adoption to the pupil's


@dataclass(frozen=True, slots=True)
class LearningNetwork:
    nodes: tuple[Node, ...]  # by date, then circle
    edges: tuple[Edge, ...]  # by the pupil's date, then pupil

    @property
    def borders_crossed(self) -> int:
        return sum(e.crosses_border for e in self.edges)

    @property
    def generations(self) -> int:
        """How many generations of learning (0 without adoptions)."""
        return 1 + max(n.generation for n in self.nodes) if self.nodes else 0


def learning_network(
    adoptions: Iterable[Adoption | tuple],
    origin: dt.date,
    *,
    today: dt.date,
    known_circles: Iterable[str] | None = None,
) -> LearningNetwork:
    """Who learned the tactic from whom, after every rule of ``check`` (with ``today``)."""
    rows = _read(adoptions)
    _check_dates(rows, origin, today)
    by_circle = _check_network(rows, known_circles)
    rows.sort()  # by date, then circle (unique: the comparison never reaches learned_from)
    generation: dict[str, int] = {}
    for a in rows:  # by date: a teacher adopted no later than its pupil, so ties need a walk
        chain = []
        c: str | None = a.circle
        while c is not None and c not in generation:
            chain.append(c)
            c = by_circle[c].learned_from
        g = -1 if c is None else generation[c]
        for c in reversed(chain):
            g += 1
            generation[c] = g
    nodes = tuple(
        Node(a.circle, a.country, a.date, (a.date - origin).days, a.learned_from, generation[a.circle]) for a in rows
    )
    edges = []
    for a in rows:
        if a.learned_from is not None:
            t = by_circle[a.learned_from]
            edges.append(Edge(t.circle, a.circle, t.country, a.country, t.country != a.country, (a.date - t.date).days))
    return LearningNetwork(nodes, tuple(edges))


# --------------------------------------------------------------------------------------------
# The Bass model


def bass_cumulative(t: np.ndarray | float, p: float, q: float, m: float) -> np.ndarray:
    """The Bass model's cumulative adopters at ``t`` days: m (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)."""
    import numpy as np

    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return m * (1.0 - e) / (1.0 + (q / p) * e)


def _jacobian(t: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
    """d F / d (p, q, m), analytically (columns in that order)."""
    import numpy as np

    s, r = p + q, q / p
    e = np.exp(-s * t)
    a, b = 1.0 - e, 1.0 + r * e
    b2 = b * b
    da = t * e  # d a / d p = d a / d q
    db_dp = -r * e * (1.0 / p + t)
    db_dq = (e / p) * (1.0 - q * t)
    return np.column_stack((m * (da * b - a * db_dp) / b2, m * (da * b - a * db_dq) / b2, a / b))


@dataclass(frozen=True, slots=True)
class BassFit:
    """A Bass fit of one tactic's cumulative adoptions; time in days since ``origin``.

    ``fitted`` holds ``(date, F)`` for every observed date (the model's cumulative count at the
    end of that date), ``forecast`` the same for every later date up to the horizon. ``peak_*``
    is when adoptions per day peak (t* = ln(q/p) / (p + q)), ``None`` when q <= p (they fall from
    the start). ``half_*`` is when half of m has adopted: t½ = ln(2 + q/p) / (p + q)."""

    p: float  # innovation, per day
    q: float  # imitation, per day
    m: float  # market potential, circles
    p_se: float
    q_se: float
    m_se: float
    rmse: float  # of the cumulative count, in adoptions
    r2: float  # of the cumulative count (flattering: see docs/diffusion.md)
    rmse_daily: float  # of the adoptions per day (what was fitted)
    r2_daily: float  # of the adoptions per day
    adoptions: int
    observed_days: int  # days from the origin to the end of the observation
    origin: dt.date
    fitted: tuple[tuple[dt.date, float], ...]
    forecast: tuple[tuple[dt.date, float], ...]
    peak_days: float | None
    peak_date: dt.date | None
    half_days: float
    half_date: dt.date | None  # None only if it falls after the year 9999

    @property
    def reached(self) -> float:
        """The share of m already adopted at the end of the observation."""
        return self.adoptions / self.m


def _date_at(origin: dt.date, t: float) -> dt.date | None:
    """The date during which instant ``t`` (days since the origin) falls; None past year 9999."""
    if not t < (dt.date.max - origin).days:
        return None
    return origin + dt.timedelta(days=math.floor(t))


def _start(t: np.ndarray, y: np.ndarray, m_low: float, m_high: float) -> tuple[float, float, float]:
    """A starting point: the best (p, q) of a log-spaced grid, each with its best m (linear in m),
    on at most ``START_POINTS`` of the series' days (a start needs the shape, not every day)."""
    import numpy as np

    if len(t) > START_POINTS:
        pick = np.linspace(0, len(t) - 1, START_POINTS).round().astype(int)
        t, y = t[pick], y[pick]
    ps = np.logspace(-6, 0, 25)
    qs = np.logspace(-4, math.log10(Q_BOUNDS[1]), 25)
    pp, qq = np.meshgrid(ps, qs, indexing="ij")
    pp, qq = pp.ravel()[:, None], qq.ravel()[:, None]
    e = np.exp(-(pp + qq) * t[None, :])
    f = (1.0 - e) / (1.0 + (qq / pp) * e)  # the curve with m = 1, one row per (p, q)
    m = np.clip((f @ y) / np.maximum(np.einsum("ij,ij->i", f, f), 1e-300), m_low, m_high)
    sse = np.einsum("ij,ij->i", y[None, :] - m[:, None] * f, y[None, :] - m[:, None] * f)
    k = int(np.argmin(sse))
    return float(pp[k, 0]), float(qq[k, 0]), float(m[k])


def bass_fit(
    adoptions: Iterable[Adoption | tuple],
    origin: dt.date,
    horizon_days: int,
    *,
    today: dt.date | None = None,
) -> BassFit:
    """Fit the Bass model to the tactic's adoptions over time: least squares (scipy's
    ``least_squares``, trust region within bounds) of each observed day's adoptions against the
    closed-form cumulative curve's rise over that day, m [F(k + 1) - F(k)], every day of the
    observation counted, days without adoption included. Standard errors come from the
    covariance s² (JᵀJ)⁻¹ at the solution, as ``curve_fit`` computes it.

    The observation runs from the origin to the end of ``today`` when given (days without
    adoption after the last one count: they are evidence of saturation), else to the end of
    the last adoption date. The forecast covers the later dates up to ``origin + horizon_days``
    (``0 <= horizon_days <= MAX_HORIZON_DAYS``, else ``bad_horizon``).

    Refuses ``too_few_adoptions`` (fewer than ``MIN_ADOPTIONS`` adoptions or ``MIN_DATES``
    dates) and ``no_fit`` (the solver did not converge, a parameter ran to a bound, or a standard
    error is larger than ``MAX_RELATIVE_SE`` times its parameter): never a made-up number."""
    # Imported here: scipy.optimize takes half a second to import, which every server start
    # would pay for a fit only the tactic pages ask for.
    import numpy as np
    from scipy.optimize import least_squares

    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int):
        raise DiffusionError("bad_horizon", f"the horizon must be a whole number of days: {horizon_days!r}")
    if not 0 <= horizon_days <= MAX_HORIZON_DAYS:
        raise DiffusionError("bad_horizon", f"the horizon must be 0 to {MAX_HORIZON_DAYS} days, not {horizon_days}")
    rows = _read(adoptions)
    _check_origin(origin, today)
    n = len(rows)
    days = np.fromiter((a[0].toordinal() for a in rows), dtype=np.int64, count=n) - origin.toordinal()
    if n and (days.min() < 0 or (today is not None and days.max() > (today - origin).days)):
        _check_dates(rows, origin, today)  # raises, naming the adoption
    if n < MIN_ADOPTIONS:
        raise DiffusionError(
            "too_few_adoptions", f"a fit needs at least {MIN_ADOPTIONS} adoptions; this tactic has {n}"
        )
    last = int(days.max()) if today is None else (today - origin).days
    per_day = np.bincount(days, minlength=last + 1)
    if np.count_nonzero(per_day) < MIN_DATES:
        raise DiffusionError("too_few_adoptions", f"a fit needs adoptions on at least {MIN_DATES} different dates")
    y = np.cumsum(per_day).astype(float)  # the cumulative count at the end of each day 0..last
    edges = np.arange(0, last + 2, dtype=float)  # t = 0 (the origin) .. the end of the last day
    daily = per_day.astype(float)
    m_low, m_high = float(n), float(n) * M_FACTOR_MAX
    lower = np.array([P_BOUNDS[0], Q_BOUNDS[0], m_low])
    upper = np.array([P_BOUNDS[1], Q_BOUNDS[1], m_high])
    x0 = np.clip(_start(edges[1:], y, m_low, m_high), lower, upper)

    # Each day's adoptions against the curve's rise over that day, F(k + 1) - F(k): unlike the
    # cumulative counts, these errors are roughly independent, so the covariance's standard
    # errors mean something (docs/diffusion.md, "Why per day").
    def residuals(x: np.ndarray) -> np.ndarray:
        return np.diff(bass_cumulative(edges, *x)) - daily

    def jac(x: np.ndarray) -> np.ndarray:
        return np.diff(_jacobian(edges, *x), axis=0)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            res = least_squares(residuals, x0, jac=jac, bounds=(lower, upper), x_scale="jac", max_nfev=MAX_EVALUATIONS)
        except (ValueError, np.linalg.LinAlgError) as e:
            raise DiffusionError("no_fit", f"the Bass fit failed ({e})") from e
    if res.status <= 0 or not np.all(np.isfinite(res.x)) or not np.all(np.isfinite(res.fun)):
        raise DiffusionError("no_fit", f"the Bass fit did not converge ({res.message})")
    p, q, m = (float(v) for v in res.x)
    # At a bound, the data asked for more than the model allows; m at the observed count (a
    # tactic that has reached everyone it will) is the one bound that is an answer.
    p_at, q_at, m_at = (int(v) for v in res.active_mask)
    at_bound = [name for name, flag in (("p", p_at), ("q", q_at), ("m", m_at > 0)) if flag]
    if at_bound:
        raise DiffusionError("no_fit", f"the Bass fit ran to the bound of {', '.join(at_bound)}: no estimate")
    sse_daily = float(res.fun @ res.fun)
    se = _standard_errors(res.jac, sse_daily, len(daily) - 3)
    if se is None:
        raise DiffusionError("no_fit", "the Bass fit's parameters are not determined by the data (singular fit)")
    for name, v, s in (("p", p, se[0]), ("q", q, se[1]), ("m", m, se[2])):
        if not math.isfinite(s) or s > MAX_RELATIVE_SE * v:
            raise DiffusionError(
                "no_fit", f"the data do not determine {name} (standard error {s:.3g} for {v:.3g}): too early to fit"
            )
    curve = bass_cumulative(edges[1:], p, q, m)
    sse = float(((curve - y) ** 2).sum())
    sst = float(((y - y.mean()) ** 2).sum())
    sst_daily = float(((daily - daily.mean()) ** 2).sum())
    forecast_t = np.arange(last + 2, horizon_days + 2, dtype=float)
    forecast_y = bass_cumulative(forecast_t, p, q, m)
    peak = math.log(q / p) / (p + q) if q > p else None
    half = math.log(2.0 + q / p) / (p + q)
    return BassFit(
        p=p,
        q=q,
        m=m,
        p_se=se[0],
        q_se=se[1],
        m_se=se[2],
        rmse=math.sqrt(sse / len(y)),
        r2=1.0 - sse / sst if sst > 0 else float("nan"),
        rmse_daily=math.sqrt(sse_daily / len(daily)),
        r2_daily=1.0 - sse_daily / sst_daily if sst_daily > 0 else float("nan"),
        adoptions=n,
        observed_days=last + 1,
        origin=origin,
        fitted=tuple((origin + dt.timedelta(days=k), float(v)) for k, v in enumerate(curve)),
        forecast=tuple((origin + dt.timedelta(days=k), float(v)) for k, v in enumerate(forecast_y, start=last + 1)),
        peak_days=peak,
        peak_date=None if peak is None else _date_at(origin, peak),
        half_days=half,
        half_date=_date_at(origin, half),
    )


def _standard_errors(jac: np.ndarray, sse: float, dof: int) -> tuple[float, float, float] | None:
    """sqrt(diag(s² (JᵀJ)⁻¹)) with s² = SSE / (n - 3), as ``curve_fit`` estimates the covariance
    (via the SVD, dropping nothing: a singular JᵀJ means no estimate)."""
    import numpy as np

    if dof <= 0:
        return None
    _, sv, vt = np.linalg.svd(jac, full_matrices=False)
    if sv.size < 3 or sv[-1] <= np.finfo(float).eps * max(jac.shape) * sv[0]:
        return None
    cov = (vt.T / sv**2) @ vt * (sse / dof)
    d = np.diag(cov)
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        return None
    return float(math.sqrt(d[0])), float(math.sqrt(d[1])), float(math.sqrt(d[2]))


# --------------------------------------------------------------------------------------------
# Which tactics spread fastest


@dataclass(frozen=True, slots=True)
class Speed:
    rank: int  # 1 = fastest; equal half-way times share a rank
    tactic: str
    half_days: float  # days from the tactic's origin until half of m has adopted
    p_plus_q: float  # per day: the steepness of the curve
    peak_days: float | None
    m: float


def spread_speed(tactic_fits: Mapping[str, BassFit]) -> list[Speed]:
    """Rank tactics by how fast they spread: days from each tactic's own origin until half of its
    fitted market potential m has adopted, t½ = ln(2 + q/p) / (p + q), fewest first (ties by
    name, sharing a rank). Speed through a tactic's own potential, not size: a tactic that
    reaches half of 10 circles in a month is faster than one that reaches half of 1,000 in a
    year. Tactics without a fit (refused) are the caller's to list apart."""
    rows = sorted(tactic_fits.items(), key=lambda kv: (kv[1].half_days, kv[0]))
    out: list[Speed] = []
    for i, (name, f) in enumerate(rows):
        rank = out[-1].rank if out and out[-1].half_days == f.half_days else i + 1
        out.append(Speed(rank, name, f.half_days, f.p + f.q, f.peak_days, f.m))
    return out
