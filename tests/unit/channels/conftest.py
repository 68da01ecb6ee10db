from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"

# The merchant's channel-SKU mapping as the service would provide it: known keys map to
# merchant SKUs, everything else is unmapped.
SKU_MAP = {
    "SHIRT-RED-M": "TEE-RED-M",
    "variant_id:808950810": "IPOD-NANO-PINK",
    "WOO-SINGLE": "VINYL-SINGLE",
    "variation_id:23": "TEE-BLACK-L",
    "CAM-100": "CAMERA-BODY",
    "LENS-50": "LENS-50MM",
    "variant_id:155": "LENS-CLOTH",
    "MUG-BLUE": "MUG-BLUE-12OZ",
    "TEA-SENCHA": "TEA-SENCHA-100G",
}


@pytest.fixture
def fixture_bytes():
    def load(relative: str) -> bytes:
        return (FIXTURES / relative).read_bytes()

    return load


@pytest.fixture
def fixture_json():
    def load(relative: str) -> Any:
        return json.loads((FIXTURES / relative).read_text())

    return load


@pytest.fixture
def sku_lookup():
    return SKU_MAP.get
