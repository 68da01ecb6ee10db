"""ASGI entry point for uvicorn: `conveyor.api.main:app`."""

from conveyor.api.app import create_app

app = create_app(served=True)
