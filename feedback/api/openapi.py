"""The OpenAPI 3.1 document of the public API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from feedback.json import JSONResponse
from feedback.validation import ARTICLE_MAX_CHARS, READER_TOKEN, SITE_ID, SUMMARIES_MAX_ARTICLES


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _summary_response(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Summary"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


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
_COMMON_ERRORS = {
    "403": _error("The request's Origin is not allowed for this site."),
    "404": _error("Unknown site."),
    "422": _error("Invalid article id, reader token or score."),
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "feedback reader API",
        "version": "1",
        "description": 'Article ratings for news sites. Errors are {"error": {"code", "message"}}.',
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
                                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                                    "reader": _READER_SCHEMA,
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _summary_response("The article's summary after the vote."),
                    "400": _error("The body is not a JSON object."),
                    "413": _error("The body is over 4 KiB."),
                    **_COMMON_ERRORS,
                },
            },
            "delete": {
                "summary": "Withdraw the reader's vote",
                "parameters": [{"name": "reader", "in": "query", "required": True, "schema": _READER_SCHEMA}],
                "responses": {"200": _summary_response("The article's summary without the vote."), **_COMMON_ERRORS},
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
    },
    "components": {
        "schemas": {
            "Summary": {
                "type": "object",
                "required": ["site", "article", "count", "average", "histogram"],
                "properties": {
                    "site": {"type": "string"},
                    "article": {"type": "string"},
                    "count": {"type": "integer", "minimum": 0},
                    "average": {
                        "type": ["number", "null"],
                        "description": "Mean score, 2 decimals; null without votes.",
                    },
                    "histogram": {
                        "type": "object",
                        "required": ["1", "2", "3", "4", "5"],
                        "additionalProperties": False,
                        "properties": {str(score): {"type": "integer", "minimum": 0} for score in range(1, 6)},
                    },
                    "mine": {
                        "type": ["integer", "null"],
                        "description": "The reader's score, when asked with `reader`.",
                    },
                },
            },
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
