"""A private PostgreSQL server for tests that stop, kill or restart the database: initdb and pg_ctl
from /usr/lib/postgresql/*/bin, a fresh cluster in a temporary directory, a free port. The shared
test server (CONVEYOR_TEST_POSTGRES_URL) is never touched.

PostgreSQL refuses to run as root; when the tests run as root the cluster runs as the `postgres`
system user (through runuser). Without the binaries, or without a user to run them as, the tests
that need it are skipped with the reason."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.net import free_port


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class Cluster:
    def __init__(self) -> None:
        bindir = _binaries()
        if bindir is None or not (bindir / "initdb").exists():
            pytest.skip("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (apt install postgresql)")
        self.bindir, self.port = bindir, free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no `postgres` user to run a private cluster as")
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser to start PostgreSQL as `postgres`")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        # Its own directory under /tmp: pytest's tmp_path sits in a root-only (0700) directory.
        self.dir = Path(tempfile.mkdtemp(prefix="conveyor-pg-"))
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "conveyor")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/conveyor"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bindir / tool), *args], check=True, capture_output=True,
                       timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: the server dies at once, like a crash; the next start recovers from the WAL."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
