"""Customer notifications and staff alerts by e-mail: templates, rendering, formatting."""

from conveyor.messaging.email.render import KINDS, LANGUAGES, RenderedEmail, render, resolve_locale

__all__ = ["KINDS", "LANGUAGES", "RenderedEmail", "render", "resolve_locale"]
