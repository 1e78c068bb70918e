"""Twelve-factor settings: environment variables for the process, one YAML file for the banks it serves.

A second bank is a few lines in the banks file, never code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sarraf.domain.names import LocalizedName

EMBEDDED = "embedded"  # base_url of a bank served by the built-in sandbox bank, mounted at SANDBOX_MOUNT
SANDBOX_MOUNT = "/bank"  # where the gateway (web app, terminal) mounts the embedded sandbox bank
DEFAULT_BANKS_FILE = Path(__file__).with_name("banks.yaml")
DEFAULT_KNOWLEDGE_BASE = Path(__file__).with_name("kb") / "sandbox"  # the sandbox bank's complete answer set


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """A bank's customer-service knowledge base (sarraf.kb): the complete answer set, an optional folder of the
    bank's own answers replacing single files, and the figures ({card_delivery_days}, {support_phone}, …) the
    answers quote — a value is one string/number or a mapping of language to text."""

    answers: Path = DEFAULT_KNOWLEDGE_BASE
    overrides: Path | None = None
    values: dict[str, str | dict[str, str]] = field(default_factory=dict)
    configured: bool = False  # the bank has a `service:` block: its knowledge base must load, or start-up fails


@dataclass(frozen=True, slots=True)
class DerivedAlerts:
    """banks.yaml `alerts:` for a bank whose only events are OB's standard ones, or none (polled)."""

    home_country: str = "GB"
    large_from: Decimal | None = None
    low_balance_below: Decimal | None = None
    fraud_feed: bool = False  # the bank sends its own fraud events: they win over the rules below
    fraud_new_merchant_abroad_above: Decimal | None = None
    fraud_declined_attempts: int | None = None
    fraud_declined_window_minutes: int = 60
    fraud_night_card_not_present: tuple[str, str] | None = None  # ("00:00", "05:00"), in fraud_timezone
    fraud_timezone: str = "UTC"
    poll_transactions_seconds: float = 0.0  # > 0: the bank cannot push, read every linked account this often
    max_calls_per_minute: int = 60  # the bank's AIS rate limit for our client


