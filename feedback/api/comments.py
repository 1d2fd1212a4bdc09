"""Endpoints for readers' comments."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from feedback import validation
from feedback.api.body import json_object
from feedback.api.ratings import article_request
from feedback.json import JSONResponse
from feedback.models import Comment


async def post_comment(request: Request) -> Response:
    services, site, article = await article_request(request)
    body = await json_object(request)
    reader = validation.reader_token(body.get("reader"))
    text = validation.comment_body(body.get("body"))
    author = validation.comment_author(body.get("author"))
    # The widget hides this field from people; software that fills in every field fills it.
    honeypot = body.get("website") not in (None, "")
    address = await services.addresses.of_request(request.scope, site.id)
    comment, status = await services.comments.post(site, article, reader, author, text, honeypot, address)
    return JSONResponse({"id": comment.id, "status": status}, status_code=202)


async def get_comments(request: Request) -> Response:
    services, site, article = await article_request(request)
    limit = validation.comment_limit(request.query_params.get("limit"))
    before = validation.comment_cursor(request.query_params.get("before"))
    reader = request.query_params.get("reader")
    if reader is not None:
        reader = validation.reader_token(reader)
    page = await services.comments.page(site.id, article, limit, before, reader)
    return JSONResponse(
        {
            "comments": [_comment_json(comment) for comment in page.comments],
            "next": page.next_before,
            "count": page.approved,
        }
    )


def _comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author": comment.author,
        "body": comment.body,
        "created_at": comment.created_at,
        # A reader's own comment that is not public yet (spam looks pending to its writer).
        "status": "approved" if comment.status == "approved" else "pending",
    }
