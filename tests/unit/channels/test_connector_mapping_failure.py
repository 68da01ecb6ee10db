from conveyor.channels.connectors import map_safely
from conveyor.channels.mappers import amazon


def test_a_payload_that_cannot_be_mapped_is_kept_raw_with_the_error():
    order = {"AmazonOrderId": "111-0000000-0000009", "OrderTotal": {"CurrencyCode": "US$", "Amount": "1"}}
    raw = {"order": order, "items": []}
    pulled = map_safely(
        "111-0000000-0000009", raw, lambda: amazon.map_order(raw["order"], raw["items"], str, channel="a")
    )
    assert pulled.mapped is None
    assert "unknown currency" in pulled.error
    assert pulled.raw is raw  # nothing is lost: the caller stores it and can replay it later
