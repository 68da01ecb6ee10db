"""Amazon marketplace id → the currency orders in it are priced in, and the language its site
shows by default (the order's language: SP-API orders carry no buyer language).

A `Pending` order has no `OrderTotal` and its items carry no prices, so the currency comes from
the order's `MarketplaceId`. Marketplace ids and countries: SP-API "Marketplace IDs",
developer-docs.amazon.com/sp-api/docs/marketplace-ids; each marketplace sells in its country's
currency (amazon.ie and the euro-area marketplaces in EUR).
"""

from __future__ import annotations

MARKETPLACE_CURRENCY = {
    # North America
    "A2EUQ1WTGCTBG2": "CAD",  # Canada
    "ATVPDKIKX0DER": "USD",  # United States
    "A1AM78C64UM0Y8": "MXN",  # Mexico
    "A2Q3Y263D00KWC": "BRL",  # Brazil
    # Europe, Middle East, Africa, India
    "A28R8C7NBKEWEA": "EUR",  # Ireland
    "A1RKKUPIHCS9HS": "EUR",  # Spain
    "A1F83G8C2ARO7P": "GBP",  # United Kingdom
    "A13V1IB3VIYZZH": "EUR",  # France
    "AMEN7PMS3EDWL": "EUR",  # Belgium
    "A1805IZSGTT6HS": "EUR",  # Netherlands
    "A1PA6795UKMFR9": "EUR",  # Germany
    "APJ6JRA9NG5V4": "EUR",  # Italy
    "A2NODRKZP88ZB9": "SEK",  # Sweden
    "AE08WJ6YKNBMC": "ZAR",  # South Africa
    "A1C3SOZRARQ6R3": "PLN",  # Poland
    "ARBP9OOSHTCHU": "EGP",  # Egypt
    "A33AVAJ2PDY3EV": "TRY",  # Turkey
    "A17E79C6D8DWNP": "SAR",  # Saudi Arabia
    "A2VIGQ35RCS4UG": "AED",  # United Arab Emirates
    "A21TJRUUN4KGV": "INR",  # India
    # Far East
    "A19VAU5U5O7RUS": "SGD",  # Singapore
    "A39IBJ37TRP1C6": "AUD",  # Australia
    "A1VC38T7YXB528": "JPY",  # Japan
}


def currency_for(marketplace_id: object) -> str:
    """The marketplace's currency, or "" for a marketplace not in the table."""
    return MARKETPLACE_CURRENCY.get(str(marketplace_id or ""), "")


# The marketplace's default site language as a BCP 47 tag (amazon.com.be opens in French, amazon.ae
# and amazon.in in English); `shared.languages.order_language` turns the ones we have no templates
# for into English.
MARKETPLACE_LANGUAGE = {
    "A2EUQ1WTGCTBG2": "en-CA", "ATVPDKIKX0DER": "en-US", "A1AM78C64UM0Y8": "es-MX", "A2Q3Y263D00KWC": "pt-BR",
    "A28R8C7NBKEWEA": "en-IE", "A1RKKUPIHCS9HS": "es-ES", "A1F83G8C2ARO7P": "en-GB", "A13V1IB3VIYZZH": "fr-FR",
    "AMEN7PMS3EDWL": "fr-BE", "A1805IZSGTT6HS": "nl-NL", "A1PA6795UKMFR9": "de-DE", "APJ6JRA9NG5V4": "it-IT",
    "A2NODRKZP88ZB9": "sv-SE", "AE08WJ6YKNBMC": "en-ZA", "A1C3SOZRARQ6R3": "pl-PL", "ARBP9OOSHTCHU": "ar-EG",
    "A33AVAJ2PDY3EV": "tr-TR", "A17E79C6D8DWNP": "ar-SA", "A2VIGQ35RCS4UG": "en-AE", "A21TJRUUN4KGV": "en-IN",
    "A19VAU5U5O7RUS": "en-SG", "A39IBJ37TRP1C6": "en-AU", "A1VC38T7YXB528": "ja-JP",
}


def language_for(marketplace_id: object) -> str:
    """The marketplace's language tag, or "" for a marketplace not in the table."""
    return MARKETPLACE_LANGUAGE.get(str(marketplace_id or ""), "")
