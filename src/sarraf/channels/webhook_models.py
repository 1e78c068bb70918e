"""What Messenger, WhatsApp, Telegram and Alexa send, as validated models, one event at a time (#17 finding 2).

A signed webhook is the platform's word, but platforms change their payloads and a batch can hold an event of a
kind or shape we do not know. Each event (a Messenger `messaging` item, a WhatsApp message or status, a
Telegram update) is validated on its own against the fields the adapter reads; one that does not fit is
skipped with its reason in the log and in sarraf_webhook_skipped_total{platform,reason}, and the rest of the
batch is answered. Unknown extra fields are ignored (platforms add them); a field we read with the wrong type
is a reason to skip. The adapters then read plain dicts whose types are known, so no shape reaches them that
could raise.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from sarraf.observability import WEBHOOK_SKIPPED

log = logging.getLogger(__name__)


def _id(value: Any) -> Any:
    """Platform ids arrive as strings or numbers (Telegram's chat ids are numbers): both are an id."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, BeforeValidator(_id), Field(max_length=256)]
MAX_EPOCH_MS = 253_402_300_799_000  # 9999-12-31: a time any datetime can hold
EpochMs = Annotated[int, Field(ge=0, le=MAX_EPOCH_MS)]
Text = Annotated[str, Field(max_length=65_536)]


class _Part(BaseModel):
    # defer_build: each model's validator is built on its first webhook, not at import (~0.1 s of every start,
    # most of it for channels a gateway may not even run)
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


class NotUnderstood(Exception):
    """An event (or a whole Telegram update) that does not fit its model; `reason` names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---- Messenger ------------------------------------------------------------------------------------------

class _Who(_Part):
    id: Id | None = None


class _QuickReply(_Part):
    payload: Text | None = None


class _MessengerMessage(_Part):
    mid: Id | None = None
    text: Text | None = None
    is_echo: bool | None = None
    quick_reply: _QuickReply | None = None


class _Postback(_Part):
    mid: Id | None = None
    title: Text | None = None
    payload: Text | None = None


class _AccountLinking(_Part):
    status: Annotated[str, Field(max_length=64)] | None = None
    authorization_code: Text | None = None


class _Watermark(_Part):
    watermark: EpochMs | Annotated[float, Field(ge=0, le=MAX_EPOCH_MS)] | None = None
    mids: list[Id] | None = None


class _ThreadControl(_Part):
    """Handover Protocol (messaging_handovers): who holds the conversation now, and who held it."""
    new_owner_app_id: Id | None = None
    previous_owner_app_id: Id | None = None
    requested_owner_app_id: Id | None = None
    metadata: Text | None = None


class MessengerEvent(_Part):
    sender: _Who | None = None
    timestamp: EpochMs | None = None
    message: _MessengerMessage | None = None
    postback: _Postback | None = None
    account_linking: _AccountLinking | None = None
    delivery: _Watermark | None = None
    read: _Watermark | None = None
    pass_thread_control: _ThreadControl | None = None
    take_thread_control: _ThreadControl | None = None


# ---- WhatsApp ---------------------------------------------------------------------------------------------

class _Body(_Part):
    body: Text | None = None


class _Choice(_Part):
    id: Id | None = None
    title: Text | None = None


class _Interactive(_Part):
    button_reply: _Choice | None = None
    list_reply: _Choice | None = None


class _TemplateButton(_Part):
    text: Text | None = None
    payload: Text | None = None


class WhatsAppMessage(_Part):
    from_: Id | None = Field(default=None, alias="from")
    id: Id | None = None
    type: Annotated[str, Field(max_length=64)] | None = None
    text: _Body | None = None
    interactive: _Interactive | None = None
    button: _TemplateButton | None = None


class WhatsAppStatus(_Part):
    recipient_id: Id | None = None
    status: Annotated[str, Field(max_length=64)] | None = None
    id: Id | None = None
    timestamp: Annotated[str, BeforeValidator(_id), Field(pattern=r"^[0-9]{1,11}$")] | None = None  # seconds


class _Metadata(_Part):
    phone_number_id: Id | None = None


class WhatsAppValue(_Part):
    metadata: _Metadata | None = None
    messages: list[Any] | None = None  # each validated on its own (WhatsAppMessage)
    statuses: list[Any] | None = None  # each validated on its own (WhatsAppStatus)


class WhatsAppChange(_Part):
    field: Annotated[str, Field(max_length=64)] | None = None
    value: WhatsAppValue | None = None


# ---- Telegram -------------------------------------------------------------------------------------------

class _Chat(_Part):
    id: Id | None = None


class _From(_Part):
    id: Id | None = None
    language_code: Annotated[str, Field(max_length=35)] | None = None


class _TelegramMessage(_Part):
    chat: _Chat | None = None
    from_: _From | None = Field(default=None, alias="from")
    text: Text | None = None


class _InMessage(_Part):
    chat: _Chat | None = None


class _CallbackQuery(_Part):
    id: Id | None = None
    data: Annotated[str, Field(max_length=256)] | None = None
    from_: _From | None = Field(default=None, alias="from")
    message: _InMessage | None = None


class TelegramUpdate(_Part):
    update_id: int
    message: _TelegramMessage | None = None
    callback_query: _CallbackQuery | None = None


# ---- Alexa -----------------------------------------------------------------------------------------------
# One request per body (request-and-response-json-reference): the envelope's ids, then the request by its
# `type`. A body that does not fit is refused with 400 and the field at fault (Alexa retries nothing); a
# request type we do not serve (skill events, Connections.Response, System.ExceptionEncountered...) is
# accepted and ends the session.

class _AlexaUser(_Part):
    userId: Id | None = None
    accessToken: Annotated[str, Field(max_length=4096)] | None = None


class _AlexaApplication(_Part):
    applicationId: Annotated[str, Field(max_length=256)] | None = None


class _AlexaSystem(_Part):
    user: _AlexaUser | None = None
    application: _AlexaApplication | None = None


class _AlexaContext(_Part):
    System: _AlexaSystem | None = None


class _AlexaSession(_Part):
    new: bool | None = None
    user: _AlexaUser | None = None
    application: _AlexaApplication | None = None


class _AlexaRequestBase(_Part):
    type: Annotated[str, Field(max_length=128)]
    requestId: Annotated[str, Field(max_length=256)] | None = None
    locale: Annotated[str, Field(max_length=35)] | None = None
    timestamp: Annotated[str, Field(max_length=64)] | None = None


class LaunchRequest(_AlexaRequestBase):
    pass


class _Slot(_Part):
    name: Annotated[str, Field(max_length=256)] | None = None
    value: Text | None = None


class _Intent(_Part):
    name: Annotated[str, Field(max_length=256)]
    slots: dict[str, _Slot] | None = None


class IntentRequest(_AlexaRequestBase):
    intent: _Intent
    dialogState: Annotated[str, Field(max_length=64)] | None = None


class SessionEndedRequest(_AlexaRequestBase):
    reason: Annotated[str, Field(max_length=128)] | None = None
    error: dict[str, Any] | None = None


class OtherAlexaRequest(_AlexaRequestBase):
    """A request type this skill does not serve: accepted, the session ended."""


AlexaRequest = LaunchRequest | IntentRequest | SessionEndedRequest | OtherAlexaRequest
ALEXA_REQUESTS: dict[str, type[AlexaRequest]] = {
    "LaunchRequest": LaunchRequest, "IntentRequest": IntentRequest, "SessionEndedRequest": SessionEndedRequest}


class AlexaEnvelope(_Part):
    version: Annotated[str, Field(max_length=16)] | None = None
    session: _AlexaSession | None = None
    context: _AlexaContext | None = None
    request: dict[str, Any]

    def user_id(self) -> str | None:
        for user in (self.context and self.context.System and self.context.System.user,
                     self.session and self.session.user):
            if user and user.userId:
                return user.userId
        return None

    def access_token(self) -> str | None:
        for user in (self.context and self.context.System and self.context.System.user,
                     self.session and self.session.user):
            if user and user.accessToken:
                return user.accessToken
        return None

    def application_id(self) -> str | None:
        for app in (self.context and self.context.System and self.context.System.application,
                    self.session and self.session.application):
            if app and app.applicationId:
                return app.applicationId
        return None


def alexa_envelope(raw: Any) -> tuple[AlexaEnvelope, AlexaRequest]:
    """The envelope and its request as the model of its type; NotUnderstood naming the field at fault."""
    envelope = check(AlexaEnvelope, raw)
    kind = envelope.request.get("type")
    model = ALEXA_REQUESTS.get(kind, OtherAlexaRequest) if isinstance(kind, str) else OtherAlexaRequest
    try:
        return envelope, check(model, envelope.request)
    except NotUnderstood as exc:
        raise NotUnderstood(f"request.{exc.reason}") from None


# ---- validating ---------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def _reason(exc: ValidationError) -> str:
    """The first offending field's path without list positions (a bounded set: the model's fields)."""
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"] if not isinstance(p, int)) or "event"
    return f"{path}:{first['type']}"


def skipped(platform: str, reason: str) -> None:
    WEBHOOK_SKIPPED.labels(platform, reason).inc()
    log.warning("%s webhook: an event skipped, not understood (%s)", platform, reason)


def check(model: type[M], raw: Any) -> M:
    """`raw` as `model`, or NotUnderstood naming why."""
    if not isinstance(raw, dict):
        raise NotUnderstood(f"event:{type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise NotUnderstood(_reason(exc)) from None


def events(platform: str, model: type[M], items: Any) -> list[dict[str, Any]]:
    """The items of a list that fit `model`, each as a plain dict (aliases kept, absent fields left out);
    the others skipped one by one. Something other than a list is one skipped item."""
    if items is None:
        return []
    if not isinstance(items, list):
        skipped(platform, f"list:{type(items).__name__}")
        return []
    found = []
    for item in items:
        try:
            found.append(check(model, item).model_dump(by_alias=True, exclude_none=True))
        except NotUnderstood as exc:
            skipped(platform, exc.reason)
    return found


def entries(platform: str, body: dict[str, Any], key: str) -> list[Any]:
    """The `key` list of every entry of a Meta webhook body; an entry of another shape is skipped."""
    found: list[Any] = []
    for entry in body["entry"]:
        if not isinstance(entry, dict):
            skipped(platform, f"entry:{type(entry).__name__}")
        elif entry.get(key) is not None and not isinstance(entry.get(key), list):
            skipped(platform, f"entry.{key}:{type(entry[key]).__name__}")
        else:
            found += entry.get(key) or []
    return found
