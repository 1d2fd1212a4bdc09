"""The ASGI app for `uvicorn server:app`, configured from the environment."""

from feedback.app import create_app

app = create_app()
