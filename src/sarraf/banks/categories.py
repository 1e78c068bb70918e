"""Our spending categories, derived from a card transaction's ISO 18245 merchant category code (MCC).

The table is deliberately small: the MCCs that cover everyday spending. Ranges cover the
per-brand airline (3000-3350), car-rental (3351-3500) and hotel (3501-3999) codes. Transactions
without an MCC (salary, standing orders, direct debits to unknown payees) fall back to the bank's
proprietary transaction code, then to the direction of the money.

| category      | MCCs |
|---------------|------|
| groceries     | 5411 supermarkets, 5422 5441 5451 5462 5499 food stores (butchers, bakeries, convenience) |
| eating_out    | 5811 caterers, 5812 restaurants, 5813 bars and pubs, 5814 fast food and coffee shops |
| transport     | 4111 4112 4121 4131 4784 4789 7523 transit, rail, taxis, tolls, parking; 5541 5542 5983 fuel |
| shopping      | 5200 5300-5399 5611-5699 5712-5735 5941-5949 5977 general and specialist retail |
| utilities     | 4900 electricity, gas, water; 4814 4816 telecoms and internet |
| subscriptions | 4899 pay TV and streaming, 5815-5818 digital goods, 7997 membership clubs and gyms |
| entertainment | 7832 cinemas, 7922 7929 7941 7991 7996 7998 7999 events, attractions, recreation |
| health        | 5122 5912 pharmacies, 8011-8099 doctors, dentists, hospitals |
| travel        | 3000-3999 airlines, car rental, hotels; 4411 4511 4722 7011 7512 |
| cash          | 6010 6011 cash disbursements and ATMs |
| transfers     | 4829 money transfers, 6540 stored-value loads |

Groceries and eating out are separate categories (a customer asking about one never wants the other's
total); the conversation treats "food" as the two together (nlu.entities.categories.GROUPS).
"""

from __future__ import annotations

GROCERIES = "groceries"
EATING_OUT = "eating_out"
TRANSPORT = "transport"
SHOPPING = "shopping"
UTILITIES = "utilities"
SUBSCRIPTIONS = "subscriptions"
ENTERTAINMENT = "entertainment"
HEALTH = "health"
TRAVEL = "travel"
CASH = "cash"
TRANSFERS = "transfers"
SALARY = "salary"
INCOME = "income"
OTHER = "other"

CATEGORIES = (GROCERIES, EATING_OUT, TRANSPORT, SHOPPING, UTILITIES, SUBSCRIPTIONS, ENTERTAINMENT, HEALTH, TRAVEL,
              CASH, TRANSFERS, SALARY, INCOME, OTHER)

_MCC: dict[int, str] = {}
for _category, _codes in (
    (GROCERIES, (5411, 5422, 5441, 5451, 5462, 5499)),
    (EATING_OUT, (5811, 5812, 5813, 5814)),
    (TRANSPORT, (4111, 4112, 4121, 4131, 4784, 4789, 7523, 5541, 5542, 5983)),
    (SHOPPING, (5200, *range(5300, 5400), *range(5611, 5700), *range(5712, 5736), *range(5941, 5950), 5977)),
    (UTILITIES, (4900, 4814, 4816)),
    (SUBSCRIPTIONS, (4899, 5815, 5816, 5817, 5818, 7997)),
    (ENTERTAINMENT, (7832, 7922, 7929, 7941, 7991, 7996, 7998, 7999)),
    (HEALTH, (5122, 5912, *range(8011, 8100))),
    (TRAVEL, (*range(3000, 4000), 4411, 4511, 4722, 7011, 7512)),
    (CASH, (6010, 6011)),
    (TRANSFERS, (4829, 6540)),
):
    for _code in _codes:
        _MCC[_code] = _category

# Proprietary transaction codes (as the sandbox and several UK banks name them) for entries without an MCC.
_BY_CODE = {
    "salary": SALARY, "interest": INCOME, "transfer": TRANSFERS, "standingorder": TRANSFERS,
    "cashwithdrawal": CASH,
}


def category_for_mcc(mcc: str | None) -> str | None:
    """The category of an ISO 18245 MCC, or None when the code is absent, malformed or not in the table."""
    if not mcc or not mcc.isdigit():
        return None
    return _MCC.get(int(mcc))


def categorise(mcc: str | None, bank_code: str | None, credit: bool) -> str:
    """MCC first; else the bank's transaction code; else income for money in and other for money out."""
    by_mcc = category_for_mcc(mcc)
    if by_mcc is not None:
        return by_mcc
    by_code = _BY_CODE.get((bank_code or "").replace(" ", "").lower())
    if by_code is not None:
        return by_code
    return INCOME if credit else OTHER

