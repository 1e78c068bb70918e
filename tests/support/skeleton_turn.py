"""The skeleton of a chat turn: what any gateway in bench/chat.py's topology must do over the wire, and nothing
else — the floor under the gateway's figures, measured in the same run.

A small FastAPI app (its own process, uvicorn, the gateway's own outbound HTTP client from
sarraf/http_client.py) that, for each Messenger webhook, checks the signature, parses the JSON, makes one
request to a stand-in bank (the empty handler's GET, i.e. a bank with no work of its own) and one Send API call
to the fake platform (recorded there like the gateway's, so lost/dup are counted the same way), then answers
200; a web chat message gets the bank request and its reply in the response. A re-delivered message id is
acknowledged and not answered again (an in-memory set). No NLU, no policy, no database, no audit, no
encryption: the gateway's turn minus the skeleton's is what Sarraf itself costs.

    python -m tests.support.skeleton_turn --port P --bank URL --platform URL
"""

from __future__ import annotations

import argparse
import hmac
import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sarraf.channels.signatures import hub_signature
from sarraf.http_client import outbound_client
from tests.support import chat_load


def skeleton_app(bank_url: str, platform_url: str, secret: str) -> FastAPI:
    app = FastAPI()
    http = outbound_client()  # the gateway's own outbound client, set up the same way
    seen: set[str] = set()  # idempotency, in memory: a re-delivered message id is acknowledged, not answered

    def first_time(message_id: str) -> bool:
        fresh = message_id not in seen
        seen.add(message_id)
        return fresh

    @app.get("/_ready")
    async def ready() -> dict[str, str]:
        return {}

    @app.post("/channels/messenger/webhook")
    async def webhook(request: Request) -> JSONResponse:
        raw = await request.body()
        given = request.headers.get("x-hub-signature-256", "")
        if not hmac.compare_digest(hub_signature(secret, raw), given):
            return JSONResponse({"error": "bad signature"}, status_code=403)
        for entry in json.loads(raw)["entry"]:
            for event in entry["messaging"]:
                if not first_time(event["message"]["mid"]):
                    continue
                (await http.get(f"{bank_url}/_ready")).raise_for_status()
                sent = await http.post(f"{platform_url}/v19.0/me/messages", json={
                    "recipient": {"id": event["sender"]["id"]}, "messaging_type": "RESPONSE",
                    "message": {"text": "Your balance is 1 234.56 GBP."}})
                sent.raise_for_status()
        return JSONResponse({"status": "ok"})

    @app.post("/webchat/api/messages")
    async def webchat(request: Request) -> JSONResponse:
        message = json.loads(await request.body())
        if not first_time(message["message_id"]):
            return JSONResponse({"replies": []})
        (await http.get(f"{bank_url}/_ready")).raise_for_status()
        return JSONResponse({"replies": [{"text": "Your balance is 1 234.56 GBP."}]})

    return app


def start_skeleton(logs: Path, bank_url: str, platform_url: str) -> chat_load.Proc:
    port = chat_load.free_port()
    proc = chat_load.spawn("skeleton", ["-m", "tests.support.skeleton_turn", "--port", str(port), "--bank", bank_url,
                                        "--platform", platform_url], chat_load.base_env(), logs, port)
    chat_load.wait_ready(proc, "/_ready")
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bank", required=True, help="base URL of the stand-in bank (the empty handler)")
    parser.add_argument("--platform", required=True, help="base URL of the fake platform")
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(skeleton_app(args.bank, args.platform, chat_load.SECRET), host="127.0.0.1", port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()
