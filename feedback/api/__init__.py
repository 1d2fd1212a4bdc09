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


class ArticleConvertor(AnyTextConvertor):
    """The rest of the path unless it ends in `/comments` (that is the article's comments), so
    that the busiest route, an article's summary, can be tried first."""

    regex = r"(?![\s\S]*/comments$)[\s\S]+"


# Starlette looks convertors up in a registry when a route is built, so before the routes.
register_url_convertor("any", AnyTextConvertor())
register_url_convertor("article", ArticleConvertor())

routes = [
    # Article ids may contain '/', so they match the rest of the path. A path ending in
    # `/comments` is always an article's comments; one ending in `/rating` is the rating of an
    # article for PUT and DELETE, and an article of its own for GET (the summary route matches
    # it first, but for GET only: a PUT goes on to the rating route). The busiest routes come
    # first: Starlette tries them in order.
    Route("/api/v1/sites/{site}/articles/{article:article}", ratings.get_summary, methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", ratings.put_rating, methods=["PUT"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", comments.get_comments, methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", comments.post_comment, methods=["POST"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", ratings.delete_rating, methods=["DELETE"]),
    Route("/api/v1/sites/{site}/summaries", ratings.get_summaries, methods=["GET"]),
    Route("/api/v1/openapi.json", openapi.document, methods=["GET"]),
]
