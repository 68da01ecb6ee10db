"""docs/channels.md mirrors the status tables in code: every platform status appears in the doc
with the payment state Conveyor gives it (a user reading the doc must see what really happens)."""

import re
from pathlib import Path

import pytest

from conveyor.channels.statuses import AMAZON_STATUS, BIGCOMMERCE_STATUS, SHOPIFY_FINANCIAL, WOOCOMMERCE_STATUS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "channels.md").read_text()
ROWS = {tuple(c.strip().strip("`") for c in line.strip("|").split("|"))
        for line in DOC.splitlines() if line.startswith("|")}


@pytest.mark.parametrize(
    ("platform", "table"),
    [("Shopify", SHOPIFY_FINANCIAL), ("WooCommerce", WOOCOMMERCE_STATUS), ("BigCommerce", BIGCOMMERCE_STATUS),
     ("Amazon", AMAZON_STATUS)],
)
def test_every_status_is_in_the_doc_with_its_payment_state(platform, table):
    for status, rule in table.items():
        wanted = (platform, str(status), rule.payment.value)
        assert any(row[:3] == wanted for row in ROWS), f"docs/channels.md lacks | {' | '.join(wanted)} | ..."


def test_doc_names_no_status_the_code_does_not_know():
    known = {("Shopify", k) for k in SHOPIFY_FINANCIAL} | {("WooCommerce", k) for k in WOOCOMMERCE_STATUS}
    known |= {("BigCommerce", str(k)) for k in BIGCOMMERCE_STATUS} | {("Amazon", k) for k in AMAZON_STATUS}
    documented = {(row[0], row[1]) for row in ROWS if len(row) == 6 and re.fullmatch(
        r"paid|pending|authorized|awaiting_payment|refunded|partially_refunded|voided|unknown", row[2])}
    assert documented <= known
