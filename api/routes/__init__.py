"""One router per file; ``api.app.create_app`` includes them all."""
