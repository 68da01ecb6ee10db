"""What every CLI module shares: the container built when a command runs (not when `conveyor --help`
imports the module: the database layer is the slow part), and a domain error printed plainly with
exit code 1 instead of a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from conveyor.bootstrap import Container
    from conveyor.shared.errors import DomainError

# rich resolves sys.stdout at print time, so CliRunner captures this console too.
errors = Console()


def container() -> Container:
    from conveyor.bootstrap import build

    return build()


def fail(problem: DomainError | str, code: int = 1) -> NoReturn:
    """Print the error (and each field issue a validation error carries) and exit."""
    if isinstance(problem, str):
        errors.print(f"[red]error:[/red] {problem}")
    else:
        errors.print(f"[red]error:[/red] {problem.detail}")
        for issue in problem.extra.get("issues", []):
            errors.print(f"  {issue['path']}: {issue['message']}")
    raise typer.Exit(code)
