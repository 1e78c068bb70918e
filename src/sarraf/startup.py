"""What `sarraf serve` checks before it listens (#17 finding 7): each way the gateway cannot start — data
folder, banks file, a bank's agreement, the database, the keys, a platform's secrets — becomes one line naming
what is wrong and how to fix it, instead of a traceback from inside the server's start-up.

The checks do what start-up would do anyway (read the files, reach and upgrade the database, check the keys
against it), in the order an operator fixes them; building the gateway afterwards finds everything in place.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sarraf.channels.registry import REQUIRED, platform_named, platform_settings
from sarraf.config import BankConfig, ConfigError, Settings, load_banks
from sarraf.policy.agreement import AgreementError, load_agreement
from sarraf.policy.crypto.keys import CryptoError
from sarraf.policy.step_up import StepUpConfigError, StepUpPolicy
from sarraf.store.database import private_folder

DATABASE_TIMEOUT_S = 10.0


class StartupProblem(Exception):
    """The gateway cannot start; the message is the one line to print."""


def database_shown(url: str) -> str:
    """The database URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _reason(exc: BaseException) -> str:
    """The innermost cause's first line (a driver's error wrapped by SQLAlchemy, say)."""
    while exc.__cause__ is not None or (exc.__context__ is not None and not exc.__suppress_context__):
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def check_data_dir(settings: Settings) -> None:
    try:
        private_folder(settings.data_dir)
        probe = settings.data_dir / ".write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StartupProblem(f"cannot write the data folder {settings.data_dir} ({exc.strerror or exc}); "
                             "point SARRAF_HOME (or --data-dir) at a folder this user can write") from None


def check_banks(settings: Settings) -> dict[str, BankConfig]:
    try:
        return load_banks(settings.banks_file)
    except ConfigError as exc:
        raise StartupProblem(f"banks file: {exc}; fix the file or point SARRAF_BANKS_FILE at another") from None


def check_agreements(banks: dict[str, BankConfig]) -> None:
    for bank in banks.values():
        try:
            load_agreement(bank.agreement)
        except AgreementError as exc:
            first = exc.problems[0] if exc.problems else None
            where = f" line {first.line}: {first.message}" if first else ""
            raise StartupProblem(
                f"data-use agreement of bank {bank.id!r} ({bank.agreement}) is not valid:{where}"
                f"{f' (and {len(exc.problems) - 1} more)' if len(exc.problems) > 1 else ''}; "
                f"see every problem with `sarraf policy lint {bank.agreement}`") from None


def check_step_up(banks: dict[str, BankConfig]) -> None:
    for bank in banks.values():
        try:
            StepUpPolicy.from_config(bank.step_up)
        except StepUpConfigError as exc:
            raise StartupProblem(f"banks file: bank {bank.id!r}: {exc}; fix its step_up block") from None


def check_channels(banks: dict[str, BankConfig], env: dict[str, str]) -> None:
    """A platform given some of its secrets but not all (or a secret the platform refuses) is a mistake, not a
    choice: a platform with none of them is simply off."""
    default = next(iter(banks))
    for bank in banks.values():
        for platform, required in REQUIRED.items():
            found = platform_settings(platform, bank, default=bank.id == default, env=env)
            given = [key for key in required if key in found]
            if not given:
                continue
            where = (f"SARRAF_{platform.upper()}_" + "{}" if bank.id == default
                     else f"channels.{platform}.{{}} of bank {bank.id!r} in the banks file")
            missing = [key for key in required if key not in found]
            if missing:
                raise StartupProblem(
                    f"{platform} is half-configured for bank {bank.id!r}: "
                    f"{', '.join(where.format(k.upper() if bank.id == default else k) for k in missing)} "
                    f"missing; set {'it' if len(missing) == 1 else 'them'}, or unset "
                    f"{', '.join(where.format(k.upper() if bank.id == default else k) for k in given)} "
                    f"to turn {platform} off")
            # the platform's own checks (channels/<platform>: PlatformSettings.checks), e.g. Telegram's secret_token
            for problem in (p for check in platform_named(platform).settings.checks for p in check(found)):
                key = problem.split()[0]
                raise StartupProblem(
                    f"{platform} {problem} for bank {bank.id!r} is not accepted by {platform}; "
                    f"set {where.format(key.upper() if bank.id == default else key)}")


async def check_database_and_keys(settings: Settings) -> None:
    from sarraf.bootstrap import SHARED_SECRETS
    from sarraf.store.database import make_engine, migrate
    from sarraf.store.key_store import KeysDoNotMatchDatabase, SqlDataKeyStore, check_keys_match, key_provider

    shown = database_shown(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_S), engine.connect() as connection:
                await connection.exec_driver_sql("SELECT 1")
        except Exception as exc:
            raise StartupProblem(f"cannot reach the database {shown} ({_reason(exc)}); start it, or fix "
                                 "SARRAF_DATABASE_URL") from None
        try:
            await migrate(settings.database_url, key_provider(settings))
        except KeysDoNotMatchDatabase as exc:  # a migration that converts data met keys it cannot open
            raise StartupProblem(f"keys in {Path(settings.data_dir) / 'keys'}: {exc}") from None
        except Exception as exc:
            raise StartupProblem(f"cannot bring the database {shown} to this version's schema ({_reason(exc)}); "
                                 "check that this user may create tables there") from None
        try:
            await check_keys_match(key_provider(settings), SqlDataKeyStore(engine), SHARED_SECRETS)
        except (CryptoError, OSError, ValueError) as exc:
            raise StartupProblem(f"keys in {Path(settings.data_dir) / 'keys'}: {exc}") from None
    finally:
        await engine.dispose()


async def preflight(settings: Settings, env: dict[str, str]) -> None:
    check_data_dir(settings)
    banks = check_banks(settings)
    check_agreements(banks)
    check_step_up(banks)
    check_channels(banks, env)
    await check_database_and_keys(settings)


def banner(settings: Settings, host: str, port: int) -> str:
    """Where the gateway listens and where customers reach it: both ports when they differ (a proxy between)."""
    public = urlsplit(settings.public_url)
    public_port = public.port or (443 if public.scheme == "https" else 80)
    line = f"Sarraf on {settings.public_url}  (data in {settings.data_dir})"
    if public_port != port:
        line += (f"\nlistening on http://{host}:{port}; SARRAF_PUBLIC_URL names port {public_port}, so a proxy "
                 f"must forward {public_port} to {port}")
    return line