@dataclass(frozen=True, slots=True)
class BankConfig:
    id: str
    name: LocalizedName  # reads as the default-language form; `.in_lang(lang)` for a customer's language
    base_url: str  # root of the bank's OAuth server and OB API, or "embedded"
    client_id: str
    client_secret: str
    agreement: Path  # Cedar policy set: the bank's data-use agreement
    financial_id: str = "0015800001041RHAAY"
    default_language: str = "en"
    time_zones: dict[str, str] = field(default_factory=dict)  # reply language → IANA zone, for quiet hours
    channels: dict[str, dict[str, str]] = field(default_factory=dict)
    # Bank events (alerts): where the bank publishes the key it signs SETs with, the `aud` it puts in them
    # (default: our client_id), the `iss` to insist on (None: any), and how we receive them.
    events_jwks_url: str | None = None  # default: <base_url>/sarraf/v1/jwks.json (the sandbox's)
    events_audience: str | None = None
    events_issuer: str | None = None
    events_push: bool = True  # subscribe our intake URL at the bank
    events_poll_seconds: float = 0.0  # > 0: also poll the bank's aggregated /events this often
    # How long one request to this bank may take before the customer is told it is not answering (#17).
    timeout_seconds: float = 10.0
    # Bearer tokens of this bank's back office, good for this bank only (web/tenant_tokens.py); also
    # SARRAF_OPERATOR_TOKEN_<BANK> / SARRAF_ALERTS_API_TOKEN_<BANK>.
    operator_token: str | None = None
    alerts_api_token: str | None = None
    service: ServiceSettings = field(default_factory=ServiceSettings)
    # Payments in chat: the most one payment may be, per currency (`payments: {max_single: {GBP: "1000"}}`);
    # a currency not listed cannot be paid in chat at all. `max_daily`: all of a customer's payments in a UTC day
    # together; `max_new_payee`: one payment to a payee the bank has not saved. Both optional, per currency.
    payment_max_single: dict[str, Decimal] = field(default_factory=dict)
    payment_max_daily: dict[str, Decimal] = field(default_factory=dict)
    payment_max_new_payee: dict[str, Decimal] = field(default_factory=dict)
    # The bank's own offers (alerts/offers.py): caps, and the platforms where it has a marketing template.
    offers_per_customer_per_week: int = 2
    offers_per_bank_per_day: int = 10_000
    offers_marketing_templates: tuple[str, ...] = ()
    # Step-up at the bank's login before sensitive actions, as written in banks.yaml `step_up:` (checked by
    # policy/step_up.py's StepUpPolicy.from_config when the gateway starts); empty: no step-up.
    step_up: dict[str, Any] = field(default_factory=dict)
    # Alerts derived from standard OB events (alerts/standard.py), `alerts:` in banks.yaml; None: the bank sends
    # its own alert events and a resource-update is only worded as one.
    derived_alerts: DerivedAlerts | None = None

    @property
    def embedded(self) -> bool:
        return self.base_url == EMBEDDED

    def reached_at(self, public_url: str) -> str:
        """The bank's root URL: its own, or the embedded sandbox's under this gateway's public URL."""
        return public_url + SANDBOX_MOUNT if self.embedded else self.base_url


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    banks_file: Path
    public_url: str  # how customers' browsers reach this gateway
    host: str = "127.0.0.1"
    port: int = 8000
    # The ALL-BANKS operator token (an administrator of every bank served here); each bank's own back office
    # gets a token scoped to that bank instead (BankConfig.operator_token). Unset: only bank tokens work.
    operator_token: str | None = None
    nats_url: str | None = None  # NATS JetStream shared by replicas for platform send quotas; unset: per process
    # True: alerts are routed and delivered by `sarraf alerts worker` processes; the gateway only takes events in
    alert_workers: bool = False
    # Payments the bank left pending: asked after in `first` seconds, doubling up to `max` (alerts/payment_follow.py)
    payment_check_first_s: float = 5.0
    payment_check_max_s: float = 3600.0


def load_settings(data_dir: Path | str | None = None) -> Settings:
    home = Path(data_dir or os.environ.get("SARRAF_HOME") or Path.home() / ".sarraf").expanduser()
    host = os.environ.get("SARRAF_HOST", "127.0.0.1")
    port = int(os.environ.get("SARRAF_PORT", "8000"))
    return Settings(
        data_dir=home,
        database_url=os.environ.get("SARRAF_DATABASE_URL") or f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
        banks_file=Path(os.environ.get("SARRAF_BANKS_FILE") or DEFAULT_BANKS_FILE),
        public_url=os.environ.get("SARRAF_PUBLIC_URL", f"http://{host}:{port}").rstrip("/"),
        host=host,
        port=port,
        operator_token=os.environ.get("SARRAF_OPERATOR_TOKEN") or None,
        nats_url=os.environ.get("SARRAF_NATS_URL") or None,
        alert_workers=os.environ.get("SARRAF_ALERT_WORKERS", "").strip().lower() in {"1", "true", "yes"},
        payment_check_first_s=float(os.environ.get("SARRAF_PAYMENT_CHECK_FIRST_S") or 5.0),
        payment_check_max_s=float(os.environ.get("SARRAF_PAYMENT_CHECK_MAX_S") or 3600.0),
    )


def _secret(value: object) -> str | None:
    """A token from the banks file, ${VAR} expanded; unset, empty or unresolved counts as none."""
    found = os.path.expandvars(str(value)).strip() if value else ""
    return found if found and "$" not in found else None


class ConfigError(ValueError):
    """The banks file is unusable; the message says where and why."""


NAME_LANGUAGES = ("en", "pl", "ar")  # the languages the gateway speaks


