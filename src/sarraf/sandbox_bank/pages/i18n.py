"""Strings of the sandbox login-and-consent page, in every language the gateway speaks.

No string here depends on a count, so no plural forms are needed.
"""

from __future__ import annotations

LANGUAGES = ("en", "pl", "ar")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Sarraf Sandbox Bank — sign in",
        "bank": "Sarraf Sandbox Bank",
        "sandbox_note": "This is a sandbox bank with made-up customers and money. "
                        "The password for every sandbox customer is “sandbox”.",
        "customers": "Sandbox customers",
        "asks": "{client} asks to see the following information from your accounts:",
        "until": "Access lasts until {date}.",
        "open_ended": "Access has no end date; you can withdraw it at any time.",
        "username": "Customer ID",
        "password": "Password",
        "approve": "Approve",
        "deny": "Deny",
        "bad_login": "That customer ID and password do not match. Try again.",
        "error_title": "This sign-in link cannot be used",
    },
    "pl": {
        "title": "Sarraf Sandbox Bank — logowanie",
        "bank": "Sarraf Sandbox Bank",
        "sandbox_note": "To bank testowy z fikcyjnymi klientami i pieniędzmi. "
                        "Hasło każdego klienta testowego to „sandbox”.",
        "customers": "Klienci testowi",
        "asks": "{client} prosi o dostęp do następujących informacji z Twoich rachunków:",
        "until": "Dostęp wygasa {date}.",
        "open_ended": "Dostęp nie ma daty końcowej; możesz go wycofać w każdej chwili.",
        "username": "Identyfikator klienta",
        "password": "Hasło",
        "approve": "Zgadzam się",
        "deny": "Odmawiam",
        "bad_login": "Identyfikator klienta i hasło nie pasują do siebie. Spróbuj ponownie.",
        "error_title": "Tego linku logowania nie można użyć",
    },
    "ar": {
        "title": "بنك صرّاف التجريبي — تسجيل الدخول",
        "bank": "بنك صرّاف التجريبي",
        "sandbox_note": "هذا بنك تجريبي بعملاء وأموال وهمية. كلمة المرور لكل عميل تجريبي هي «sandbox».",
        "customers": "العملاء التجريبيون",
        "asks": "يطلب {client} الاطلاع على المعلومات التالية من حساباتك:",
        "until": "تنتهي صلاحية الوصول في {date}.",
        "open_ended": "لا يوجد تاريخ انتهاء للوصول، ويمكنك سحبه في أي وقت.",
        "username": "معرّف العميل",
        "password": "كلمة المرور",
        "approve": "موافقة",
        "deny": "رفض",
        "bad_login": "معرّف العميل وكلمة المرور غير متطابقين. حاول مرة أخرى.",
        "error_title": "لا يمكن استخدام رابط تسجيل الدخول هذا",
    },
}


def pick_language(ui_locales: str | None, accept_language: str | None) -> str:
    """OIDC ui_locales first, then the browser's Accept-Language, else English."""
    for candidate in (ui_locales or "").split() + (accept_language or "").split(","):
        lang = candidate.split(";")[0].strip().split("-")[0].lower()
        if lang in LANGUAGES:
            return lang
    return "en"

