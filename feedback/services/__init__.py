"""The domain services: what the HTTP API, the CLI and the dashboard call. They sit above the
Redis side (`feedback.hot`) and the archive (`feedback.archive`) and know nothing of HTTP."""

from feedback.services.wiring import Services, flush_until_stopped, standalone_flusher

__all__ = ["Services", "flush_until_stopped", "standalone_flusher"]
