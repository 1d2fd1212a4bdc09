"""The HTTP API, version 1: routes and their OpenAPI document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from feedback.api import comments, openapi, ratings


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


class Endpoint:
    """An endpoint function as a plain ASGI app, which Starlette's Route runs as it is.

    Given the function itself, Starlette wraps every call in a second exception handler besides
    the application's (ExceptionMiddleware), which handles all of ours anyway: a closure per
    request and one more layer for each message sent, a twentieth of a summary's CPU."""

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self._endpoint = endpoint
        self.__name__ = endpoint.__name__  # the route's name, as Starlette would give it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._endpoint(Request(scope, receive))
        await response(scope, receive, send)


# Starlette looks convertors up in a registry when a route is built, so before the routes.
register_url_convertor("any", AnyTextConvertor())
register_url_convertor("article", ArticleConvertor())

routes = [
    # Article ids may contain '/', so they match the rest of the path. A path ending in
    # `/comments` is always an article's comments; one ending in `/rating` is the rating of an
    # article for PUT and DELETE, and an article of its own for GET (the summary route matches
    # it first, but for GET only: a PUT goes on to the rating route). The busiest routes come
    # first, as Starlette tries them in order: summaries, votes, list pages (whose path no
    # article route matches, nor theirs it).
    Route("/api/v1/sites/{site}/articles/{article:article}", Endpoint(ratings.get_summary), methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", Endpoint(ratings.put_rating), methods=["PUT"]),
    Route("/api/v1/sites/{site}/summaries", Endpoint(ratings.get_summaries), methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", Endpoint(comments.get_comments), methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", Endpoint(comments.post_comment), methods=["POST"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", Endpoint(ratings.delete_rating), methods=["DELETE"]),
    Route("/api/v1/openapi.json", Endpoint(openapi.document), methods=["GET"]),
]
