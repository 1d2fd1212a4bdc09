"""Every check of what clients send: one function per kind of input, each raising InvalidInput."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from feedback.errors import InvalidInput
from feedback.local_days import time_zones
from feedback.models import Scale

SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
READER_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
ARTICLE_MAX_CHARS = 200
SUMMARIES_MAX_ARTICLES = 100


def site_id(value: str) -> str:
    if not SITE_ID.fullmatch(value):
        raise InvalidInput(
            "invalid_site", "A site id is 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit."
        )
    return value


def article_id(value: str) -> str:
    """NFC-normalize an article id, so composed and decomposed Vietnamese text name one article."""
    normalized = value if value.isascii() else unicodedata.normalize("NFC", value)  # ASCII is NFC already
    if not 1 <= len(normalized) <= ARTICLE_MAX_CHARS:
        raise InvalidInput("invalid_article", f"An article id is 1-{ARTICLE_MAX_CHARS} characters long.")
    if not normalized.isprintable():
        raise InvalidInput(
            "invalid_article",
            "An article id may contain only printable characters (no control characters, tabs or line breaks).",
        )
    return normalized


def reader_token(value: Any) -> str:
    if not isinstance(value, str) or not READER_TOKEN.fullmatch(value):
        raise InvalidInput("invalid_reader", "'reader' must be 16-64 characters of A-Z, a-z, 0-9, '_' and '-'.")
    return value


def score(value: Any, scale: Scale = "stars") -> int:
    """A vote's score: 1 to 5 stars, or on a helpful site 5 (yes) or 1 (no)."""
    if scale == "helpful":
        if isinstance(value, bool) or value not in (1, 5):
            raise InvalidInput("invalid_score", "On this site 'score' is 5 (helpful) or 1 (not helpful).")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput("invalid_score", "'score' must be a whole number from 1 to 5.")
    return value


TITLE_MAX_CHARS = 300
URL_MAX_CHARS = 2000


def article_title(value: Any) -> str | None:
    """An article's title as its page gives it, NFC-normalized; None when not given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("invalid_title", "'title' must be a string.")
    title = unicodedata.normalize("NFC", value.strip())
    if not 1 <= len(title) <= TITLE_MAX_CHARS:
        raise InvalidInput("invalid_title", f"'title' must be 1-{TITLE_MAX_CHARS} characters after trimming.")
    if _has_control_characters(title, allowed=""):
        raise InvalidInput("invalid_title", "'title' may not contain control characters, tabs or line breaks.")
    return title


def article_url(value: Any, site_origins: Sequence[str]) -> str | None:
    """An article's address: http(s), on one of its site's origins; None when not given."""
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= URL_MAX_CHARS or not value.isprintable() or " " in value:
        raise InvalidInput("invalid_url", f"'url' must be an http(s) address of at most {URL_MAX_CHARS} characters.")
    parts = urlsplit(value)
    try:
        url_origin = origin(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        raise InvalidInput("invalid_url", "'url' must be an http(s) address.") from None
    if url_origin not in site_origins:
        raise InvalidInput("invalid_url", f"'url' must be on one of the site's origins, not {url_origin}.")
    return value


def article_list(value: str | None) -> list[str]:
    """A comma-separated list of article ids (so an id with a comma cannot be listed)."""
    if not value:
        raise InvalidInput("invalid_articles", "'articles' must list 1-100 comma-separated article ids.")
    articles = [article_id(part) for part in value.split(",")]
    if len(articles) > SUMMARIES_MAX_ARTICLES:
        raise InvalidInput(
            "invalid_articles", f"At most {SUMMARIES_MAX_ARTICLES} articles per request, got {len(articles)}."
        )
    return articles


def blocked_word(value: str) -> str:
    """A word or phrase a site blocks in comments, NFC-normalized as comments are."""
    word = unicodedata.normalize("NFC", value.strip())
    if not word:
        raise ValueError("a blocked word must not be empty")
    return word


def time_zone(value: str) -> str:
    """An IANA time zone name, e.g. Asia/Ho_Chi_Minh."""
    zone = value.strip()
    if zone not in time_zones():
        raise ValueError(f"a time zone is an IANA name such as Asia/Ho_Chi_Minh, got {value!r}")
    return zone


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


COMMENT_MAX_CHARS = 2000
COMMENT_MAX_LINKS = 3
COMMENT_AUTHOR_MAX_CHARS = 80
COMMENTS_DEFAULT_LIMIT = 20
COMMENTS_MAX_LIMIT = 100
# 12 hex digits of unix milliseconds then 8 random ones: ids sort by creation time as strings.
COMMENT_ID = re.compile(r"[0-9a-f]{20}")
# A "www." right after "://" belongs to the link already counted, so it must not count again.
LINK = re.compile(r"https?://(?=\S)|(?<![\w./])www\.(?=\S)", re.IGNORECASE)
LIMIT = re.compile(r"[0-9]{1,3}")


def comment_body(value: Any) -> str:
    """A comment's plain text, stored as written (never interpreted as HTML), with canonical line breaks.

    Line breaks become "\\n", surrounding whitespace goes and the text is NFC-normalized; nothing else
    changes. A link is each `http://`, `https://` or `www.` followed by a non-space (case-insensitive);
    bare domains such as `example.com` do not count.
    """
    if not isinstance(value, str):
        raise InvalidInput("invalid_body", "'body' must be a string.")
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n").strip())
    if not text:
        raise InvalidInput("invalid_body", "'body' must not be empty.")
    if _has_control_characters(text, allowed="\n"):
        raise InvalidInput(
            "invalid_body", "'body' may not contain control characters other than line breaks (tabs included)."
        )
    if len(text) > COMMENT_MAX_CHARS:
        raise InvalidInput("invalid_body", f"'body' must be at most {COMMENT_MAX_CHARS} characters, got {len(text)}.")
    links = len(LINK.findall(text))
    if links > COMMENT_MAX_LINKS:
        raise InvalidInput("too_many_links", f"'body' may contain at most {COMMENT_MAX_LINKS} links, got {links}.")
    return text


def comment_author(value: Any) -> str | None:
    """The name a commenter signs with, NFC-normalized; None when they gave none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("invalid_author", "'author' must be a string or null.")
    name = unicodedata.normalize("NFC", value.strip())
    if not name:
        return None
    if _has_control_characters(name, allowed=""):
        raise InvalidInput("invalid_author", "'author' may not contain control characters, tabs or line breaks.")
    if len(name) > COMMENT_AUTHOR_MAX_CHARS:
        raise InvalidInput(
            "invalid_author", f"'author' must be at most {COMMENT_AUTHOR_MAX_CHARS} characters, got {len(name)}."
        )
    return name


