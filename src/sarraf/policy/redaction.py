"""Remove personal data and secrets from log text: IBANs, card numbers, PESEL, phone numbers, e-mails, tokens.

By field and route first: a value is secret because of where it stands, whatever it looks like. Query (and
form) parameters named in SECRET_PARAMETERS (an OAuth `code` of six characters, a `state`, a chat `session`)
and the path segment after a route in SECRET_ROUTES (/link/start/<state>, /secure/<token>) become
[REDACTED]; then UUIDs become [ID]. Patterns catch the rest, wherever it appears:

Candidates are found with cheap regular expressions and kept only if a validator made for the job agrees
(schwifty's mod-97 for IBANs, Luhn for cards, python-stdnum for PESEL, phonenumbers for phones), so
amounts, dates and short numbers survive. Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits are
matched as their ASCII equivalents; the translation keeps every character's position, so the text around
a match is returned exactly as it was written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import phonenumbers
from schwifty import IBAN
from stdnum import luhn
from stdnum.pl import pesel

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# Order matters: earlier kinds win, and placeholders hold no digits for later kinds to match.
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+([A-Za-z0-9\-._~+/]+=*)")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_KEY_VALUE = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|client_secret|api[_-]?key|access_token|refresh_token|token)"
    r"(\"?\s*[=:]\s*\"?)([^\s\"',;&]+)"
)
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}\b")
_NUMBER_RUN = re.compile(r"(?<![\w+])\+?\d[\d \-().]*\d(?!\w)")  # digits joined by spaces/dashes/dots
_SECRET = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{20,}={0,2}(?![\w-])")  # base64url ids: token_urlsafe(16) up
_HEX = re.compile(r"^[0-9a-fA-F]+$")

# Parameters whose value is a credential, a one-time code or an identifier of a person's session, whatever
# its length or alphabet (uvicorn's access log prints the whole request target).
SECRET_PARAMETERS = frozenset({
    "code", "state", "session", "token", "access_token", "refresh_token", "id_token", "authorization_code",
    "account_linking_token", "code_verifier", "code_challenge", "client_secret", "link_confirm", "auth_request",
    "consent_id", "nonce", "password", "hub.verify_token", "redirect_uri",
})
# Routes whose next path segment is a bearer secret.
SECRET_ROUTES = ("/link/start/", "/secure/")
_PARAMETER = re.compile(
    r"(?i)(?<![\w.-])(" + "|".join(re.escape(name) for name in sorted(SECRET_PARAMETERS, key=len, reverse=True))
    + r")=([^&#\s\"'<>]+)")
_ROUTE = re.compile("(" + "|".join(re.escape(route) for route in SECRET_ROUTES) + r")([^/?#\s\"'<>]+)")
_UUID = re.compile(r"(?i)(?<![0-9a-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-z])")
_GROUP = re.compile(r"\+?\d+")


def _valid_iban(candidate: str) -> bool:
    try:
        IBAN(candidate)
    except ValueError:
        return False
    return True


def _iban_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN.finditer(text):
        value = match.group()
        # A spaced IBAN may have swallowed the next word ("... 2874 and"): drop words from the end.
        while len(value.replace(" ", "")) >= 15:
            if _valid_iban(value.upper()):
                yield match.start(), match.start() + len(value)
                break
            if " " not in value:
                break
            value = value.rsplit(" ", 1)[0]


# a date as logs write it: "0800-01-01" is also a valid UK freephone number to phonenumbers, but in a log line
# it is the date (hypothesis found it: tests/policy/test_redaction.py)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_phone(window: str, digits: str) -> bool:
    if not 7 <= len(digits) <= 15 or _ISO_DATE.fullmatch(window.strip()):
        return False
    stripped = window.lstrip("(")
    regions: tuple[str | None, ...]
    if stripped.startswith("00"):
        window, regions = "+" + stripped[2:], (None,)
    elif stripped.startswith("+"):
        regions = (None,)
    elif stripped.startswith("0"):
        regions = ("SA", "AE", "GB")  # trunk prefix 0: a national number there
    elif len(digits) == 9:
        regions = ("PL",)  # Poland has no trunk prefix: 9 bare digits are a PL number
    else:
        return False
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(window, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _classify(window: str, digits: str) -> str | None:
    n = len(digits)
    if 13 <= n <= 19 and luhn.is_valid(digits):
        return "[CARD]"
    if n == 11 and pesel.is_valid(digits):
        return "[PESEL]"
    if _is_phone(window, digits):
        return "[PHONE]"
    return None


def _number_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Within a run of digit groups, the longest window of whole groups that is a card, PESEL or phone.
    Windows keep a neighbouring amount or date ("ref 12 4111 1111 1111 1111") from hiding a card."""
    for run in _NUMBER_RUN.finditer(text):
        base = run.start()
        groups = [(m.start() + base, m.end() + base, m.group().lstrip("+")) for m in _GROUP.finditer(run.group())]
        if sum(len(g[2]) for g in groups) < 7:
            continue  # amounts, dates, times, short references: nothing here can match
        i = 0
        while i < len(groups):
            found = None
            for j in range(len(groups), i, -1):
                digits = "".join(g[2] for g in groups[i:j])
                if len(digits) < 7:
                    break  # shorter windows only lose digits
                start, end = groups[i][0], groups[j - 1][1]
                if start > 0 and text[start - 1] == "(":
                    start -= 1
                label = _classify(text[start:end], digits)
                if label:
                    found = (start, end, label, j)
                    break
            if found:
                yield found[0], found[1], found[2]
                i = found[3]
            else:
                i += 1


