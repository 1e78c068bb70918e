"""Log redaction: validated identifiers never survive; ordinary words, amounts and dates do."""

from __future__ import annotations

import logging
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN
from stdnum import luhn
from stdnum.pl import pesel

from sarraf.policy.redaction import SECRET_PARAMETERS, SECRET_ROUTES, RedactingFilter, redact

TO_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

words = st.text(alphabet=string.ascii_letters + "ąćęłńóśźżابتثجحخ.,!?", min_size=1, max_size=12)
filler = st.lists(st.one_of(words, st.integers(0, 99999).map(str)), max_size=6).map(" ".join)


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country, bank_len, account_len = draw(st.sampled_from([("DE", 8, 10), ("PL", 8, 16), ("SA", 2, 18),
                                                          ("AE", 3, 16), ("AT", 5, 11)]))
    bank = draw(st.text(string.digits, min_size=bank_len, max_size=bank_len))
    account = draw(st.text(string.digits, min_size=account_len, max_size=account_len))
    value = str(IBAN.generate(country, bank_code=bank, account_code=account))
    return draw(st.sampled_from([value, IBAN(value).formatted]))


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    body = draw(st.text(string.digits, min_size=length - 1, max_size=length - 1).filter(lambda s: s[0] != "0"))
    number = body + luhn.calc_check_digit(body)
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


@st.composite
def pesels(draw: st.DrawFn) -> str:
    year = draw(st.integers(1900, 2099))
    month = draw(st.integers(1, 12)) + (20 if year >= 2000 else 0)
    day = draw(st.integers(1, 28))
    serial = draw(st.integers(0, 9999))
    body = f"{year % 100:02d}{month:02d}{day:02d}{serial:04d}"
    return body + pesel.calc_check_digit(body)


