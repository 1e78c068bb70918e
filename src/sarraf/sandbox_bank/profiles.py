"""Who banks at the sandbox: customers, their accounts, and the local merchants they pay.

Merchant category codes are ISO 18245 MCCs as card schemes report them; amounts are
(low, high) ranges in the account's currency, drawn uniformly and rounded to cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Merchant:
    name: str
    mcc: str
    low: Decimal
    high: Decimal
    city: str = ""


def _m(name: str, mcc: str, low: str, high: str, city: str = "") -> Merchant:
    return Merchant(name, mcc, Decimal(low), Decimal(high), city)


@dataclass(frozen=True, slots=True)
class AccountSpec:
    suffix: str  # AccountId is f"{customer_key}-{suffix}": stable across restarts and days
    kind: str  # "current" | "savings" | "card"
    type_code: str  # OB AccountTypeCode: CACC, SVGS, CARD
    nickname: str
    scheme: str  # OB SchemeName of the identification
    identification: str
    opening_balance: Decimal  # balance just before the first seeded day
    opened: str  # ISO date
    credit_limit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    customer_id: str
    name: str
    currency: str
    employer: str
    salary: Decimal
    payday: int
    landlord: str
    rent: Decimal
    savings_transfer: Decimal
    accounts: tuple[AccountSpec, ...]
    bills: tuple[tuple[int, Merchant], ...]  # (day of month, payee) direct debits
    spending: dict[str, tuple[Merchant, ...]] = field(default_factory=dict)
    card_last4: str = "0000"


# How likely a customer spends in a category on a given day (weekday, weekend).
DAILY_ODDS: dict[str, tuple[float, float]] = {
    "groceries": (0.30, 0.55),
    "restaurants": (0.20, 0.45),
    "transport": (0.55, 0.20),
    "fuel": (0.07, 0.10),
    "shopping": (0.10, 0.25),
    "entertainment": (0.03, 0.15),
    "health": (0.04, 0.03),
    "travel": (0.008, 0.015),
    "cash": (0.03, 0.05),
}

UK_SPENDING = {
    "groceries": (_m("Tesco", "5411", "6", "85", "London"), _m("Sainsbury's", "5411", "8", "95", "London"),
                  _m("Lidl GB", "5411", "5", "60", "London"), _m("Co-op Food", "5499", "3", "18", "London")),
    "restaurants": (_m("Pret A Manger", "5814", "3.5", "12", "London"), _m("Nando's", "5812", "14", "45", "London"),
                    _m("Wagamama", "5812", "16", "55", "London"), _m("Greggs", "5814", "2", "8", "London")),
    "transport": (_m("TfL Travel Charge", "4111", "2.8", "8.9", "London"), _m("Uber", "4121", "9", "28", "London"),
                  _m("Trainline", "4112", "12", "80", "London")),
    "fuel": (_m("Shell", "5541", "35", "80", "London"), _m("BP", "5541", "30", "75", "London")),
    "shopping": (_m("Amazon.co.uk", "5399", "6", "120", ""), _m("Argos", "5311", "10", "150", "London"),
                 _m("John Lewis", "5311", "20", "220", "London"), _m("Waterstones", "5942", "8", "30", "London")),
    "entertainment": (_m("Odeon Cinemas", "7832", "9", "28", "London"),
                      _m("Ticketmaster UK", "7922", "25", "90", "")),
    "health": (_m("Boots", "5912", "4", "35", "London"), _m("Superdrug", "5912", "3", "25", "London")),
    "travel": (_m("Ryanair", "4511", "40", "180", ""), _m("Premier Inn", "7011", "70", "190", "")),
    "cash": (_m("Cash machine Barclays", "6011", "20", "100", "London"),),
}

PL_SPENDING = {
    "groceries": (_m("Biedronka", "5411", "15", "260", "Warszawa"), _m("Lidl Polska", "5411", "20", "240", "Warszawa"),
                  _m("Żabka", "5499", "6", "45", "Warszawa"), _m("Carrefour Express", "5411", "12", "120", "Warszawa")),
    "restaurants": (_m("Bar Mleczny Prasowy", "5812", "18", "45", "Warszawa"),
                    _m("Pyszne.pl", "5814", "35", "110", "Warszawa"),
                    _m("Costa Coffee", "5814", "12", "30", "Warszawa")),
    "transport": (_m("ZTM Warszawa", "4111", "4.4", "13.6", "Warszawa"), _m("Bolt", "4121", "14", "55", "Warszawa"),
                  _m("PKP Intercity", "4112", "49", "189", "")),
    "fuel": (_m("Orlen", "5541", "150", "340", "Warszawa"), _m("Circle K", "5541", "140", "320", "Warszawa")),
    "shopping": (_m("Allegro", "5399", "25", "480", ""), _m("Empik", "5942", "20", "140", "Warszawa"),
                 _m("Media Expert", "5732", "60", "900", "Warszawa"), _m("Reserved", "5651", "60", "320", "Warszawa")),
    "entertainment": (_m("Cinema City", "7832", "28", "70", "Warszawa"),
                      _m("eBilet", "7922", "80", "300", "")),
    "health": (_m("Rossmann", "5912", "15", "120", "Warszawa"), _m("Apteka Gemini", "5912", "12", "95", "Warszawa")),
    "travel": (_m("LOT Polish Airlines", "4511", "290", "1200", ""), _m("Booking.com", "7011", "250", "900", "")),
    "cash": (_m("Bankomat Euronet", "6011", "100", "400", "Warszawa"),),
}

SA_SPENDING = {
    "groceries": (_m("Panda", "5411", "40", "520", "Riyadh"), _m("Danube", "5411", "50", "600", "Riyadh"),
                  _m("Tamimi Markets", "5411", "35", "450", "Riyadh")),
    "restaurants": (_m("AlBaik", "5814", "18", "75", "Riyadh"), _m("Kudu", "5814", "22", "70", "Riyadh"),
                    _m("Barn's Coffee", "5814", "12", "35", "Riyadh"), _m("HungerStation", "5814", "35", "140", "")),
    "transport": (_m("Careem", "4121", "18", "85", "Riyadh"), _m("Uber", "4121", "20", "90", "Riyadh"),
                  _m("Riyadh Metro", "4111", "4", "10", "Riyadh")),
    "fuel": (_m("Aldrees", "5541", "60", "160", "Riyadh"), _m("Petromin", "5541", "55", "150", "Riyadh")),
    "shopping": (_m("Jarir Bookstore", "5942", "30", "900", "Riyadh"), _m("noon", "5399", "40", "700", ""),
                 _m("eXtra", "5732", "150", "2500", "Riyadh"), _m("Centrepoint", "5651", "60", "450", "Riyadh")),
    "entertainment": (_m("VOX Cinemas", "7832", "55", "180", "Riyadh"),
                      _m("Boulevard Riyadh City", "7996", "80", "350", "Riyadh")),
    "health": (_m("Nahdi Pharmacy", "5912", "20", "220", "Riyadh"),
               _m("Al-Dawaa Pharmacy", "5912", "18", "180", "Riyadh")),
    "travel": (_m("Saudia", "4511", "450", "2200", ""), _m("flynas", "4511", "250", "900", "")),
    "cash": (_m("ATM Al Rajhi", "6011", "200", "1000", "Riyadh"),),
}

UK_BILLS = ((3, _m("British Gas", "4900", "68", "112")), (9, _m("Thames Water", "4900", "31", "38")),
            (12, _m("EE", "4814", "25", "25")), (15, _m("Netflix", "4899", "10.99", "10.99")),
            (18, _m("Spotify", "5815", "11.99", "11.99")), (22, _m("PureGym", "7997", "24.99", "24.99")))
PL_BILLS = ((4, _m("PGE Obrót", "4900", "140", "290")), (10, _m("Orange Polska", "4814", "65", "65")),
            (14, _m("Netflix", "4899", "43", "43")), (17, _m("Spotify", "5815", "23.99", "23.99")),
            (20, _m("Veolia Energia Warszawa", "4900", "95", "180")))
SA_BILLS = ((6, _m("Saudi Electricity Company", "4900", "180", "650")), (11, _m("STC", "4814", "230", "230")),
            (16, _m("Shahid VIP", "4899", "29.99", "29.99")), (19, _m("Netflix", "4899", "56", "56")),
            (21, _m("National Water Company", "4900", "45", "95")))


def _gb(sort_code: str, number: str) -> str:
    return sort_code + number


PROFILES: tuple[Profile, ...] = (
    Profile(
        customer_id="sandbox-en-1", name="Emily Carter", currency="GBP", employer="ACME LTD SALARY",
        salary=Decimal("3850.00"), payday=25, landlord="Foxtons Lettings", rent=Decimal("1450.00"),
        savings_transfer=Decimal("300.00"), bills=UK_BILLS, spending=UK_SPENDING, card_last4="4821",
        accounts=(
            AccountSpec("current", "current", "CACC", "Everyday", "UK.OBIE.SortCodeAccountNumber",
                        _gb("401276", "31926819"), Decimal("3600.00"), "2016-09-01"),
            AccountSpec("savings", "savings", "SVGS", "Rainy day", "UK.OBIE.SortCodeAccountNumber",
                        _gb("401276", "55102934"), Decimal("6800.00"), "2018-03-14"),
            AccountSpec("card", "card", "CARD", "Credit card", "UK.OBIE.PAN", "************7702",
                        Decimal("0.00"), "2019-06-02", credit_limit=Decimal("4000.00")),
        ),
    ),
    Profile(
        customer_id="sandbox-en-2", name="James Okafor", currency="GBP", employer="NORTHWIND UK PAYROLL",
        salary=Decimal("2950.00"), payday=28, landlord="Unite Students", rent=Decimal("820.00"),
        savings_transfer=Decimal("100.00"), bills=UK_BILLS[1:4], spending=UK_SPENDING, card_last4="1290",
        accounts=(
            AccountSpec("current", "current", "CACC", "Main account", "UK.OBIE.SortCodeAccountNumber",
                        _gb("309634", "71526420"), Decimal("1600.00"), "2021-10-04"),
            AccountSpec("savings", "savings", "SVGS", "Holiday pot", "UK.OBIE.SortCodeAccountNumber",
                        _gb("309634", "80211377"), Decimal("900.00"), "2022-01-20"),
        ),
    ),
    Profile(
        customer_id="sandbox-pl-1", name="Anna Kowalska", currency="PLN", employer="WYNAGRODZENIE TECHSOFT SP Z OO",
        salary=Decimal("10800.00"), payday=10, landlord="Wynajem mieszkania J. Nowak", rent=Decimal("3200.00"),
        savings_transfer=Decimal("1000.00"), bills=PL_BILLS, spending=PL_SPENDING, card_last4="3307",
        accounts=(
            AccountSpec("current", "current", "CACC", "Konto osobiste", "UK.OBIE.IBAN",
                        "PL48105014451000009123456789", Decimal("7600.00"), "2015-05-11"),
            AccountSpec("savings", "savings", "SVGS", "Oszczędności", "UK.OBIE.IBAN",
                        "PL36105014451000009187654321", Decimal("18500.00"), "2017-02-27"),
        ),
    ),
    Profile(
        customer_id="sandbox-ar-1", name="فيصل القحطاني", currency="SAR", employer="SALARY ARAMCO SERVICES",
        salary=Decimal("18500.00"), payday=27, landlord="Ejar rent payment", rent=Decimal("4200.00"),
        savings_transfer=Decimal("2500.00"), bills=SA_BILLS, spending=SA_SPENDING, card_last4="6614",
        accounts=(
            AccountSpec("current", "current", "CACC", "الحساب الجاري", "UK.OBIE.IBAN",
                        "SA0380000000608010167519", Decimal("12400.00"), "2014-08-19"),
            AccountSpec("savings", "savings", "SVGS", "حساب التوفير", "UK.OBIE.IBAN",
                        "SA8780000000608010188802", Decimal("41000.00"), "2016-12-03"),
        ),
    ),
)

SANDBOX_PASSWORD = "sandbox"  # the same for every sandbox customer, and said so on the login page
