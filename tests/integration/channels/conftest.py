from __future__ import annotations

import pytest

from tests.integration.channels.support import start_platform


@pytest.fixture
def platform():
    fake, server = start_platform()
    yield fake
    server.shutdown()
    server.server_close()
