"""The application edge: settings, the FastAPI app and the ``voclens`` CLI."""

from .app import create_app
from .settings import Settings, get_settings

__all__ = ["Settings", "create_app", "get_settings"]
