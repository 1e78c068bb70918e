"""`python -m sarraf.sandbox_bank --host 127.0.0.1 --port 8100 --state PATH`"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from sarraf.sandbox_bank.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sarraf.sandbox_bank", description="Run the sandbox bank.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--state", type=Path, default=None,
                        help="SQLite file for consents, tokens, card statuses, cases and event subscriptions")
    parser.add_argument("--root-path", default="", help="prefix when served behind a proxy, e.g. /bank")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.state), host=args.host, port=args.port, root_path=args.root_path)


if __name__ == "__main__":
    main()
