"""What the Alexa skill says about things a voice cannot show: links, cards and choices (ar, pl, en).

Kept beside the adapter because only a voice channel needs them; the conversation's own replies come
from its catalogue.
"""

from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "see_card": "I've put the link in a card in your Alexa app.",
        "choices": "You can say: {options}.",
        "or": " or ",
        "reprompt": "What would you like to do?",
        "card_title": "Sarraf",
        "link_in_app": "To link your bank account, open the Alexa app and tap the card I've sent.",
        "relink": "Your bank account is no longer linked to this skill. "
                  "To link it again, open the Alexa app and tap the card I've sent.",
        "oauth_unavailable_title": "Account linking is not available",
        "oauth_unavailable_body": "This link cannot be used to connect Alexa to your bank. "
                                  "Please start again from the Alexa app.",
    },
    "pl": {
        "see_card": "Link jest na karcie w aplikacji Alexa.",
        "choices": "Możesz powiedzieć: {options}.",
        "or": " albo ",
        "reprompt": "Co chcesz zrobić?",
        "card_title": "Sarraf",
        "link_in_app": "Aby połączyć konto bankowe, otwórz aplikację Alexa i dotknij karty, którą wysłałam.",
        "relink": "Twoje konto bankowe nie jest już połączone z tą umiejętnością. "
                  "Aby połączyć je ponownie, otwórz aplikację Alexa i dotknij karty, którą wysłałam.",
        "oauth_unavailable_title": "Łączenie konta jest niedostępne",
        "oauth_unavailable_body": "Tego linku nie można użyć do połączenia Alexy z bankiem. "
                                  "Zacznij ponownie w aplikacji Alexa.",
    },
    "ar": {
        "see_card": "وضعت الرابط في بطاقة في تطبيق Alexa.",
        "choices": "يمكنك أن تقول: {options}.",
        "or": " أو ",
        "reprompt": "ماذا تريد أن تفعل؟",
        "card_title": "صرّاف",
        "link_in_app": "لربط حسابك المصرفي، افتح تطبيق Alexa واضغط على البطاقة التي أرسلتها.",
        "relink": "لم يعد حسابك المصرفي مرتبطًا بهذه المهارة. "
                  "لربطه من جديد، افتح تطبيق Alexa واضغط على البطاقة التي أرسلتها.",
        "oauth_unavailable_title": "ربط الحساب غير متاح",
        "oauth_unavailable_body": "لا يمكن استخدام هذا الرابط لربط Alexa بمصرفك. يُرجى البدء من جديد من تطبيق Alexa.",
    },
}


def phrase(lang: str, key: str, **values: str) -> str:
    return PHRASES.get(lang, PHRASES["en"])[key].format(**values)
