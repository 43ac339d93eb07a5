"""What the ledger counts in: commodities, their precision and the largest amount (docs/ledger.md §2).

Money is an active ISO 4217 currency (three uppercase letters) with ISO's minor unit: 2 decimal
places for most, 0 for the yen, the won, the CFA francs..., 3 for the dinars of Bahrain, Iraq,
Jordan, Kuwait, Libya, Tunisia and the Omani rial. Funds codes (BOV, CLF, USN...), metals (XAU...)
and test codes (XTS, XXX) are not money here. The three non-money units the issue names:

========  =====================  ===============================================================
code      what                   places
========  =====================  ===============================================================
DAYS      strike-fund days       1 (a half day is 0.5)
HOURS     research hours         2 (a quarter hour is 0.25)
REACH     media reach (people)   0
========  =====================  ===============================================================

Every code is a valid Beancount commodity (uppercase, 2-24 characters, starts with a letter).
The table is fixed in code, not read from a locale library: a transaction accepted once must be
accepted by every later check, so a precision never changes under an upgrade.
"""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 minor units, as published (list one, active currencies).
_ZERO_PLACES = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_PLACES = "BHD IQD JOD KWD LYD OMR TND"
_TWO_PLACES = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD "
    "CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD "
    "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD "
    "MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON "
    "RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD "
    "TZS UAH USD UYU UZS VES VED WST XCD XCG YER ZAR ZMW ZWG"
)
UNITS: dict[str, tuple[int, str]] = {
    "DAYS": (1, "strike-fund days"),
    "HOURS": (2, "research hours"),
    "REACH": (0, "media reach (people)"),
}

PLACES: dict[str, int] = {
    **dict.fromkeys(_TWO_PLACES.split(), 2),
    **dict.fromkeys(_ZERO_PLACES.split(), 0),
    **dict.fromkeys(_THREE_PLACES.split(), 3),
    **{code: places for code, (places, _) in UNITS.items()},
}
"""Decimal places per commodity: an amount with more (non-zero) places is refused, never rounded."""

MAX_AMOUNT = Decimal(10) ** 12
"""Every amount (a posting's, a conversion's original) is below this in magnitude: a trillion of
any unit, more than any strike fund holds, and small enough that sums over millions of postings
stay exact within the ledger's 34-digit decimal context."""

MAX_RATE = Decimal(10) ** 9
RATE_PLACES = 12
"""A conversion rate is positive, below a billion, with at most 12 decimal places."""

QUANTUM: dict[int, Decimal] = {places: Decimal(1).scaleb(-places) for places in range(RATE_PLACES + 1)}


def is_money(code: str) -> bool:
    return code in PLACES and code not in UNITS


def describe(code: str) -> str:
    """A commodity in words (for the Beancount declaration and the pages)."""
    return UNITS[code][1] if code in UNITS else f"money ({code})"


def amount_text(v: Decimal, commodity: str | None = None) -> str:
    """Decimal text; an amount with exactly its commodity's places ("0.00", "1.5")."""
    if commodity is not None and commodity in PLACES:
        v = v.quantize(QUANTUM[PLACES[commodity]])
    return format(v, "f")
