"""`conveyor serve --workers N`: uvicorn's supervisor, with one listening socket per worker.

uvicorn hands its workers one shared listening socket, and whichever process wakes first accepts
- and asyncio accepts a whole burst per wake-up. Measured: one of two workers took all 32
keep-alive connections of a benchmark while the other idled, halving throughput
(docs/benchmarks.md, "Uneven workers"). Here every worker listens on a socket of its own, all bound
to the same address with SO_REUSEPORT, and the kernel spreads new connections across them by a hash
of each connection's addresses and ports.

The parent binds the sockets and keeps them open: a worker that dies is replaced on its own socket,
so the connections queued there wait for the replacement instead of being refused. Everything else
(health pings, restarts, SIGHUP rolling restart, graceful SIGTERM) is uvicorn's own `Multiprocess`.
"""

from __future__ import annotations

import logging
import socket
import sys

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port in the SO_REUSEPORT group of that address (not listening
    yet: each worker's server calls listen())."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        logger.error(exc)
        sys.exit(STARTUP_FAILURE)
    sock.set_inheritable(True)
    return sock


def balanced_sockets(config: Config) -> list[socket.socket]:
    """One socket per worker on the configured address; port 0 picks a free port for all of them."""
    first = reuse_port_socket(config.host, config.port)
    port = first.getsockname()[1]
    sockets = [first, *(reuse_port_socket(config.host, port) for _ in range(config.workers - 1))]
    logger.info("Conveyor serving on http://%s:%d with %d workers, one socket each", config.host, port,
                config.workers)
    return sockets


class BalancedSupervisor(Multiprocess):
    """`Multiprocess` where the worker in slot i always listens on socket i."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        if len(sockets) != config.workers:
            raise ValueError("one socket per worker")
        super().__init__(config, sockets)

    def _spawn(self, slot: int) -> Process:
        process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._spawn(slot) for slot in range(self.processes_num)]

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for slot, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung or gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # it would fail the same way on every restart
                logger.error("Worker [%s] failed to start, stopping.", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info("Worker [%s] died; starting its replacement on the same socket", process.pid)
            self.processes[slot] = self._spawn(slot)

    def restart_all(self) -> None:
        """SIGHUP: replace each worker in turn, the new one serving its slot's socket before the
        old one is retired."""
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._spawn(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    logger.error("Worker [%s] was not ready in time; keeping [%s], restart aborted.",
                                 new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN: the number of workers is fixed (one socket each); restart to change it.")

    def handle_ttou(self) -> None:
        logger.info("Received SIGTTOU: the number of workers is fixed (one socket each); restart to change it.")


def run_balanced(config: Config) -> None:
    """What `uvicorn.run` does for several workers, with a socket per worker."""
    # Only Linux spreads connections over a port's SO_REUSEPORT group (macOS hands them all to one
    # socket): elsewhere, uvicorn's shared socket.
    if not sys.platform.startswith("linux"):
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    BalancedSupervisor(config, balanced_sockets(config)).run()