def _digits_only(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


@given(filler, ibans(), filler)
@settings(max_examples=150, deadline=None)
def test_ibans_never_survive(before: str, iban: str, after: str) -> None:
    out = redact(f"{before} {iban} {after}")
    assert "[IBAN]" in out
    assert iban not in out and iban.replace(" ", "") not in out.replace(" ", "")


@given(filler, cards(), filler, st.sampled_from([None, TO_ARABIC, TO_PERSIAN]))
@settings(max_examples=200, deadline=None)
def test_cards_never_survive(before: str, card: str, after: str, script: dict[int, str] | None) -> None:
    written = card.translate(script) if script else card
    out = redact(f"{before} {written} {after}")
    assert written not in out
    assert _digits_only(card) not in _digits_only(out.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")))


@given(filler, pesels(), filler)
@settings(max_examples=150, deadline=None)
def test_pesels_never_survive(before: str, number: str, after: str) -> None:
    assert number not in redact(f"{before} {number} {after}")


@given(st.lists(words, min_size=1, max_size=8), st.integers(0, 999_999), st.dates())
@settings(max_examples=150, deadline=None)
def test_words_amounts_and_dates_survive(text: list[str], amount: int, day: object) -> None:
    line = f"{' '.join(text)} paid {amount} PLN ({amount / 100:.2f}) on {day} at 12:30"
    assert redact(line) == line


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("from PL61 1090 1014 0000 0712 1981 2874 today", "from [IBAN] today"),
        ("to sa0380000000608010167519", "to [IBAN]"),
        ("card 4111-1111-1111-1111 exp 12/27", "card [CARD] exp 12/27"),
        ("pesel ٤٤٠٥١٤٠١٣٥٩", "pesel [PESEL]"),
        ("call +48 600 700 800", "call [PHONE]"),
        ("call 600 700 800", "call [PHONE]"),
        ("اتصل ٠٥٠١٢٣٤٥٦٧", "اتصل [PHONE]"),
        ("dubai 00971 50 123 4567", "dubai [PHONE]"),
        ("uk (020) 7946 0018", "uk [PHONE]"),
        ("mail jan.kowalski@example.co.uk now", "mail [EMAIL] now"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "Authorization: Bearer [TOKEN]"),
        ("{'authorization': 'Basic dXNlcjpwYXNz'}", "{'authorization': 'Basic [TOKEN]'}"),
        ("retry with bearer k3yV4lue", "retry with bearer [TOKEN]"),
        ("the Bearer paid, a basic account", "the Bearer paid, a basic account"),
        ("id_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "id_token=[TOKEN]"),
        ("client_secret=s3cr3t&x=1", "client_secret=[SECRET]&x=1"),
        ("sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "sha [SECRET]"),
        ("k Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MEFCQ0RFRkdI end", "k [SECRET] end"),
        ("purpose essential.service.operations.support ok", "purpose essential.service.operations.support ok"),
        ("paid ١٢٣ SAR, order 12345 on 2024-01-15", "paid ١٢٣ SAR, order 12345 on 2024-01-15"),
    ],
)
def test_examples(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_logging_filter_redacts_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("sarraf.test.redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("linked %s for %s", "PL61109010140000071219812874", "jan@example.com")
            try:
                raise ValueError("bad card 4111111111111111")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    assert caplog.records[0].getMessage() == "linked [IBAN] for [EMAIL]"
    assert "4111111111111111" not in caplog.text and "[CARD]" in caplog.text


def test_filter_keeps_arguments_for_formatters_that_unpack_them() -> None:
    """uvicorn's access formatter unpacks record.args; the filter must redact them, not drop them."""
    import logging

    from uvicorn.logging import AccessFormatter

    from sarraf.policy.redaction import RedactingFilter

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/secure/x?iban=GB82WEST12345698765432", "1.1", 200), None,
    )
    assert RedactingFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert "GB82WEST12345698765432" not in line and "[IBAN]" in line and "200" in line


# ---- by field and route (finding 8 of #22): a value is secret because of where it stands ----------------

URLSAFE = string.ascii_letters + string.digits + "-_"
secret_values = st.text(alphabet=URLSAFE, min_size=4, max_size=64)
ACCESS_LINE = '%s - "%s %s HTTP/%s" %d'


def _access_line(target: str) -> str:
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, ACCESS_LINE,
                               ("203.0.113.9:51234", "GET", target, "1.1", 303), None)
    assert RedactingFilter().filter(record)
    return AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)


@given(st.sampled_from(sorted(SECRET_PARAMETERS)), secret_values, secret_values)
@settings(max_examples=200, deadline=None)
def test_named_parameters_never_survive_an_access_log(name: str, value: str, other: str) -> None:
    line = _access_line(f"/link/callback?{name}={value}&after=3&x={other}")
    # The parameter's value is replaced, whatever it is (by field, or by an earlier, more specific kind).
    assert re.search(rf"\?{re.escape(name)}=\[(REDACTED|SECRET|TOKEN)\]&after=3&x=", line), line


@given(st.sampled_from(SECRET_ROUTES), secret_values)
@settings(max_examples=100, deadline=None)
def test_secret_route_segments_never_survive(route: str, value: str) -> None:
    line = _access_line(f"{route}{value}?lang=pl")
    assert f"{route}[REDACTED]?lang=pl" in line


@given(st.uuids(), filler)
@settings(max_examples=100, deadline=None)
def test_uuids_never_survive(uuid: object, around: str) -> None:
    for form in (str(uuid), str(uuid).upper()):
        assert form not in redact(f"{around} consent {form} {around}")


def test_access_log_hides_the_client_address_short_codes_and_session_ids() -> None:
    line = _access_line("/link/callback?code=Ab3&state=s")
    assert line == '[CLIENT] - "GET /link/callback?code=[REDACTED]&state=[REDACTED] HTTP/1.1" 303 See Other'
    assert "abcDEF123456ghiJKLmn" not in _access_line("/webchat/api/updates?session=abcDEF123456ghiJKLmn&after=0")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /link/start/4a6B_x9Q2mN0pLrT7vWzY1sD?redirect_uri=https://m.me/x",
         "GET /link/start/[REDACTED]?redirect_uri=[REDACTED]"),
        ("consent 3f2b8c1e-9a7d-4c2b-8e1f-0a9b8c7d6e5f revoked", "consent [ID] revoked"),
        ("link session kV3mQ9zT1xWpL0aB7cYd2E taken", "link session [SECRET] taken"),
        ("ReadTransactionsDetail granted for 90 days", "ReadTransactionsDetail granted for 90 days"),
        ("code=Ab3 token=[REDACTED]", "code=[REDACTED] token=[REDACTED]"),
    ],
)
def test_field_and_route_examples(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_an_iso_date_is_never_taken_for_a_phone_number() -> None:
    # "0800-01-01" is a valid UK freephone number to phonenumbers; in a log line it is a date (found by hypothesis)
    assert redact("paid 0 PLN on 0800-01-01 at 12:30") == "paid 0 PLN on 0800-01-01 at 12:30"
    assert redact("call 0800 123 4567 today") == "call [PHONE] today"
