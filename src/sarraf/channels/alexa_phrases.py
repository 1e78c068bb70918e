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
    },
    "pl": {
        "see_card": "Link jest na karcie w aplikacji Alexa.",
        "choices": "Możesz powiedzieć: {options}.",
        "or": " albo ",
        "reprompt": "Co chcesz zrobić?",
        "card_title": "Sarraf",
    },
    "ar": {
        "see_card": "وضعت الرابط في بطاقة في تطبيق Alexa.",
        "choices": "يمكنك أن تقول: {options}.",
        "or": " أو ",
        "reprompt": "ماذا تريد أن تفعل؟",
        "card_title": "صرّاف",
    },
}


def phrase(lang: str, key: str, **values: str) -> str:
    return PHRASES.get(lang, PHRASES["en"])[key].format(**values)
