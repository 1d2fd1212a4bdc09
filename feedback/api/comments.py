"""Endpoints for readers' comments."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from feedback import validation
from feedback.api.body import MAX_COMMENT_BODY_BYTES, json_object
from feedback.api.clients import address_hash
from feedback.api.paths import article_about, article_request
from feedback.api.responses import JSONResponse
from feedback.models import Comment, Site
from feedback.services.comments import status_for_writer


async def post_comment(request: Request) -> Response:
    services, site, article = await article_request(request)
    body = await json_object(request, MAX_COMMENT_BODY_BYTES)
    reader = validation.reader_token(body.get("reader"))
    text = validation.comment_body(body.get("body"))
    author = validation.comment_author(body.get("author"))
    # The widget hides this field from people; software that fills in every field fills it.
    honeypot = body.get("website") not in (None, "")
    about = article_about(body, site)
    address = await address_hash(request, services, site.id)
    comment = await services.comments.post(site, article, reader, author, text, honeypot, address, about)
    return JSONResponse({"id": comment.id, "status": status_for_writer(comment, site)}, status_code=202)


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
            "comments": [_comment_json(comment, site) for comment in page.comments],
            "next": page.next_before,
            "count": page.approved,
        }
    )


def _comment_json(comment: Comment, site: Site) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author": comment.author,
        "body": comment.body,
        "created_at": comment.created_at,
        # Besides approved comments, a page holds only its reader's own pending ones, or spam.
        "status": status_for_writer(comment, site),
    }
