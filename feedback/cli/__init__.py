"""The command line, `python -m feedback` (and the `feedback` script): one module per group of commands."""

from feedback.cli.main import main

__all__ = ["main"]