def bank_name(raw: object, default_language: str) -> LocalizedName:
    """`name:` is one string (the same in every language) or a mapping `{en: …, pl: …, ar: …}`. A mapping may leave
    languages out (they read the default language's name, else English's, else the first given) but may not
    name a language the gateway does not speak, nor give an empty name."""
    if isinstance(raw, str | int):
        if not str(raw).strip():
            raise ConfigError("name is empty")
        return LocalizedName(str(raw).strip())
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("name must be a string or a mapping of language to name, e.g. {en: ACME Bank, ar: بنك أكمي}")
    unknown = sorted(str(k) for k in raw if k not in NAME_LANGUAGES)
    if unknown:
        raise ConfigError(f"name has unknown languages {unknown}; use {', '.join(NAME_LANGUAGES)}")
    forms = {str(k): str(v).strip() for k, v in raw.items() if v is not None}
    empty = sorted(k for k in raw if not forms.get(str(k)))
    if empty:
        raise ConfigError(f"name is empty for {', '.join(map(str, empty))}")
    default = forms.get(default_language) or forms.get("en") or next(iter(forms.values()))
    return LocalizedName(default, forms)


def service_settings(raw: object, folder: Path) -> ServiceSettings:
    """The `service:` block; relative folders resolve against the banks file's folder."""
    if raw is None:
        return ServiceSettings()
    if not isinstance(raw, dict):
        raise ConfigError("service must be a mapping with answers, overrides and values")

    def folder_of(value: object) -> Path:
        found = Path(os.path.expandvars(str(value)))
        return found if found.is_absolute() else folder / found

    values: dict[str, str | dict[str, str]] = {}
    for name, value in (raw.get("values") or {}).items():
        if isinstance(value, dict):
            values[str(name)] = {str(k): str(v) for k, v in value.items()}
        elif isinstance(value, str | int | float):
            values[str(name)] = str(value)
        else:
            raise ConfigError(f"service.values.{name} must be text, a number or a mapping of language to text")
    answers = folder_of(raw["answers"]) if raw.get("answers") else DEFAULT_KNOWLEDGE_BASE
    overrides = folder_of(raw["overrides"]) if raw.get("overrides") else None
    return ServiceSettings(answers, overrides, values, configured=True)


def _amounts(entry: dict[str, Any], key: str) -> dict[str, Decimal]:
    """A `payments` limit of a bank entry: currency -> amount."""
    return {str(k).upper(): Decimal(str(v)) for k, v in ((entry.get("payments") or {}).get(key) or {}).items()}


def _offers(raw: dict[str, Any]) -> dict[str, Any]:
    """banks.yaml `offers: {per_customer_per_week, per_bank_per_day, marketing_templates: [whatsapp]}`."""
    per_customer, per_bank = int(raw.get("per_customer_per_week", 2)), int(raw.get("per_bank_per_day", 10_000))
    if per_customer < 0 or per_bank < 0:
        raise ConfigError("offers caps must not be negative")
    return {"offers_per_customer_per_week": per_customer, "offers_per_bank_per_day": per_bank,
            "offers_marketing_templates": tuple(str(p) for p in raw.get("marketing_templates") or ())}


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"{value!r} is not an amount") from exc