def _looks_secret(value: str) -> bool:
    if _HEX.match(value):
        return True
    return any(c.isdigit() for c in value) and any(c.isupper() for c in value) and any(c.islower() for c in value)


def _replace(original: str, spans: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, label in sorted(spans):
        if start < last:
            continue
        out.append(original[last:start])
        out.append(label)
        last = end
    out.append(original[last:])
    return "".join(out)


def _apply(original: str, work: str, find: Callable[[str], list[tuple[int, int, str]]]) -> tuple[str, str]:
    spans = find(work)
    if not spans:
        return original, work
    return _replace(original, spans), _replace(work, spans)


def _credential(value: str, before: str) -> bool:
    """What follows "Bearer"/"Basic" is a credential, not prose ("the bearer paid", "basic account"): always
    after an Authorization header's name, else when long, holding a digit or base64 padding (a random token
    of 8+ characters nearly always holds a digit)."""
    return ("authorization" in before.lower() or len(value) >= 16 or value.endswith("=")
            or any(c.isdigit() for c in value))


def redact(text: str) -> str:
    """`text` with personal data and secrets replaced by [REDACTED] (by field and route), [ID], [IBAN],
    [CARD], [PESEL], [PHONE], [EMAIL], [TOKEN] and [SECRET]."""
    work = text.translate(_DIGITS)
    has_digit = any(ch.isdigit() for ch in work)
    original = text
    if "earer" in work or "asic" in work or "EARER" in work or "ASIC" in work:
        original, work = _apply(original, work, lambda t: [
            (m.start(), m.end(), f"{m.group(1)} [TOKEN]") for m in _BEARER.finditer(t)
            if _credential(m.group(2), t[max(0, m.start() - 24):m.start()])])
    if "eyJ" in work:
        original, work = _apply(original, work, lambda t: [(m.start(), m.end(), "[TOKEN]") for m in _JWT.finditer(t)])
    if "=" in work or ":" in work:
        original, work = _apply(original, work, lambda t: [
            (m.start(3), m.end(3), "[SECRET]") for m in _KEY_VALUE.finditer(t)
            if m.group(3) not in ("[TOKEN]", "[REDACTED]")])
    if "=" in work:
        original, work = _apply(original, work, lambda t: [
            (m.start(2), m.end(2), "[REDACTED]") for m in _PARAMETER.finditer(t)
            if not m.group(2).startswith("[")])
    if "/" in work:
        original, work = _apply(original, work, lambda t: [
            (m.start(2), m.end(2), "[REDACTED]") for m in _ROUTE.finditer(t)])
    if "-" in work:
        original, work = _apply(original, work, lambda t: [(m.start(), m.end(), "[ID]") for m in _UUID.finditer(t)])
    if "@" in work:
        original, work = _apply(original, work, lambda t: [(m.start(), m.end(), "[EMAIL]") for m in _EMAIL.finditer(t)])
    if has_digit:
        original, work = _apply(original, work, lambda t: [(s, e, "[IBAN]") for s, e in _iban_spans(t)])
        original, work = _apply(original, work, lambda t: list(_number_spans(t)))
    original, work = _apply(original, work, lambda t: [
        (m.start(), m.end(), "[SECRET]") for m in _SECRET.finditer(t) if _looks_secret(m.group())])
    return original


ACCESS_LOGGER = "uvicorn.access"


class RedactingFilter(logging.Filter):
    """Attach to a handler (or logger) so every record is redacted before any formatter sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == 5:
            # By field: uvicorn's access record is (client address, method, target, HTTP version, status);
            # the client's IP address is personal data, the target is redacted by parameter and route below.
            record.args = ("[CLIENT]", *record.args[1:])
        if isinstance(record.args, tuple) and record.args:
            # Keep the arguments: some formatters (uvicorn's access log) read them one by one.
            record.msg = redact(str(record.msg))
            record.args = tuple(_redacted_arg(a) for a in record.args)
        else:
            record.msg = redact(record.getMessage())
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _redacted_arg(value: object) -> object:
    """A log argument with secrets replaced; untouched (type kept for %d and friends) when nothing matched."""
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned
