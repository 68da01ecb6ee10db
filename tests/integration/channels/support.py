"""Shared by the channel integration and e2e tests: a catalog that fits the sample payloads,
signed deliveries per platform, and a local fake platform server that records what it gets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from conveyor.bootstrap import Container
from conveyor.catalog.handlers import create_product
from conveyor.catalog.service import SkuData
from conveyor.channels.handlers import create_channel, set_mappings
from conveyor.channels.skumap import Mapping
from conveyor.inventory.handlers import create_location, receive
from conveyor.inventory.locations import LocationData

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"
SECRET = "s3cret-webhook-key"
CATALOG = ["TEE-RED-M", "IPOD-NANO-PINK", "VINYL-SINGLE", "TEE-BLACK-L", "CAMERA-BODY", "LENS-50MM", "LENS-CLOTH"]
SKU_MAPS = {
    "shop": {"SHIRT-RED-M": "TEE-RED-M", "variant_id:808950810": "IPOD-NANO-PINK"},
    "woo": {"WOO-SINGLE": "VINYL-SINGLE", "variation_id:23": "TEE-BLACK-L"},
    "bc": {"CAM-100": "CAMERA-BODY", "LENS-50": "LENS-50MM", "variant_id:155": "LENS-CLOTH"},
}


def fixture(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def seed_channels(c: Container, stock: int = 20, bc_base_url: str = "") -> None:
    """The sample payloads' SKUs with stock at WH-MAIN, and one channel per webhook platform."""
    create_location(c, LocationData(code="WH-MAIN", name="Main warehouse", priority=1))
    for code in CATALOG:
        create_product(c, code, [SkuData(code=code, name=code, price_minor=1000)])
        receive(c, code, "WH-MAIN", stock, actor="test")
    for code, kind, currency in [("shop", "shopify", "USD"), ("woo", "woocommerce", "EUR"),
                                 ("bc", "bigcommerce", "USD")]:
        config = {"store_hash": "abc123", "base_url": bc_base_url} if kind == "bigcommerce" else {}
        secrets = {"webhook_secret": SECRET, "access_token": "tok-123"}
        create_channel(c, code=code, name=code, type=kind, currency=currency, config=config, secrets=secrets)
        set_mappings(c, code, [Mapping(k, v) for k, v in SKU_MAPS[code].items()])


def _b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body: bytes, secret: str = SECRET, delivery: str = "d-1") -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": _b64_hmac(secret, body), "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-Topic": "orders/create", "Content-Type": "application/json"}


def woo_headers(body: bytes, secret: str = SECRET, delivery: str = "w-1") -> dict[str, str]:
    return {"X-WC-Webhook-Signature": _b64_hmac(secret, body), "X-WC-Webhook-Delivery-ID": delivery,
            "X-WC-Webhook-Topic": "order.created", "Content-Type": "application/json"}


def bigcommerce_headers(body: bytes, secret: str = SECRET, delivery: str = "msg_1") -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = _b64_hmac(secret, f"{delivery}.{stamp}.".encode() + body)
    return {"webhook-id": delivery, "webhook-timestamp": stamp, "webhook-signature": f"v1,{signature}",
            "Content-Type": "application/json"}


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class FakePlatform:
    """Scripted replies by (method, path); every request is recorded. Unscripted POST/PUT get
    200 {} so adapters can be tested without scripting every call."""

    url: str = ""
    routes: dict[tuple[str, str], list[tuple[int, bytes, dict]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, status: int = 200, body: bytes | dict | list = b"{}",
            headers: dict | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes.setdefault((method, path), []).append((status, raw, headers or {}))

    def reply(self, method: str, path: str) -> tuple[int, bytes, dict]:
        with self.lock:
            replies = self.routes.get((method, path))
            if not replies:
                return (404, b'{"error": "no route"}', {}) if method == "GET" else (200, b"{}", {})
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def calls(self, method: str | None = None, prefix: str = "") -> list[Received]:
        return [r for r in self.received if (method is None or r.method == method) and r.path.startswith(prefix)]


def _handler(platform: FakePlatform):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            platform.received.append(Received(self.command, parts.path, parse_qs(parts.query),
                                              {k.lower(): v for k, v in self.headers.items()}, body))
            status, raw, headers = platform.reply(self.command, parts.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = _serve  # noqa: N815 - http.server's naming

        def log_message(self, *args) -> None:
            pass

    return Handler


def start_platform() -> tuple[FakePlatform, ThreadingHTTPServer]:
    platform = FakePlatform()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(platform))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    platform.url = f"http://127.0.0.1:{server.server_address[1]}"
    return platform, server
