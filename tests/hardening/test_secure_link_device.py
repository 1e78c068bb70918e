"""Finding 10 of #17: secure links were bearer links, openable any number of times from anywhere for 10 minutes.
Now the first browser to open one claims it: that browser may open it again until it expires, any other gets a
page saying to ask again in the chat, with none of the customer's data (docs/secure-links.md). Over HTTP."""

from __future__ import annotations

import httpx
import pytest

from sarraf.i18n.replies import catalog
from sarraf.policy.secure_links import SignedLinks
from sarraf.store.key_store import key_provider
from tests.integration.conftest import Gateway, database_url, gateway  # noqa: F401
from tests.integration.helpers import ChatClient


async def _balance_link(gw: Gateway, http: httpx.AsyncClient) -> str:
    chat = ChatClient(http, gw.url)
    await chat.link(await chat.say("link my account"), "sandbox-en-1")
    (summary,) = await chat.say("show me my data")
    export = await http.get(summary["buttons"][0]["url"])  # the export link, opened by the chat's browser
    customer_id = str(export.json()["customer"]["id"])
    links = SignedLinks(await key_provider(gw.settings).secret("secure-links"), gw.url)
    return links.issue("sandbox", customer_id, "balance", None, None)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_secure_link_opens_in_one_browser_only(gateway: Gateway) -> None:  # noqa: F811
    async with httpx.AsyncClient(timeout=30) as mine, httpx.AsyncClient(timeout=30) as other, \
            httpx.AsyncClient(timeout=30) as third:
        url = await _balance_link(gateway, mine)
        first = await mine.get(url)
        assert first.status_code == 200 and "£" in first.text
        assert "sarraf_browser" in mine.cookies  # bound to this browser
        again = await mine.get(url)  # a reload in the same browser
        assert again.status_code == 200 and "£" in again.text
        for stranger in (other, third):  # a forwarded link: no data, a clear page, in the visitor's language
            refused = await stranger.get(url, headers={"Accept-Language": "pl-PL"})
            assert refused.status_code == 403 and "£" not in refused.text
            assert catalog().text("pl", "secure_link_other_device_title") in refused.text
        assert (await mine.get(url)).status_code == 200  # the owner still can
        # A forged cookie value is another browser too.
        other.cookies.set("sarraf_browser", "x" * 43)
        assert (await other.get(url)).status_code == 403


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_export_download_is_single_device_too(gateway: Gateway) -> None:  # noqa: F811
    async with httpx.AsyncClient(timeout=30) as mine, httpx.AsyncClient(timeout=30) as other:
        chat = ChatClient(mine, gateway.url)
        await chat.link(await chat.say("link my account"), "sandbox-pl-1")
        (summary,) = await chat.say("show me my data")
        url = summary["buttons"][0]["url"]
        assert (await mine.get(url)).status_code == 200
        stolen = await other.get(url)
        assert stolen.status_code == 403 and "customer" not in stolen.text


def test_two_links_to_the_same_view_in_the_same_second_are_two_links() -> None:
    links = SignedLinks(b"k" * 32, "http://gw")
    first, second = (links.issue("sandbox", "c1", "balance", None, None) for _ in range(2))
    assert first != second  # else the first browser's claim would refuse the second customer's own link
