"""Imports every area's model so that `Base.metadata` knows all tables (Alembic, tests)."""

from conveyor.auth import model as _auth  # noqa: F401
from conveyor.automation import model as _automation  # noqa: F401
from conveyor.billing import model as _billing  # noqa: F401
from conveyor.catalog import model as _catalog  # noqa: F401
from conveyor.channels import model as _channels  # noqa: F401
from conveyor.fulfillment import model as _fulfillment  # noqa: F401
from conveyor.inventory import model as _inventory  # noqa: F401
from conveyor.messaging import model as _messaging  # noqa: F401
from conveyor.orders import model as _orders  # noqa: F401
from conveyor.orders import routing_store as _routing  # noqa: F401
from conveyor.payments import model as _payments  # noqa: F401
from conveyor.planning import model as _planning  # noqa: F401
from conveyor.purchasing import model as _purchasing  # noqa: F401
from conveyor.returns import model as _returns  # noqa: F401
from conveyor.shared import idempotency as _idempotency  # noqa: F401
from conveyor.shared.db import Base
from conveyor.shipping import model as _shipping  # noqa: F401

metadata = Base.metadata
