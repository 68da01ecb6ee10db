"""Notification e-mails: every kind in every language, formatted for the reader's locale."""

from __future__ import annotations

import pytest

from conveyor.messaging.email.context import Address, ShipmentInfo
from conveyor.messaging.email.formatting import address_lines, format_money
from conveyor.messaging.email.render import KINDS, LANGUAGES, render, resolve_locale
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.money import Money

from .conftest import TRACKING_URL, sample_context

# A phrase of each language's footer: proves the message was written in that language.
FOOTER = {
    ("en", "customer"): "Questions about your order?",
    ("en", "staff"): "Sent automatically by Conveyor",
    ("de", "customer"): "Fragen zu Ihrer Bestellung?",
    ("de", "staff"): "Automatisch von Conveyor",
    ("fr", "customer"): "Une question sur votre commande\u00a0?",
    ("fr", "staff"): "Envoyé automatiquement par Conveyor",
    ("es", "customer"): "¿Tienes alguna pregunta sobre tu pedido?",
    ("es", "staff"): "Enviado automáticamente por Conveyor",
}
# The order date (23:30 UTC on 5 January = 6 January in Vienna) as each language writes it.
ORDER_DAY = {"en": "January 6, 2026", "de": "6. Januar 2026", "fr": "6 janvier 2026", "es": "6 de enero de 2026"}
TOTAL = {"en": "€268.90", "de": "268,90\u00a0€", "fr": "268,90\u00a0€", "es": "268,90\u00a0€"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_in_every_language(kind, language, context):
    email = render(kind, language, context)
    assert email.language == language
    assert email.subject and "\n" not in email.subject
    footer = FOOTER[(language, KINDS[kind].audience)]
    assert footer in email.text
    assert footer in email.html
    assert email.html.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in email.html
    if KINDS[kind].audience == "customer":
        assert "Anna" in email.text and "Anna" in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_languages_really_differ(language, context):
    subjects = {lang: render("order_shipped", lang, context).subject for lang in LANGUAGES}
    assert len(set(subjects.values())) == len(LANGUAGES)
    assert "NL-1001" in subjects[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_order_received_formats_date_and_money_for_the_language(language, context):
    email = render("order_received", language, context)
    assert ORDER_DAY[language] in email.text and ORDER_DAY[language] in email.html
    assert TOTAL[language] in email.text and TOTAL[language] in email.html


def test_dates_follow_the_readers_time_zone():
    in_utc = render("order_received", "en", sample_context(time_zone="UTC"))
    assert "January 5, 2026" in in_utc.text and "January 6" not in in_utc.text


def test_a_regional_tag_uses_the_language_templates_and_the_regional_formats(context):
    email = render("order_received", "de-AT", context)
    assert (email.language, email.locale) == ("de", "de_AT")
    assert "6. Jänner 2026" in email.text  # Austrian month name
    assert "€\u00a0268,90" in email.text  # Austrian currency pattern puts the sign first


@pytest.mark.parametrize(("tag", "language"), [
    ("de-AT", "de"), ("fr_CA", "fr"), ("es-MX", "es"), ("en-GB", "en"), ("pt-BR", "en"), ("ja", "en"),
    (None, "en"), ("", "en"), ("not a locale!", "en"),
])
def test_locale_fallback(tag, language):
    assert resolve_locale(tag).language == language


def test_an_unsupported_language_falls_back_to_english_words_and_formats(context):
    email = render("order_received", "pt-BR", context)
    assert email.language == "en" and "Thank you for your order" in email.text
    assert "January 6, 2026" in email.text  # not "6 de janeiro" inside an English sentence


@pytest.mark.parametrize("language", LANGUAGES)
def test_shipped_mail_carries_the_tracking_link_and_number(language, context):
    email = render("order_shipped", language, context)
    assert TRACKING_URL in email.text
    assert f'href="{TRACKING_URL.replace("&", "&amp;")}"' in email.html
    assert "00340434161094042557" in email.text and "00340434161094042557" in email.html


def test_expected_delivery_is_shown_when_known_and_left_out_when_not(context):
    assert "8. Jänner 2026" in render("order_shipped", "de-AT", context).text
    unknown = ShipmentInfo("DHL", "0034", TRACKING_URL)
    text = render("order_shipped", "de-AT", context | {"shipment": unknown}).text
    assert "Voraussichtliche Zustellung" not in text


def test_html_is_autoescaped_and_text_is_not(context):
    email = render("order_received", "en", context | {"customer_name": "<script>alert(1)</script>"})
    assert "<script>" not in email.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "Hi <script>alert(1)</script>," in email.text


def test_a_link_that_is_not_http_is_refused(context):
    evil = ShipmentInfo("DHL", "1", "javascript:alert(document.cookie)")
    with pytest.raises(ValidationFailed, match="only http"):
        render("order_shipped", "en", context | {"shipment": evil})


def test_missing_values_are_named_and_unknown_kinds_refused(context):
    with pytest.raises(ValidationFailed) as missing:
        render("order_shipped", "en", {k: v for k, v in context.items() if k != "shipment"})
    assert missing.value.extra["missing"] == ["shipment"]
    with pytest.raises(ValidationFailed, match="unknown e-mail kind"):
        render("order_teleported", "en", context)


def test_optional_parts_change_the_wording(context):
    with_refund = render("cancelled", "en", context)
    assert "We're refunding €129.50 to your original payment method" in " ".join(with_refund.text.split())
    without = render("cancelled", "en", context | {"refund": None, "cancellation_reason": "Out of stock"})
    flowing = " ".join(without.text.split())  # the text part is wrapped at 76 columns
    assert "If you've already paid" in flowing and "The reason: Out of stock" in flowing
    no_date = render("delayed", "fr", context | {"delay": context["delay"].__class__(None, "")})
    assert "nouvelle date de livraison" in no_date.text


def test_low_stock_lists_every_item_for_staff(context):
    email = render("low_stock", "de", context)
    assert email.subject == "Niedriger Bestand: 2 Artikel am oder unter dem Meldebestand"
    assert "SHOE-42" in email.html and "SOCK-1" in email.text and "Meldebestand" in email.html


@pytest.mark.parametrize(("currency", "minor", "locale", "expected"), [
    ("EUR", 123450, "en", "€1,234.50"),
    ("EUR", 123450, "de", "1.234,50\u00a0€"),
    ("EUR", 123450, "fr", "1\u202f234,50\u00a0€"),
    ("USD", 199, "en", "$1.99"),
    ("JPY", 1234, "en", "¥1,234"),  # no minor digits
    ("BHD", 1234, "en", "BHD1.234"),  # three minor digits
])
def test_money_is_formatted_from_minor_units(currency, minor, locale, expected):
    assert format_money(Money(minor, currency), locale) == expected


@pytest.mark.parametrize(("address", "locale", "expected"), [
    (Address("John Doe", ("1 Main St", "Apt 2"), "Springfield", "62701", "US", region="IL"), "de",
     ["John Doe", "1 Main St", "Apt 2", "SPRINGFIELD, IL 62701", "Vereinigte Staaten"]),
    (Address("Anna Schmidt", ("Hauptstraße 5",), "Berlin", "10115", "DE"), "fr",
     ["Anna Schmidt", "Hauptstraße 5", "10115 BERLIN", "Allemagne"]),
    (Address("Jo Bloggs", ("10 Downing Street",), "London", "SW1A 2AA", "GB"), "en",
     ["Jo Bloggs", "10 Downing Street", "LONDON", "SW1A 2AA", "United Kingdom"]),
    (Address("Taro Yamada", ("1-2-3 Chiyoda",), "Chiyoda-ku", "100-0001", "JP", region="Tokyo"), "es",
     ["〒100-0001", "TOKYO", "1-2-3 Chiyoda", "Taro Yamada", "Japón"]),
])
def test_addresses_follow_the_destination_countrys_order(address, locale, expected):
    lines = address_lines(address, locale)
    assert [line for line in lines if line != "Chiyoda-ku"] == expected
