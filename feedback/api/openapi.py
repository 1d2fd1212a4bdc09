"""The OpenAPI 3.1 document of the public API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from feedback.api import health, metrics
from feedback.api.responses import JSONResponse
from feedback.validation import (
    ARTICLE_MAX_CHARS,
    COMMENT_AUTHOR_MAX_CHARS,
    COMMENT_ID,
    COMMENT_MAX_CHARS,
    COMMENT_MAX_LINKS,
    COMMENTS_DEFAULT_LIMIT,
    COMMENTS_MAX_LIMIT,
    READER_TOKEN,
    SITE_ID,
    SUMMARIES_MAX_ARTICLES,
    TITLE_MAX_CHARS,
    URL_MAX_CHARS,
)


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _summary_response(description: str) -> dict[str, Any]:
    return _json_response(description, {"$ref": "#/components/schemas/Summary"})


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_SITE = {
    "name": "site",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": f"^{SITE_ID.pattern}$"},
}
_ARTICLE = {
    "name": "article",
    "in": "path",
    "required": True,
    "description": "Article id: printable Unicode, URL-encoded, normalized to NFC.",
    "schema": {"type": "string", "minLength": 1, "maxLength": ARTICLE_MAX_CHARS},
}
_READER_SCHEMA = {"type": "string", "pattern": f"^{READER_TOKEN.pattern}$"}
_ABOUT_PROPERTIES = {
    "title": {
        "type": "string",
        "minLength": 1,
        "maxLength": TITLE_MAX_CHARS,
        "description": "The article's title, for editors (trimmed, NFC; no control characters). Optional.",
    },
    "url": {
        "type": "string",
        "format": "uri",
        "maxLength": URL_MAX_CHARS,
        "description": "The article's address, for editors: http(s), on one of the site's origins. Optional.",
    },
}
_COMMENT_ID_SCHEMA = {"type": "string", "pattern": f"^{COMMENT_ID.pattern}$"}
_COMMON_ERRORS = {
    "403": _error("The request's Origin is not allowed for this site."),
    "404": _error("Unknown site."),
    "422": _error("An invalid value; the error's code and message name it."),
    "503": _error("The article could not be loaded just now; try again (Retry-After)."),
}
_BODY_ERRORS = {
    "400": _error("The body is not a JSON object."),
    "413": _error("The body is over 4 KiB (a comment's: 24 KiB)."),
}
_RATE_LIMITED = {
    "429": {
        **_error("Too many requests from this reader or network."),
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    }
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "feedback reader API",
        "version": "1",
        "description": "Article ratings and comments for news sites, and the health probes and metrics of the server. "
        'Errors are {"error": {"code", "message"}}.',
    },
    "paths": {
        "/api/v1/sites/{site}/articles/{article}/rating": {
            "parameters": [_SITE, _ARTICLE],
            "put": {
                "summary": "Set the reader's vote (replacing any earlier one)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["score", "reader"],
                                "properties": {
                                    "score": {
                                        "type": "integer",
                                        "minimum": 1,
                                        "maximum": 5,
                                        "description": "1-5 stars; on a site of scale `helpful`, 5 (yes) or 1 (no).",
                                    },
                                    "reader": _READER_SCHEMA,
                                    **_ABOUT_PROPERTIES,
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _summary_response("The article's summary after the vote."),
                    **_BODY_ERRORS,
                    **_COMMON_ERRORS,
                    **_RATE_LIMITED,
                },
            },
            "delete": {
                "summary": "Withdraw the reader's vote",
                "parameters": [{"name": "reader", "in": "query", "required": True, "schema": _READER_SCHEMA}],
                "responses": {
                    "200": _summary_response("The article's summary without the vote."),
                    **_COMMON_ERRORS,
                    **_RATE_LIMITED,
                },
            },
        },
        "/api/v1/sites/{site}/articles/{article}/comments": {
            "parameters": [_SITE, _ARTICLE],
            "post": {
                "summary": "Post a comment",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _object(
                                ["reader", "body"],
                                {
                                    "reader": _READER_SCHEMA,
                                    "body": {
                                        "type": "string",
                                        "description": f"Plain text, 1-{COMMENT_MAX_CHARS} characters after "
                                        "trimming, no control characters but line breaks, at most "
                                        f"{COMMENT_MAX_LINKS} links.",
                                    },
                                    "author": {"type": ["string", "null"], "maxLength": COMMENT_AUTHOR_MAX_CHARS},
                                    "website": {"type": "string", "description": "Leave empty (a honeypot)."},
                                    **_ABOUT_PROPERTIES,
                                },
                            )
                        }
                    },
                },
                "responses": {
                    "202": _json_response(
                        "Accepted: `pending` until an editor approves it, or `approved` on a post-moderated site.",
                        _object(
                            ["id", "status"],
                            {"id": _COMMENT_ID_SCHEMA, "status": {"enum": ["pending", "approved"]}},
                        ),
                    ),
                    **_BODY_ERRORS,
                    **_COMMON_ERRORS,
                    **_RATE_LIMITED,
                },
            },
            "get": {
                "summary": "An article's approved comments, newest first",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": COMMENTS_MAX_LIMIT,
                            "default": COMMENTS_DEFAULT_LIMIT,
                        },
                    },
                    {
                        "name": "before",
                        "in": "query",
                        "required": False,
                        "description": "The `next` of the previous page.",
                        "schema": _COMMENT_ID_SCHEMA,
                    },
                    {
                        "name": "reader",
                        "in": "query",
                        "required": False,
                        "description": "Also list this reader's own comments that are not public yet.",
                        "schema": _READER_SCHEMA,
                    },
                ],
                "responses": {
                    "200": _json_response(
                        "One page of comments.",
                        _object(
                            ["comments", "next", "count"],
                            {
                                "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
                                "next": {"anyOf": [_COMMENT_ID_SCHEMA, {"type": "null"}]},
                                "count": {"type": "integer", "minimum": 0, "description": "Approved comments."},
                            },
                        ),
                    ),
                    **_COMMON_ERRORS,
                },
            },
        },
        "/api/v1/sites/{site}/articles/{article}": {
            "parameters": [_SITE, _ARTICLE],
            "get": {
                "summary": "An article's rating summary",
                "parameters": [{"name": "reader", "in": "query", "required": False, "schema": _READER_SCHEMA}],
                "responses": {
                    "200": _summary_response("The summary; `mine` when `reader` is given."),
                    **_COMMON_ERRORS,
                },
            },
        },
        "/api/v1/sites/{site}/summaries": {
            "parameters": [_SITE],
            "get": {
                "summary": "Summaries of many articles, for a list page",
                "parameters": [
                    {
                        "name": "articles",
                        "in": "query",
                        "required": True,
                        "description": f"1-{SUMMARIES_MAX_ARTICLES} comma-separated article ids "
                        "(ids containing a comma cannot be listed here).",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "One summary per id, in the order asked.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["summaries"],
                                    "properties": {
                                        "summaries": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Summary"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    **_COMMON_ERRORS,
                },
            },
        },
        **health.OPENAPI_PATHS,
        **metrics.OPENAPI_PATHS,
    },
    "components": {
        "schemas": {
            "Summary": {
                "type": "object",
                "required": ["site", "article", "count", "average", "histogram", "comments", "scale"],
                "properties": {
                    "site": {"type": "string"},
                    "article": {"type": "string"},
                    "count": {"type": "integer", "minimum": 0},
                    "average": {
                        "type": ["number", "null"],
                        "description": "Mean score, rounded half up to 2 decimals; null without votes.",
                    },
                    "histogram": {
                        "type": "object",
                        "required": ["1", "2", "3", "4", "5"],
                        "additionalProperties": False,
                        "properties": {str(score): {"type": "integer", "minimum": 0} for score in range(1, 6)},
                    },
                    "comments": {"type": "integer", "minimum": 0, "description": "Approved comments."},
                    "scale": {
                        "enum": ["stars", "helpful"],
                        "description": "The site's scale: 1-5 stars, or helpful (5) / not helpful (1).",
                    },
                    "mine": {
                        "type": ["integer", "null"],
                        "description": "The reader's score, when asked with `reader`.",
                    },
                },
            },
            "Comment": _object(
                ["id", "author", "body", "created_at", "status"],
                {
                    "id": _COMMENT_ID_SCHEMA,
                    "author": {"type": ["string", "null"]},
                    "body": {"type": "string", "description": "Plain text: never to be shown as HTML."},
                    "created_at": {"type": "string", "format": "date-time"},
                    "status": {"enum": ["approved", "pending"], "description": "pending: the reader's own."},
                },
            ),
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            },
        }
    },
}


async def document(request: Request) -> Response:
    return JSONResponse(DOCUMENT)
