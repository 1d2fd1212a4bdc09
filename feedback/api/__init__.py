"""The HTTP API, version 1: routes and their OpenAPI document."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from feedback.api import comments, openapi, ratings


class AnyTextConvertor(Convertor[str]):
    """The rest of the path, line breaks included: a bad article id gets a 422 from validation,
    not a 404 from a route that failed to match."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Starlette looks convertors up in a registry when a route is built, so before the routes.
register_url_convertor("any", AnyTextConvertor())

routes = [
    # Article ids may contain '/', so they match the rest of the path. A path ending in
    # `/rating` is the rating of an article for PUT and DELETE, and an article of its own for
    # GET (only PUT and DELETE match the rating routes); one ending in `/comments` is always an
    # article's comments. The busiest routes come first.
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", ratings.put_rating, methods=["PUT"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", comments.get_comments, methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}", ratings.get_summary, methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", comments.post_comment, methods=["POST"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", ratings.delete_rating, methods=["DELETE"]),
    Route("/api/v1/sites/{site}/summaries", ratings.get_summaries, methods=["GET"]),
    Route("/api/v1/openapi.json", openapi.document, methods=["GET"]),
]
