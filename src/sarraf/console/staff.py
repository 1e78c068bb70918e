"""Staff accounts: who may log in to a bank's console, with which role, and how a login is checked.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended option); the second
factor is a TOTP (RFC 6238) whose time step is remembered, so a code that worked once is refused ever after.
Failed logins lock the account with a back-off that doubles: an online guesser gets a handful of tries an hour.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("agent", "supervisor", "compliance")
FREE_FAILURES = 5  # consecutive failures before the account locks
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(hours=1)
TOTP_STEP_SECONDS = 30
TOTP_DRIFT_STEPS = 1  # a code from the step before or after is accepted (clocks drift, people type slowly)
MIN_PASSWORD = 12

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when the e-mail is unknown costs the same time as a real check: no account
    probing. Made on the first login check of any kind (known e-mail or not, see check_login), not at import:
    hashing costs ~0.15 s that every start-up paid, console or not."""
    return _hasher.hash("not a password anyone has")


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # e-mail, password or code: one answer, so a guesser learns nothing
    REPLAYED = "replayed"  # the password was right and the code too, but it was used already
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: str
    tenant: str
    email: str
    role: str
    password_hash: str
    totp_secret: str
    last_totp_step: int
    failed_logins: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class LoginCheck:
    outcome: Outcome
    totp_step: int = 0  # the step of the accepted code, to be remembered
    locked_until: datetime | None = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a staff password has at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, bank_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=bank_name)


def totp_step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * TOTP_STEP_SECONDS)


def lock_for(failures: int) -> timedelta | None:
    """How long the account stays locked after `failures` consecutive failures (None: not locked)."""
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_LOCK * (1 << (failures - FREE_FAILURES)), LONGEST_LOCK)


def check_login(account: StaffAccount | None, password: str, code: str, now: datetime) -> LoginCheck:
    """Check a login attempt; pure, so the store records exactly what this decided."""
    dummy = _dummy_hash()  # before the branch: only the very first check pays for it, whichever way it goes
    if account is None:
        _password_matches(dummy, password)
        return LoginCheck(Outcome.WRONG)
    if account.locked_until is not None and account.locked_until > now:
        return LoginCheck(Outcome.LOCKED, locked_until=account.locked_until)
    if not _password_matches(account.password_hash, password):
        return LoginCheck(Outcome.WRONG)
    step = _matching_step(account.totp_secret, code.strip(), now)
    if step is None:
        return LoginCheck(Outcome.WRONG)
    if step <= account.last_totp_step:
        return LoginCheck(Outcome.REPLAYED)
    return LoginCheck(Outcome.OK, totp_step=step)


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    if not (len(code) == 6 and code.isdigit()):
        return None
    current = totp_step(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None