def comment_limit(value: str | None) -> int:
    """The `limit` query parameter: how many comments one page holds."""
    if value is None:
        return COMMENTS_DEFAULT_LIMIT
    # ASCII digits only: str.isdigit() would let through "²", which int() then rejects.
    if not LIMIT.fullmatch(value) or not 1 <= int(value) <= COMMENTS_MAX_LIMIT:
        raise InvalidInput("invalid_limit", f"'limit' must be a whole number from 1 to {COMMENTS_MAX_LIMIT}.")
    return int(value)


def comment_id(value: Any) -> str:
    if not isinstance(value, str) or not COMMENT_ID.fullmatch(value):
        raise InvalidInput("invalid_comment_id", "A comment id is 20 characters of 0-9 and a-f.")
    return value


CLUSTER_LABEL = re.compile(r"[0-9a-f]{10}")
SUSPECT_GROUP = re.compile(r"([0-9]{1,6}):(.+)", re.DOTALL)


def cluster_label(value: Any) -> str:
    """The label of a suspect votes' address cluster (see hot/packing.py)."""
    if not isinstance(value, str) or not CLUSTER_LABEL.fullmatch(value):
        raise InvalidInput("invalid_cluster", "A cluster label is 10 characters of 0-9 and a-f.")
    return value


def suspect_group(value: Any) -> tuple[int, str]:
    """The suspect votes of one article on one local day, as the dashboard's form names them:
    `DAY:ARTICLE` (days since 1970-01-01)."""
    match = SUSPECT_GROUP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput("invalid_group", "A group of suspect votes is DAY:ARTICLE.")
    return int(match[1]), article_id(match[2])


def comment_cursor(value: str | None) -> str | None:
    """The `before` query parameter: the id of the last comment of the previous page."""
    if value is None:
        return None
    if not COMMENT_ID.fullmatch(value):
        raise InvalidInput("invalid_cursor", "'before' must be a comment id: 20 characters of 0-9 and a-f.")
    return value


def _has_control_characters(text: str, allowed: str) -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in text)


EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024


def email(value: str) -> str:
    """A dashboard user's e-mail address, lower-cased (logins ignore case)."""
    address = value.strip().lower()
    if len(address) > 254 or not EMAIL.fullmatch(address):
        raise InvalidInput("invalid_email", "An e-mail address is like name@example.vn.")
    return address


def password(value: str) -> str:
    if not PASSWORD_MIN_CHARS <= len(value) <= PASSWORD_MAX_CHARS:
        raise InvalidInput(
            "invalid_password", f"A password is {PASSWORD_MIN_CHARS}-{PASSWORD_MAX_CHARS} characters long."
        )
    return value
