"""The sandbox bank's consent page says what is shared once per kind of data, in plain words, in every language,
and right-to-left in Arabic."""

from __future__ import annotations

import re

import pytest

from sarraf.policy.consent_grant import ALL_SCOPES, permissions_for
from sarraf.sandbox_bank.aisp import PERMISSIONS as OB_PERMISSIONS
from sarraf.sandbox_bank.pages.consent_text import LINES, line_keys, plain_permissions
from sarraf.sandbox_bank.pages.i18n import LANGUAGES
from tests.sandbox_bank.flow import SandboxClient, pkce

GATEWAY_ASKS = list(permissions_for(ALL_SCOPES))  # what the gateway requests when a customer links everything


def test_the_gateways_request_reads_as_one_line_per_kind_of_data() -> None:
    assert line_keys(GATEWAY_ASKS) == ["accounts_detail", "balances", "transactions_detail_both", "beneficiaries",
                                       "offers"]
    assert plain_permissions(GATEWAY_ASKS, "en") == [
        "The names, types and numbers of your accounts",
        "Your balances",
        "Money coming in and going out: dates, amounts, descriptions and merchants",
        "The people and businesses you have saved as payees",
        "Offers the bank has for you",
    ]


@pytest.mark.parametrize(
    ("permissions", "keys"),
    [
        (["ReadAccountsBasic", "ReadBalances"], ["accounts_basic", "balances"]),
        (["ReadAccountsBasic", "ReadTransactionsBasic", "ReadTransactionsDebits"],
         ["accounts_basic", "transactions_basic_out"]),
        (["ReadAccountsDetail", "ReadTransactionsDetail", "ReadTransactionsCredits"],
         ["accounts_detail", "transactions_detail_in"]),
        (["ReadParty", "ReadPartyPSU", "ReadBeneficiariesBasic", "ReadBeneficiariesDetail"],
         ["beneficiaries", "party"]),
    ],
)
def test_overlapping_permissions_collapse_to_the_widest(permissions: list[str], keys: list[str]) -> None:
    assert line_keys(permissions) == keys


def test_every_permission_the_bank_accepts_has_words_in_every_language() -> None:
    for permission in OB_PERMISSIONS:
        assert line_keys([permission]) or permission.startswith("ReadTransactions"), permission
    for key, forms in LINES.items():
        assert set(forms) == set(LANGUAGES), key
        assert len(set(forms.values())) == len(LANGUAGES), key  # translated, not copied


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_page_lists_each_kind_once(bank: SandboxClient, lang: str) -> None:
    consent = bank.create_consent(GATEWAY_ASKS).json()["Data"]["ConsentId"]
    _, challenge = pkce()
    page = bank.http.get("/oauth/authorize", params={
        "response_type": "code", "client_id": "sarraf", "redirect_uri": "http://127.0.0.1/cb", "scope": "accounts",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256", "consent_id": consent,
        "ui_locales": lang,
    })
    assert page.status_code == 200
    assert re.search(rf'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">', page.text)
    items = re.findall(r"<li>(.*?)</li>", page.text)
    assert items == plain_permissions(GATEWAY_ASKS, lang)
    # Latin names stay whole and in order inside the sentence and the list, in Arabic too.
    assert re.search("\u2068[^\u2069]+\u2069", page.text)
    assert "<bdi>sandbox-ar-1</bdi>" in page.text
