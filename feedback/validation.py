"""Every check of what clients send: one function per kind of input, each raising ApiError."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from feedback import json
from feedback.errors import ApiError

SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
READER_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
ARTICLE_MAX_CHARS = 200
SUMMARIES_MAX_ARTICLES = 100


def _invalid(code: str, message: str) -> ApiError:
    return ApiError(422, code, message)


def site_id(value: str) -> str:
    if not SITE_ID.fullmatch(value):
        raise _invalid(
            "invalid_site", "A site id is 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit."
        )
    return value


def article_id(value: str) -> str:
    """NFC-normalize an article id, so composed and decomposed Vietnamese text name one article."""
    normalized = unicodedata.normalize("NFC", value)
    if not 1 <= len(normalized) <= ARTICLE_MAX_CHARS:
        raise _invalid("invalid_article", f"An article id is 1-{ARTICLE_MAX_CHARS} characters long.")
    if not normalized.isprintable():
        raise _invalid(
            "invalid_article",
            "An article id may contain only printable characters (no control characters, tabs or line breaks).",
        )
    return normalized


def reader_token(value: Any) -> str:
    if not isinstance(value, str) or not READER_TOKEN.fullmatch(value):
        raise _invalid("invalid_reader", "'reader' must be 16-64 characters of A-Z, a-z, 0-9, '_' and '-'.")
    return value


def score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise _invalid("invalid_score", "'score' must be a whole number from 1 to 5.")
    return value


def article_list(value: str | None) -> list[str]:
    """A comma-separated list of article ids (so an id with a comma cannot be listed)."""
    if not value:
        raise _invalid("invalid_articles", "'articles' must list 1-100 comma-separated article ids.")
    articles = [article_id(part) for part in value.split(",")]
    if len(articles) > SUMMARIES_MAX_ARTICLES:
        raise _invalid(
            "invalid_articles", f"At most {SUMMARIES_MAX_ARTICLES} articles per request, got {len(articles)}."
        )
    return articles


def json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        raise ApiError(400, "malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "malformed_json", "The request body must be a JSON object.")
    return parsed


def origin(value: str) -> str:
    """Canonical `scheme://host[:port]` of a browser origin, as the Origin header carries it."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"an origin is http(s)://host[:port], got {value!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"an origin has no path, query or user, got {value!r}")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = "" if parts.port in (None, default_port) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"
