"""Local receivers and a controllable clock for the worker's end-to-end tests: an HTTP receiver
on loopback that answers as scripted and records what arrived (when, headers, body), a port that
accepts connections and never answers, and a clock the test moves forward."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conveyor.bootstrap import Container
from conveyor.messaging.handlers import build_worker
from conveyor.messaging.worker import Policy, Worker


@dataclass
class Arrival:
    at: float  # time.monotonic() when the request arrived
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers POSTs with the scripted statuses in turn (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    arrivals: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def start_receiver(statuses: list[int] | None = None) -> Receiver:
    receiver = Receiver(statuses or [200])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.arrivals.append(Arrival(time.monotonic(), self.path,
                                                 {k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.answer()
            reply = b'{"ok": true}' if status < 300 else b'{"error": "try later"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.server = server
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return receiver


def silent_port() -> tuple[socket.socket, str]:
    """A listening socket that is never accepted from: connections open, requests get no answer."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"


class Clock:
    """Real time plus an offset the test moves forward (messages are stamped with real time)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def worker_for(c: Container, clock: Clock | None = None, seed: int = 7) -> Worker:
    import random

    return build_worker(c, Policy(batch=100), clock=clock or Clock(), rng=random.Random(seed))
