"""The routes of the HTTP API, version 1."""

from __future__ import annotations

from starlette.convertors import register_url_convertor
from starlette.routing import Route

from feedback.api import comments, health, metrics, openapi, ratings
from feedback.api.endpoint import AnyTextConvertor, ArticleConvertor, Endpoint

# Starlette looks convertors up in a registry when a route is built, so before the routes.
register_url_convertor("any", AnyTextConvertor())
register_url_convertor("article", ArticleConvertor())

routes = [
    # Article ids may contain '/', so they match the rest of the path. A path ending in
    # `/comments` is always an article's comments; one ending in `/rating` is the rating of an
    # article for PUT and DELETE, and an article of its own for GET (the summary route matches
    # it first, but for GET only: a PUT goes on to the rating route). Starlette tries routes in
    # order, so the busiest come first (docs/performance.md): summaries, votes, list pages
    # (whose path no article route matches, nor theirs it).
    Route("/api/v1/sites/{site}/articles/{article:article}", Endpoint(ratings.get_summary), methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", Endpoint(ratings.put_rating), methods=["PUT"]),
    Route("/api/v1/sites/{site}/summaries", Endpoint(ratings.get_summaries), methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", Endpoint(comments.get_comments), methods=["GET"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/comments", Endpoint(comments.post_comment), methods=["POST"]),
    Route("/api/v1/sites/{site}/articles/{article:any}/rating", Endpoint(ratings.delete_rating), methods=["DELETE"]),
    Route("/api/v1/openapi.json", Endpoint(openapi.document), methods=["GET"]),
    Route("/healthz", Endpoint(health.healthz), methods=["GET"]),
    Route("/readyz", Endpoint(health.readyz), methods=["GET"]),
    Route("/metrics", Endpoint(metrics.metrics), methods=["GET"]),
]
