"""Order routing: which locations ship which units of an order (pure logic, see docs/routing.md).

Importing any part of it stays cheap: the ZIP table, numpy-heavy search code and scipy's solver
load on first use. An API process can load them at start-up instead with `warm_up()`."""


def warm_up(optimiser: bool = False) -> None:
    """Load the ZIP and region tables and the cost-based search now (thread-safe, once), and
    with `optimiser=True` scipy's solver too (only the `optimal` strategy needs it)."""
    from conveyor.routing import geo, strategies  # noqa: F401  (numpy and the search code)

    geo.warm_up()
    if optimiser:
        import scipy.optimize  # noqa: F401
