"""What the account-linking pages (and the chat, after a login) say about whose chat a login belongs to and
what the bank granted, in en, pl and ar. Kept beside the pages: only the linking flow needs them."""

from __future__ import annotations

from collections.abc import Iterable

from sarraf.channels.registry import PLATFORMS

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "not_your_chat_title": "This login link belongs to another chat",
        "not_your_chat_body": "It can only be used in the browser of the chat that asked for it, so nothing "
                              "was linked. If you asked for it, press the button in your own chat, or ask "
                              "there for a new link. If someone sent you this link, close this page.",
        "confirm_title": "Link {bank} to this chat?",
        "confirm_body": "You are linking {bank} to the {channel} chat of {who}. Whoever writes in that chat "
                        "will be able to ask for your balances and transactions. If this is not your chat, "
                        "or someone sent you this link, close this page.",
        "confirm_who": "the account ending in {tail}",
        "confirm_button": "This is my chat: continue to {bank}",
        "other_browser_title": "Nothing was linked",
        "other_browser_body": "This bank login was finished in a different browser from the one that started it, "
                              "so nothing was linked and the bank's consent was withdrawn. Start again from "
                              "your chat.",
        "consent_expired": "The bank's consent had already expired, so nothing was linked. Please log in again.",
        "consent_refused": "The bank reports that it did not authorise access, so nothing was linked.",
        "nothing_granted": "The bank granted access to account names only: balances and transactions would not "
                           "be available, so nothing was linked. To use this chat, log in again and allow "
                           "balances and transactions.",
        "bank_refused": "The bank refused to finish the login, so nothing was linked. Please log in again.",
        "partly_granted": "The bank granted only {granted}: {missing} are not available.",
        "bank_unreachable": "We could not reach the bank to finish the login. Nothing was linked; please try "
                            "again in a few minutes.",
        "bank_answer_refused": "The bank answered in a way we cannot safely follow, so nothing was linked. "
                               "Please tell the bank; trying again will not help until it is fixed.",
        "balances": "balances",
        "transactions": "transactions",
        "payees": "saved payees",
        "and": " and ",
    },
    "pl": {
        "not_your_chat_title": "Ten link logowania należy do innego czatu",
        "not_your_chat_body": "Można go użyć tylko w przeglądarce czatu, który o niego poprosił, więc niczego "
                              "nie połączono. Jeśli to Ty o niego prosiłeś, naciśnij przycisk w swoim czacie "
                              "albo poproś tam o nowy link. Jeśli ktoś przysłał Ci ten link, zamknij tę stronę.",
        "confirm_title": "Połączyć {bank} z tym czatem?",
        "confirm_body": "Łączysz {bank} z czatem {channel} należącym do: {who}. Każdy, kto pisze w tym czacie, "
                        "będzie mógł zapytać o Twoje salda i transakcje. Jeśli to nie Twój czat albo ktoś "
                        "przysłał Ci ten link, zamknij tę stronę.",
        "confirm_who": "konto o numerze kończącym się na {tail}",
        "confirm_button": "To mój czat: przejdź do {bank}",
        "other_browser_title": "Niczego nie połączono",
        "other_browser_body": "Logowanie w banku zakończono w innej przeglądarce niż ta, w której się zaczęło, "
                              "więc niczego nie połączono, a zgodę w banku wycofano. Zacznij od nowa w swoim czacie.",
        "consent_expired": "Zgoda w banku już wygasła, więc niczego nie połączono. Zaloguj się ponownie.",
        "consent_refused": "Bank informuje, że nie udzielił dostępu, więc niczego nie połączono.",
        "nothing_granted": "Bank udostępnił tylko nazwy rachunków: salda i transakcje nie byłyby dostępne, więc "
                           "niczego nie połączono. Aby korzystać z czatu, zaloguj się ponownie i zezwól na salda "
                           "i transakcje.",
        "bank_refused": "Bank odmówił dokończenia logowania, więc niczego nie połączono. Zaloguj się ponownie.",
        "partly_granted": "Bank udostępnił tylko {granted}: {missing} nie są dostępne.",
        "bank_unreachable": "Nie udało się połączyć z bankiem, aby dokończyć logowanie. Niczego nie połączono; "
                            "spróbuj ponownie za kilka minut.",
        "bank_answer_refused": "Bank odpowiedział w sposób, za którym nie możemy bezpiecznie podążyć, więc "
                               "niczego nie połączono. Zgłoś to bankowi; ponowna próba nie pomoże, dopóki tego "
                               "nie naprawi.",
        "balances": "salda",
        "transactions": "transakcje",
        "payees": "zapisani odbiorcy",
        "and": " i ",
    },
    "ar": {
        "not_your_chat_title": "رابط تسجيل الدخول هذا يخص محادثة أخرى",
        "not_your_chat_body": "لا يمكن استخدامه إلا في متصفح المحادثة التي طلبته، لذلك لم يُربط أي شيء. إن كنت "
                              "أنت من طلبه فاضغط الزر في محادثتك أو اطلب هناك رابطًا جديدًا. وإن أرسل إليك أحدٌ "
                              "هذا الرابط فأغلق هذه الصفحة.",
        "confirm_title": "هل تريد ربط {bank} بهذه المحادثة؟",
        "confirm_body": "أنت تربط {bank} بمحادثة {channel} الخاصة بـ{who}. سيتمكن كل من يكتب في تلك المحادثة "
                        "من السؤال عن أرصدتك ومعاملاتك. إن لم تكن هذه محادثتك أو أرسل إليك أحدٌ هذا الرابط "
                        "فأغلق هذه الصفحة.",
        "confirm_who": "الحساب المنتهي بـ {tail}",
        "confirm_button": "هذه محادثتي: تابع إلى {bank}",
        "other_browser_title": "لم يُربط أي شيء",
        "other_browser_body": "اكتمل تسجيل الدخول إلى البنك في متصفح غير الذي بدأ فيه، لذلك لم يُربط أي شيء "
                              "وسُحبت الموافقة لدى البنك. ابدأ من جديد من محادثتك.",
        "consent_expired": "كانت موافقة البنك قد انتهت صلاحيتها، لذلك لم يُربط أي شيء. يُرجى تسجيل الدخول مجددًا.",
        "consent_refused": "يفيد البنك بأنه لم يأذن بالوصول، لذلك لم يُربط أي شيء.",
        "nothing_granted": "منح البنك الوصول إلى أسماء الحسابات فقط: لن تتوفر الأرصدة والمعاملات، لذلك لم يُربط "
                           "أي شيء. لاستخدام هذه المحادثة سجّل الدخول مجددًا واسمح بالأرصدة والمعاملات.",
        "bank_refused": "رفض البنك إتمام تسجيل الدخول، لذلك لم يُربط أي شيء. يُرجى تسجيل الدخول مجددًا.",
        "partly_granted": "منح البنك {granted} فقط: {missing} غير متاحة.",
        "bank_unreachable": "تعذّر الوصول إلى البنك لإتمام تسجيل الدخول. لم يُربط أي شيء؛ حاول مجددًا بعد "
                            "بضع دقائق.",
        "bank_answer_refused": "أجاب البنك بطريقة لا يمكننا اتباعها بأمان، لذلك لم يُربط أي شيء. يُرجى إبلاغ "
                               "البنك؛ لن تفيد إعادة المحاولة حتى يُصلح ذلك.",
        "balances": "الأرصدة",
        "transactions": "المعاملات",
        "payees": "المستفيدون المحفوظون",
        "and": " و",
    },
}

CHANNEL_NAMES = {**{platform.name: platform.capabilities.title for platform in PLATFORMS},
                 "webchat": "web", "terminal": "terminal"}


def text(lang: str, key: str, **values: str) -> str:
    table = TEXTS.get(lang, TEXTS["en"])
    return table.get(key, TEXTS["en"][key]).format(**values)


def listed(lang: str, names: Iterable[str]) -> str:
    return text(lang, "and").join(text(lang, name) for name in sorted(names))


def masked_identity(sender: str) -> str:
    """The last four characters of the chat's platform id, the rest hidden. We keep no display names
    (minimisation), so this is what we can show: on WhatsApp it is the end of the person's own phone number,
    elsewhere an id the page shows beside the platform's name so that a stranger's chat stands out."""
    own = sender.rsplit(":", 1)[-1]
    tail = own[-4:] if len(own) > 6 else own[-2:]
    return f"…{tail}"
