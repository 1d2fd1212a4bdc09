"""Argument types shared by the commands: validation's checks as argparse types."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def checked(check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a validation function: its error becomes argparse's message."""

    def parse(value: str) -> T:
        try:
            return check(value)
        except ValueError as error:  # InvalidInput is one too
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def positive_int(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, got {value!r}")
    return int(value)


def port(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value!r}")
    return int(value)
