"""Comment inputs: what is accepted, exactly how it is kept, and the error each bad value gets."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from feedback import validation
from feedback.api.errors import ApiError, as_api_error
from feedback.errors import InvalidInput

VIETNAMESE = "Bài viết rất hay! Cảm ơn tác giả."
COMMENT_ID = "0190a1b2c3d4deadbeef"


def rejection(check: Callable[[Any], object], value: Any) -> ApiError:
    with pytest.raises(InvalidInput) as caught:
        check(value)
    answer = as_api_error(caught.value)
    assert answer.status == 422
    return answer


def test_decomposed_vietnamese_body_comes_back_composed() -> None:
    decomposed = unicodedata.normalize("NFD", VIETNAMESE)
    assert decomposed != VIETNAMESE
    assert validation.comment_body(decomposed) == VIETNAMESE


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("first\r\nsecond\rthird\nfourth", "first\nsecond\nthird\nfourth"),
        ("  \r\n\t surrounded \n\n", "surrounded"),
        ("inner  spacing\n\n\nand   blank lines  stay", "inner  spacing\n\n\nand   blank lines  stay"),
        ("line\u2028and paragraph\u2029separators are kept", "line\u2028and paragraph\u2029separators are kept"),
    ],
)
def test_body_line_breaks_become_newlines_and_only_surrounding_whitespace_goes(written: str, kept: str) -> None:
    assert validation.comment_body(written) == kept


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[a](javascript:alert(1))",
        "&lt;b&gt; &amp; \"quotes\" 'apostrophes' <b>bold</b>",
    ],
)
def test_body_markup_is_kept_exactly_as_written(markup: str) -> None:
    assert validation.comment_body(markup).encode() == markup.encode()


@pytest.mark.parametrize("body", [None, 42, ["text"], {"text": "x"}, b"bytes"])
def test_body_that_is_not_a_string_is_rejected(body: Any) -> None:
    assert rejection(validation.comment_body, body).code == "invalid_body"


@pytest.mark.parametrize("body", ["", "   ", "\r\n\n\t "])
def test_empty_body_is_rejected(body: str) -> None:
    error = rejection(validation.comment_body, body)
    assert error.code == "invalid_body"
    assert "must not be empty" in error.message


@pytest.mark.parametrize("control", ["\t", "\x00", "\x1b", "\x7f", "\x85", "\x0b", "\x0c"])
def test_body_with_a_control_character_other_than_a_line_break_is_rejected(control: str) -> None:
    error = rejection(validation.comment_body, f"before{control}after")
    assert error.code == "invalid_body"
    assert "control characters" in error.message


def test_body_of_2000_characters_after_composition_is_accepted() -> None:
    decomposed = "e\u0301" * validation.COMMENT_MAX_CHARS  # 4000 code points, 2000 once composed
    assert validation.comment_body(decomposed) == "\u00e9" * 2000


def test_body_of_2001_characters_is_rejected_with_its_length() -> None:
    error = rejection(validation.comment_body, "e\u0301" * 2001)
    assert error.code == "invalid_body"
    assert "at most 2000 characters, got 2001" in error.message


@pytest.mark.parametrize(
    "body",
    [
        "http://a.vn https://b.vn www.c.vn",
        "https://www.a.vn/x HTTPS://WWW.B.VN http://www.c.vn",
        "vnexpress.net tuoitre.vn thanhnien.vn dantri.com.vn example.com",
        "http:// https:// www. are not followed by anything",
        "one http://a.vn two https://b.vn three www.c.vn\nand plain text",
    ],
)
def test_body_with_at_most_three_links_is_accepted(body: str) -> None:
    assert validation.comment_body(body) == body


@pytest.mark.parametrize(
    "body",
    [
        "http://a.vn https://b.vn www.c.vn HTTP://d.vn",
        "http://a.vnhttp://b.vnhttp://c.vnhttp://d.vn",
        "(www.a.vn) [www.b.vn] <www.c.vn> Www.d.vn",
    ],
)
def test_body_with_four_links_is_rejected(body: str) -> None:
    error = rejection(validation.comment_body, body)
    assert error.code == "too_many_links"
    assert "at most 3 links, got 4" in error.message


@pytest.mark.parametrize("author", [None, "", "   ", "\n"])
def test_missing_author_is_none(author: str | None) -> None:
    assert validation.comment_author(author) is None


def test_author_is_trimmed_and_composed() -> None:
    assert validation.comment_author(unicodedata.normalize("NFD", "  Nguyễn Văn An ")) == "Nguyễn Văn An"


def test_author_of_80_characters_is_accepted() -> None:
    assert validation.comment_author("a" * 80) == "a" * 80


@pytest.mark.parametrize(
    "author",
    [
        42,
        ["An"],
        "a" * 81,
        "first\nsecond",
        "first\r\nsecond",
        "tab\there",
        "nul\x00",
    ],
)
def test_bad_author_is_rejected(author: Any) -> None:
    assert rejection(validation.comment_author, author).code == "invalid_author"


@pytest.mark.parametrize(("limit", "parsed"), [(None, 20), ("1", 1), ("20", 20), ("100", 100), ("050", 50)])
def test_limit_is_a_whole_number_from_1_to_100(limit: str | None, parsed: int) -> None:
    assert validation.comment_limit(limit) == parsed


@pytest.mark.parametrize("limit", ["", "0", "101", "1000", "-1", "+5", "1.5", "1e2", " 5", "5\n", "ten", "²", "\u0665"])
def test_bad_limit_is_rejected(limit: str) -> None:
    assert rejection(validation.comment_limit, limit).code == "invalid_limit"


def test_comment_id_is_accepted_as_is() -> None:
    assert validation.comment_id(COMMENT_ID) == COMMENT_ID


BAD_IDS = [COMMENT_ID.upper(), COMMENT_ID[:-1], COMMENT_ID + "0", "0190a1b2c3d4deadbeeg", f"{COMMENT_ID}\n", ""]


@pytest.mark.parametrize("value", [*BAD_IDS, None, 190])
def test_bad_comment_id_is_rejected(value: Any) -> None:
    assert rejection(validation.comment_id, value).code == "invalid_comment_id"


@pytest.mark.parametrize(("before", "cursor"), [(None, None), (COMMENT_ID, COMMENT_ID)])
def test_cursor_is_absent_or_a_comment_id(before: str | None, cursor: str | None) -> None:
    assert validation.comment_cursor(before) == cursor


@pytest.mark.parametrize("before", BAD_IDS)
def test_bad_cursor_is_rejected(before: str) -> None:
    assert rejection(validation.comment_cursor, before).code == "invalid_cursor"
