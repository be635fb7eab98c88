"""The 005010X279A1 code lists a biller reads in an eligibility answer, in plain words.

A 271 speaks in codes: EB01 says what a benefit line is (active coverage, a copay, a
deductible), AAA03 why the payer could not answer and AAA04 what to do about it. A finding
that quotes "AAA 75/C" helps nobody at the front desk, so every code a finding or a screen
shows goes through ``describe`` with the guide's wording (shortened where the guide is
verbose). Codes not listed are still kept and shown as themselves: payers add codes with
each code-list release, and an unknown code is information, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping

# AAA03 (data element 901): why the request could not be answered, per the X279A1 levels
# (2000A/2100A source, 2100B receiver, 2100C/2100D subscriber and dependent, 2110C/D benefit).
REJECT_REASONS: Mapping[str, str] = {
    "04": "authorized quantity exceeded (too many inquiries)",
    "15": "required application data missing",
    "33": "input errors",
    "35": "out of network",
    "41": "authorization or access restrictions",
    "42": "the payer is unable to respond at this time",
    "43": "invalid or missing provider identification",
    "44": "invalid or missing provider name",
    "45": "invalid or missing provider specialty",
    "46": "invalid or missing provider phone number",
    "47": "invalid or missing provider state",
    "48": "invalid or missing referring provider identification number",
    "49": "the provider is not the primary care physician",
    "50": "the provider is not eligible for inquiries",
    "51": "the provider is not on file",
    "52": "the service dates are not within the provider's plan enrollment",
    "53": "the inquired benefit is inconsistent with the provider type",
    "54": "inappropriate product or service id qualifier",
    "55": "inappropriate product or service id",
    "56": "inappropriate date",
    "57": "invalid or missing date(s) of service",
    "58": "invalid or missing date of birth",
    "60": "the date of birth follows the date(s) of service",
    "61": "the date of death precedes the date(s) of service",
    "62": "the date of service is not within the allowable inquiry period",
    "63": "the date of service is in the future",
    "64": "invalid or missing patient id",
    "65": "invalid or missing patient name",
    "66": "invalid or missing patient gender code",
    "67": "patient not found",
    "68": "duplicate patient id number",
    "69": "inconsistent with the patient's age",
    "70": "inconsistent with the patient's gender",
    "71": "the patient's birth date does not match the payer's records",
    "72": "invalid or missing subscriber/insured id",
    "73": "invalid or missing subscriber/insured name",
    "74": "invalid or missing subscriber/insured gender code",
    "75": "subscriber/insured not found",
    "76": "duplicate subscriber/insured id number",
    "77": "subscriber found, patient not found",
    "78": "the subscriber/insured is not in the group or plan identified",
    "79": "invalid participant identification",
    "80": "no response received; transaction terminated",
    "97": "invalid or missing provider address",
    "98": "experimental service or procedure",
    "AA": "authorization number not found",
    "AE": "requires primary care physician authorization",
    "AF": "invalid or missing diagnosis code(s)",
    "AG": "invalid or missing procedure code(s)",
    "AO": "additional patient condition information required",
    "CI": "certification information does not match the patient",
    "E8": "requires medical review",
    "IA": "invalid authorization number format",
    "MA": "missing authorization",
    "T4": "payer name or identifier missing",
}

# The reasons that mean "the payer cannot identify this member": the biller corrects the
# member id, name or birth date (or the payer), rather than waiting and asking again.
MEMBER_NOT_FOUND_REASONS = frozenset(
    {"58", "64", "65", "67", "68", "71", "72", "73", "74", "75", "76", "77", "78"}
)

# AAA04 (data element 889): what the payer asks the provider to do next.
FOLLOW_UP_ACTIONS: Mapping[str, str] = {
    "C": "please correct and resubmit",
    "N": "resubmission not allowed",
    "P": "please resubmit the original transaction",
    "R": "resubmission allowed",
    "S": "do not resubmit; inquiry initiated to a third party",
    "W": "please wait 30 days and resubmit",
    "X": "please wait 10 days and resubmit",
    "Y": "do not resubmit; the payer will hand process the request",
}

# EB01 (data element 1390): what a benefit line is.
BENEFIT_CODES: Mapping[str, str] = {
    "1": "active coverage",
    "2": "active coverage, full risk capitation",
    "3": "active coverage, services capitated",
    "4": "active coverage, services capitated to the primary care physician",
    "5": "active coverage, pending investigation",
    "6": "inactive coverage",
    "7": "inactive, pending eligibility update",
    "8": "inactive, pending investigation",
    "A": "coinsurance",
    "B": "copayment",
    "C": "deductible",
    "CB": "coverage basis",
    "D": "benefit description",
    "E": "exclusions",
    "F": "limitations",
    "G": "out of pocket (stop loss)",
    "H": "unlimited",
    "I": "non-covered",
    "J": "cost containment",
    "K": "reserve",
    "L": "primary care provider",
    "M": "pre-existing condition",
    "MC": "managed care coordinator",
    "N": "services restricted to the following provider",
    "O": "not deemed a medical necessity",
    "P": "benefit disclaimer",
    "Q": "second surgical opinion required",
    "R": "other or additional payer",
    "S": "prior year(s) history",
    "T": "card(s) reported lost or stolen",
    "U": "contact the following entity for eligibility or benefit information",
    "V": "cannot process",
    "W": "other source of data",
    "X": "health care facility",
    "Y": "spend down",
}
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})

# EB02 (1207).
COVERAGE_LEVELS: Mapping[str, str] = {
    "CHD": "children only",
    "DEP": "dependents only",
    "ECH": "employee and children",
    "EMP": "employee only",
    "ESP": "employee and spouse",
    "FAM": "family",
    "IND": "individual",
    "SPC": "spouse and children",
    "SPO": "spouse only",
}

# EB06 (615).
TIME_PERIODS: Mapping[str, str] = {
    "6": "hour",
    "7": "day",
    "13": "24 hours",
    "21": "years",
    "22": "service year",
    "23": "calendar year",
    "24": "year to date",
    "25": "contract",
    "26": "episode",
    "27": "visit",
    "28": "outlier",
    "29": "remaining",
    "30": "exceeded",
    "31": "not exceeded",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "month",
    "35": "week",
    "36": "admission",
}
REMAINING_PERIODS = frozenset({"29", "33"})

# EQ01/EB03 (1365): the service types claimflow asks about or shows most; the guide lists
# about two hundred.
SERVICE_TYPES: Mapping[str, str] = {
    "1": "medical care",
    "2": "surgical",
    "4": "diagnostic x-ray",
    "5": "diagnostic lab",
    "30": "health benefit plan coverage",
    "33": "chiropractic",
    "35": "dental care",
    "47": "hospital",
    "48": "hospital, inpatient",
    "50": "hospital, outpatient",
    "86": "emergency services",
    "88": "pharmacy",
    "98": "professional (physician) visit, office",
    "AL": "vision (optometry)",
    "MH": "mental health",
    "UC": "urgent care",
}


def describe(table: Mapping[str, str], code: str | None) -> str:
    """The plain-language meaning of ``code``, or the code itself when the table lacks it."""
    if not code:
        return ""
    meaning = table.get(code)
    return f"{meaning} ({code})" if meaning else f"code {code}"
