"""Endpoints as plain ASGI apps, and the path convertors of article ids."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.convertors import Convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class Endpoint:
    """An endpoint function as a plain ASGI app, which Starlette's Route runs as it is.

    Given the function itself, Starlette wraps every call in a second exception handler besides
    the application's (ExceptionMiddleware), which handles all of ours anyway: a closure per
    request and one more layer for each message sent (docs/performance.md)."""

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self._endpoint = endpoint
        self.__name__ = endpoint.__name__  # the route's name, as Starlette would give it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._endpoint(Request(scope, receive))
        await response(scope, receive, send)


class AnyTextConvertor(Convertor[str]):
    """The rest of the path, line breaks included: a bad article id gets a 422 from validation,
    not a 404 from a route that failed to match."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class ArticleConvertor(AnyTextConvertor):
    """The rest of the path unless it ends in `/comments` (that is the article's comments), so
    that the busiest route, an article's summary, can be tried first."""

    regex = r"(?![\s\S]+/comments\Z)[\s\S]+"
