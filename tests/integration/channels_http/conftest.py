"""A real HTTP server on 127.0.0.1 in a thread, serving scripted responses (recorded JSON)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    @classmethod
    def fixture(cls, relative: str, **kwargs) -> Reply:
        return cls(body=(FIXTURES / relative).read_bytes(), **kwargs)

    @classmethod
    def json(cls, data, **kwargs) -> Reply:
        return cls(body=json.dumps(data).encode(), **kwargs)


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class FakeApi:
    """Routes are `(path, query-subset) → [Reply, ...]`; replies are used in order and the
    last one repeats, so a test can script "429 then 200"."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, dict[str, str], list[Reply]]] = []
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.url = ""

    def add(self, path: str, *replies: Reply, query: dict[str, str] | None = None) -> None:
        self.routes.append((path, query or {}, list(replies)))

    def reply_for(self, path: str, query: dict[str, list[str]]) -> Reply:
        with self.lock:
            for route_path, wanted, replies in self.routes:
                if route_path == path and all(query.get(k) == [v] for k, v in wanted.items()):
                    return replies.pop(0) if len(replies) > 1 else replies[0]
        return Reply(404, b'{"error": "no route"}')

    def calls(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


def _handler(api: FakeApi):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            api.seen.append(Seen(parts.path, query, {k.lower(): v for k, v in self.headers.items()}))
            reply = api.reply_for(parts.path, query)
            if reply.delay_s:
                time.sleep(reply.delay_s)  # makes the client's read timeout fire
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to answer

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def fake_api():
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps():
    """Injected into clients instead of time.sleep: records requested waits, waits for none."""
    return []


@pytest.fixture
def sku_lookup():
    return {
        "CAM-100": "CAMERA-BODY", "LENS-50": "LENS-50MM", "variant_id:155": "LENS-CLOTH",
        "MUG-BLUE": "MUG-BLUE-12OZ", "TEA-SENCHA": "TEA-SENCHA-100G",
    }.get  # fmt: skip