def derived_alerts(raw: Any) -> DerivedAlerts | None:
    """banks.yaml `alerts: {derive: true, large_from, low_balance_below, fraud: {...}, poll_transactions_seconds}`."""
    if not isinstance(raw, dict) or not raw.get("derive"):
        return None
    fraud = raw.get("fraud") or {}
    night = fraud.get("night_card_not_present")
    if night is not None and (not isinstance(night, list | tuple) or len(night) != 2):
        raise ConfigError("alerts.fraud.night_card_not_present must be [start, end], e.g. [\"00:00\", \"05:00\"]")
    found = DerivedAlerts(
        home_country=str(raw.get("home_country", "GB")).upper(), large_from=_decimal(raw.get("large_from")),
        low_balance_below=_decimal(raw.get("low_balance_below")), fraud_feed=bool(raw.get("fraud_feed", False)),
        fraud_new_merchant_abroad_above=_decimal(fraud.get("new_merchant_abroad_above")),
        fraud_declined_attempts=int(fraud["declined_attempts"]) if fraud.get("declined_attempts") else None,
        fraud_declined_window_minutes=int(fraud.get("declined_window_minutes", 60)),
        fraud_night_card_not_present=(str(night[0]), str(night[1])) if night else None,
        fraud_timezone=str(fraud.get("timezone", "UTC")),
        poll_transactions_seconds=float(raw.get("poll_transactions_seconds", 0.0)),
        max_calls_per_minute=int(raw.get("max_calls_per_minute", 60)))
    if found.max_calls_per_minute <= 0 or found.poll_transactions_seconds < 0:
        raise ConfigError("alerts.max_calls_per_minute must be positive and poll_transactions_seconds not negative")
    try:
        ZoneInfo(found.fraud_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"alerts.fraud.timezone {found.fraud_timezone!r} is not a time zone") from exc
    return found


def load_banks(path: Path) -> dict[str, BankConfig]:
    """Read the banks file; relative agreement paths resolve against the file's folder."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    banks: dict[str, BankConfig] = {}
    for i, entry in enumerate(raw.get("banks") or []):
        try:
            default_language = str(entry.get("default_language", "en"))
            agreement = Path(os.path.expandvars(entry.get("agreement", "agreements/default.cedar")))
            if not agreement.is_absolute():
                agreement = path.parent / agreement
            bank = BankConfig(
                id=str(entry["id"]),
                name=bank_name(entry.get("name", entry["id"]), default_language),
                base_url=str(entry.get("base_url", EMBEDDED)).rstrip("/"),
                client_id=str(entry["client_id"]),
                client_secret=os.path.expandvars(str(entry["client_secret"])),
                agreement=agreement,
                financial_id=str(entry.get("financial_id", "0015800001041RHAAY")),
                default_language=default_language,
                time_zones={str(k): str(v) for k, v in (entry.get("time_zones") or {}).items()},
                channels={k: {kk: str(vv) for kk, vv in (v or {}).items()}
                          for k, v in (entry.get("channels") or {}).items()},
                events_jwks_url=entry.get("events_jwks_url"),
                events_audience=entry.get("events_audience"),
                events_issuer=entry.get("events_issuer"),
                events_push=bool(entry.get("events_push", True)),
                events_poll_seconds=float(entry.get("events_poll_seconds", 0.0)),
                timeout_seconds=float(entry.get("timeout_seconds", 10.0)),
                operator_token=_secret(entry.get("operator_token")),
                alerts_api_token=_secret(entry.get("alerts_api_token")),
                service=service_settings(entry.get("service"), path.parent),
                payment_max_single=_amounts(entry, "max_single"),
                payment_max_daily=_amounts(entry, "max_daily"),
                payment_max_new_payee=_amounts(entry, "max_new_payee"),
                **_offers(entry.get("offers") or {}),
                step_up=dict(entry.get("step_up") or {}),
                derived_alerts=derived_alerts(entry.get("alerts")),
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: bank #{i + 1} is missing {exc}") from exc
        except ConfigError as exc:
            raise ConfigError(f"{path}: bank #{i + 1}: {exc}") from exc
        for lang, zone in bank.time_zones.items():
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ConfigError(f"{path}: bank {bank.id!r}: time_zones.{lang} {zone!r} is not a time zone") from exc
        if bank.id in banks:
            raise ConfigError(f"{path}: bank id {bank.id!r} appears twice")
        banks[bank.id] = bank
    if not banks:
        raise ConfigError(f"{path}: no banks configured")
    return banks
