"""Procedure modifiers the coder may use, and the ones NCCI lets bypass a PTP edit.

``KNOWN_MODIFIERS`` is a working set of CPT Level I and HCPCS Level II modifiers seen on
professional claims, not the full CMS modifier file: an unknown modifier is therefore a
warning (look at it), never an error (it may be valid and newer than this list).

``PTP_ASSOCIATED_MODIFIERS`` are the NCCI PTP-associated modifiers (NCCI Policy Manual,
Chapter I): on a code pair with modifier indicator 1, one of them on either code says the
services were distinct, so the edit does not deny the column 2 code. Modifier indicator 0
pairs are never bypassed.
"""

from __future__ import annotations

ANATOMIC_MODIFIERS: frozenset[str] = frozenset(
    {"E1", "E2", "E3", "E4", "FA", "LC", "LD", "LM", "LT", "RC", "RI", "RT", "TA"}
    | {f"F{i}" for i in range(1, 10)}
    | {f"T{i}" for i in range(1, 10)}
)

PTP_ASSOCIATED_MODIFIERS: frozenset[str] = ANATOMIC_MODIFIERS | frozenset(
    {
        "24", "25", "27", "57", "58", "59", "78", "79", "91",
        "XE", "XP", "XS", "XU",
    }
)  # fmt: skip

_LEVEL_I = {
    "22", "23", "24", "25", "26", "27", "32", "33", "47", "50", "51", "52", "53", "54", "55",
    "56", "57", "58", "59", "62", "63", "66", "73", "74", "76", "77", "78", "79", "80", "81",
    "82", "90", "91", "92", "93", "95", "96", "97", "99",
    "P1", "P2", "P3", "P4", "P5", "P6",
}  # fmt: skip

_LEVEL_II = {
    # Therapy, teaching, telehealth, liability notices and bypasses.
    "AA", "AD", "AI", "AQ", "AS", "AT", "CO", "CQ", "CR", "CS", "FS", "FT", "FX", "FY",
    "GA", "GC", "GE", "GG", "GN", "GO", "GP", "GQ", "GT", "GU", "GV", "GW", "GX", "GY", "GZ",
    "JW", "JZ", "JG", "JB", "JA",
    "KX", "KS", "KH", "KI", "KJ", "KO", "KP", "KQ",
    "NU", "RR", "UE",
    "PD", "PN", "PO", "PT",
    "Q5", "Q6", "QK", "QS", "QW", "QX", "QY", "QZ",
    "SA", "SG", "SL",
    "TC", "TH",
    # Medicaid / behavioural-health level and programme modifiers.
    "HA", "HB", "HC", "HD", "HE", "HF", "HG", "HH", "HI", "HJ", "HK", "HL", "HM", "HN", "HO",
    "HP", "HQ", "HR", "HS", "HT", "HU", "HV", "HW", "HX", "HY", "HZ",
    "U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9", "UA", "UB", "UC", "UD",
    "XE", "XP", "XS", "XU",
}  # fmt: skip

KNOWN_MODIFIERS: frozenset[str] = frozenset(_LEVEL_I | _LEVEL_II) | ANATOMIC_MODIFIERS
