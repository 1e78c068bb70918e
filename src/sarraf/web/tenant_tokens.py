"""Bearer tokens of the back-office APIs, scoped per bank (tenant), with one explicit all-banks role.

Two APIs take them: the operator API (consents) and the alert preferences API. For each, a bank's own token
(`operator_token` / `alerts_api_token` under the bank in the banks file, or SARRAF_OPERATOR_TOKEN_<BANK> /
SARRAF_ALERTS_API_TOKEN_<BANK>, <BANK> the bank id upper-cased with anything else than letters and digits as
`_`) is good for that bank only; SARRAF_OPERATOR_TOKEN / SARRAF_ALERTS_API_TOKEN is the all-banks
administrator's. One bank's back office can therefore neither read nor change another bank's customers.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from fastapi import HTTPException, Request

from sarraf.config import BankConfig


class Api(Enum):
    OPERATOR = "SARRAF_OPERATOR_TOKEN"
    ALERTS = "SARRAF_ALERTS_API_TOKEN"


API_NAMES = {Api.OPERATOR: "operator API", Api.ALERTS: "alert preferences API"}


@dataclass(frozen=True, slots=True)
class Scope:
    bank: str | None  # None: the all-banks administrator


def env_name(api: Api, bank: str) -> str:
    return f"{api.value}_{re.sub(r'[^A-Z0-9]', '_', bank.upper())}"


def bank_token(api: Api, bank: BankConfig, env: Mapping[str, str]) -> str | None:
    configured = bank.operator_token if api is Api.OPERATOR else bank.alerts_api_token
    return env.get(env_name(api, bank.id)) or configured or None


def tokens(api: Api, banks: Mapping[str, BankConfig], all_banks: str | None,
           env: Mapping[str, str] | None = None) -> dict[str, Scope]:
    """Every configured token and what it may reach."""
    env = os.environ if env is None else env
    found = {token: Scope(bank.id) for bank in banks.values() if (token := bank_token(api, bank, env))}
    if all_banks:
        found[all_banks] = Scope(None)
    return found


def authorise(request: Request, api: Api, bank: str, banks: Mapping[str, BankConfig], all_banks: str | None
              ) -> Scope:
    """The caller's scope when its bearer token reaches `bank`; otherwise refused: 403 when no token could
    reach this bank at all, 401 for a missing or unknown token, 403 for a token of another bank. Every
    comparison is constant-time and every token is compared.

    Fail closed, and say so: an API without a configured token refuses every request with 403 and a reason
    naming the variable to set (the same for both APIs). It is a deliberate refusal, not an outage, so it is
    neither a 5xx (monitors would page, clients would retry) nor a 401 (no credential could ever pass)."""
    known = tokens(api, banks, all_banks)
    if not any(scope.bank in (None, bank) for scope in known.values()):
        raise HTTPException(403, f"refused: no {API_NAMES[api]} token is configured for bank {bank!r}, so "
                                 f"this API is closed; set {env_name(api, bank)} (or {api.value} for every bank)")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    matched: Scope | None = None
    for token, scope in known.items():
        if hmac.compare_digest(given.strip().encode(), token.encode()) and scheme.lower() == "bearer":
            matched = scope
    if matched is None:
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
    if matched.bank not in (None, bank):
        raise HTTPException(403, f"this token is not valid for bank {bank!r}")
    return matched
