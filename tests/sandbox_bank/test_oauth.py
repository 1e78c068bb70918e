"""The sandbox's OAuth server refuses what a real bank must refuse."""

from __future__ import annotations

import httpx

from tests.sandbox_bank.flow import CLIENT, REDIRECT, Clock, SandboxClient, pkce


def _consent(bank: SandboxClient) -> str:
    consent_id: str = bank.create_consent().json()["Data"]["ConsentId"]
    return consent_id


def test_full_flow_issues_tokens_that_read_accounts(bank: SandboxClient) -> None:
    linked = bank.link()
    accounts = bank.get("/accounts", linked.access_token)
    assert accounts.status_code == 200
    assert [a["AccountId"] for a in accounts.json()["Data"]["Account"]] == [
        "sandbox-en-1-current", "sandbox-en-1-savings", "sandbox-en-1-card"]
    assert bank.consent(linked.consent_id).json()["Data"]["Status"] == "AUTH"


def test_wrong_pkce_verifier_is_refused(bank: SandboxClient) -> None:
    _, challenge = pkce()
    code = bank.code_for(_consent(bank), challenge)
    other_verifier, _ = pkce()
    answer = bank.exchange(code, other_verifier)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_code_is_single_use_and_replay_revokes_its_tokens(bank: SandboxClient) -> None:
    verifier, challenge = pkce()
    code = bank.code_for(_consent(bank), challenge)
    first = bank.exchange(code, verifier)
    assert first.status_code == 200
    replay = bank.exchange(code, verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert bank.get("/accounts", first.json()["access_token"]).status_code == 401


def test_expired_code_is_refused(bank: SandboxClient, clock: Clock) -> None:
    verifier, challenge = pkce()
    code = bank.code_for(_consent(bank), challenge)
    clock.advance(seconds=61)
    answer = bank.exchange(code, verifier)
    assert answer.status_code == 400
    assert "expired" in answer.json()["error_description"]


def test_refresh_rotates_and_old_refresh_token_dies(bank: SandboxClient) -> None:
    linked = bank.link()
    rotated = bank.refresh(linked.refresh_token)
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["refresh_token"] != linked.refresh_token
    assert bank.get("/accounts", fresh["access_token"]).status_code == 200
    again = bank.refresh(linked.refresh_token)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert bank.refresh(fresh["refresh_token"]).status_code == 200


def test_access_token_expires(bank: SandboxClient, clock: Clock) -> None:
    linked = bank.link()
    clock.advance(seconds=301)
    answer = bank.get("/accounts", linked.access_token)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_wrong_client_secret_is_refused_both_ways(bank: SandboxClient) -> None:
    basic = bank.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("sarraf", "nope"))
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"
    post = bank.http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "sarraf",
                                                "client_secret": "nope"})
    assert post.status_code == 401
    right_post = bank.http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT[0],
                                                      "client_secret": CLIENT[1]})
    assert right_post.status_code == 200


def test_deny_redirects_with_access_denied_and_rejects_consent(bank: SandboxClient) -> None:
    consent_id = _consent(bank)
    _, challenge = pkce()
    answer = bank.decide(bank.login_page(consent_id, challenge, state="s-9"), decision="deny")
    assert answer.status_code == 302
    params = httpx.URL(answer.headers["location"]).params
    assert params["error"] == "access_denied"
    assert params["state"] == "s-9"
    assert bank.consent(consent_id).json()["Data"]["Status"] == "RJCT"


def test_wrong_password_stays_on_the_page(bank: SandboxClient) -> None:
    _, challenge = pkce()
    page = bank.login_page(_consent(bank), challenge)
    answer = bank.decide(page, password="guess")
    assert answer.status_code == 401
    assert "do not match" in answer.text


def test_pkce_is_mandatory(bank: SandboxClient) -> None:
    answer = bank.http.get("/oauth/authorize", params={
        "response_type": "code", "client_id": "sarraf", "redirect_uri": REDIRECT, "scope": "openid accounts",
        "state": "x", "consent_id": _consent(bank)})
    assert answer.status_code == 302
    assert httpx.URL(answer.headers["location"]).params["error"] == "invalid_request"


def test_foreign_redirect_uri_is_never_redirected_to(bank: SandboxClient) -> None:
    _, challenge = pkce()
    for uri in ("http://evil.example/cb", "ftp://127.0.0.1/cb"):
        answer = bank.http.get("/oauth/authorize", params={
            "response_type": "code", "client_id": "sarraf", "redirect_uri": uri, "scope": "accounts",
            "state": "x", "code_challenge": challenge, "code_challenge_method": "S256",
            "consent_id": _consent(bank)})
        assert answer.status_code == 400
        assert "location" not in answer.headers


def test_https_and_localhost_redirects_are_allowed(bank: SandboxClient) -> None:
    _, challenge = pkce()
    for uri in ("https://gateway.example/cb", "http://localhost:8000/link/done"):
        answer = bank.http.get("/oauth/authorize", params={
            "response_type": "code", "client_id": "sarraf", "redirect_uri": uri, "scope": "accounts",
            "state": "x", "code_challenge": challenge, "code_challenge_method": "S256",
            "consent_id": _consent(bank)})
        assert answer.status_code == 200


def test_login_page_speaks_the_customers_language_and_lists_permissions(bank: SandboxClient) -> None:
    _, challenge = pkce()
    consent_id = _consent(bank)
    english = bank.login_page(consent_id, challenge)
    assert "sandbox" in english.text and "Your balances" in english.text
    assert 'action="' + bank.base_url + '/oauth/authorize"' in english.text
    arabic = bank.http.get(str(english.request.url), headers={"Accept-Language": "ar-SA,ar;q=0.9"})
    assert 'dir="rtl"' in arabic.text and "أرصدة حساباتك" in arabic.text
    polish = bank.http.get(str(english.request.url) + "&ui_locales=pl")
    assert "Salda Twoich rachunków" in polish.text


def test_discovery_lists_endpoints_under_the_mount(bank: SandboxClient) -> None:
    found = bank.http.get("/.well-known/openid-configuration").json()
    assert found["token_endpoint"] == bank.base_url + "/oauth/token"
    assert found["authorization_endpoint"] == bank.base_url + "/oauth/authorize"
    assert found["issuer"] == bank.base_url
    assert found["code_challenge_methods_supported"] == ["S256"]


def test_unknown_grant_type(bank: SandboxClient) -> None:
    answer = bank.http.post("/oauth/token", data={"grant_type": "password"}, auth=CLIENT)
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"
