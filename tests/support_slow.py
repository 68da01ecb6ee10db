"""Local HTTP servers that misbehave slowly, for outbound deadline tests: `DripServer` answers
every request one byte at a time with a pause between bytes, and counts how many bytes each
connection took before the client hung up."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n" + b"x" * 40


@dataclass
class DripServer:
    pause_s: float = 0.25  # between bytes: the whole answer takes len(ANSWER) * pause_s
    sent: list[int] = field(default_factory=list)  # per connection: bytes written before it ended
    finished: list[bool] = field(default_factory=list)  # per connection: the whole answer went out
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _ended: threading.Event = field(default_factory=threading.Event)  # a connection's drip is over

    @property
    def url(self) -> str:
        assert self._sock is not None
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/slow"

    def start(self) -> DripServer:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def wait_ended(self, timeout: float = 10) -> bool:
        """Wait until a connection's drip is over: the client can read the last byte before the
        server thread has counted it, so `sent`/`finished` are read only after this."""
        return self._ended.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()  # type: ignore[union-attr]
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        index = len(self.sent)
        self.sent.append(0)
        self.finished.append(False)
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)  # the request (small enough for one read)
                for byte in ANSWER:
                    if self._stop.wait(self.pause_s):
                        return
                    conn.sendall(bytes([byte]))
                    self.sent[index] += 1
                self.finished[index] = True
            except OSError:
                return  # the client hung up: sent[index] says how far it got
            finally:
                self._ended.set()
