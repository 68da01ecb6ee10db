"""deploy/: the compose file and the systemd units describe the documented production layout, and
every command they run is one `conveyor` really has (parsed by the CLI itself, not run). Docker
and systemd are not started here."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from conveyor.cli.main import app

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def _parses_as_conveyor_command(argv: list[str]) -> None:
    """Resolve `conveyor <group> <command> --options` through the CLI's own parser."""
    assert Path(argv[0]).name == "conveyor", argv
    command = typer.main.get_command(app)  # typer's own copy of click: duck-typed below
    args = argv[1:]
    while hasattr(command, "resolve_command"):  # a group: find the subcommand
        ctx = command.make_context("conveyor", list(args), resilient_parsing=True)
        protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
        name, sub, args = command.resolve_command(ctx, [*protected, *ctx.args])
        assert sub is not None, f"no such command: {name}"
        command = sub
    command.make_context(command.name or "", list(args))  # raises on an unknown option or a bad value


def test_compose_runs_postgres_an_api_with_several_processes_two_workers_and_nats():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "nats", "migrate", "api", "worker-1", "worker-2"} <= set(services)
    api = services["api"]["command"]
    assert api[:2] == ["conveyor", "serve"] and int(api[api.index("--workers") + 1]) >= 2
    workers = [name for name, s in services.items() if s.get("command") == ["conveyor", "worker"]]
    assert len(workers) == 2
    for name in ["api", "migrate", *workers]:
        env = services[name]["environment"]
        assert "@postgres:5432/" in env["CONVEYOR_DATABASE_URL"], name
        assert "${POSTGRES_PASSWORD" in env["CONVEYOR_DATABASE_URL"]  # from the environment, not the file
        assert env["CONVEYOR_SECRET_KEY"].startswith("${CONVEYOR_SECRET_KEY")
        _parses_as_conveyor_command(services[name]["command"])
    assert "--jetstream" in services["nats"]["command"]
    assert services["api"]["environment"]["CONVEYOR_METRICS_DIR"] == services["worker-1"]["environment"][
        "CONVEYOR_METRICS_DIR"]  # one /metrics for every process on the host


def test_systemd_units_start_real_commands():
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert [u.name for u in units] == ["conveyor-api.service", "conveyor-worker@.service"]
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # systemd keys are case-sensitive
        parser.read(unit)
        assert {"Unit", "Service", "Install"} <= set(parser.sections()), unit.name
        service = parser["Service"]
        assert service["EnvironmentFile"] == "/etc/conveyor/conveyor.env"
        for key in ("ExecStart", "ExecStartPre"):
            if key in service:
                _parses_as_conveyor_command(shlex.split(service[key]))
    api = configparser.ConfigParser(strict=False, interpolation=None)
    api.read(DEPLOY / "systemd" / "conveyor-api.service")
    assert "--workers" in api["Service"]["ExecStart"]


@pytest.mark.parametrize("argv", [["conveyor", "serve", "--bogus"], ["conveyor", "nosuch"],
                                  ["conveyor", "db", "upgradez"], ["conveyor", "serve", "--workers", "x"]])
def test_the_check_refuses_what_the_cli_would(argv):
    with pytest.raises(BaseException):  # noqa: B017 - click's usage errors or SystemExit, as the CLI exits
        _parses_as_conveyor_command(argv)
