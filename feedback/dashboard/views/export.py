"""Exports of a site: its ratings per article, its vote events or its comments, as CSV (UTF-8 with
a byte-order mark, so that Excel shows Vietnamese right) or NDJSON, streamed as they are read."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from feedback import json
from feedback.archive.sessions import Session
from feedback.dashboard.auth import site_view
from feedback.dashboard.templating import render
from feedback.services import Services
from feedback.services.reports import Export

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Rows go out in chunks of about this many bytes: one per row would cost a send each.
_CHUNK_BYTES = 65_536
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "json": ("application/x-ndjson; charset=utf-8", "ndjson")}


@site_view
async def export(request: Request, services: Services, session: Session, site: str) -> Response:
    user = session.user
    query = request.query_params
    what, kind = query.get("what", "ratings"), query.get("format", "csv")
    try:
        first, last = _day(query.get("from"), date(1970, 1, 1)), _day(query.get("to"), date(9999, 12, 30))
        if what not in get_args(Export) or kind not in _FORMATS or first > last:
            raise ValueError(query)
    except ValueError:
        return render(request, "error.html", user, status_code=422, message="bad_export")
    from_ms, to_ms = _ms(first), _ms(last + timedelta(days=1))  # `to` is inclusive: up to its end
    columns, records = services.reports.export(what, site, from_ms, to_ms)  # type: ignore[arg-type]
    media_type, extension = _FORMATS[kind]
    body = _csv(columns, records) if kind == "csv" else _ndjson(records)
    name = f"{site}-{what}-{query.get('from') or 'start'}-{query.get('to') or 'now'}.{extension}"
    return StreamingResponse(
        body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _day(value: str | None, default: date) -> date:
    """A `YYYY-MM-DD` day; ValueError for anything else."""
    if not value:
        return default
    if not _DAY.fullmatch(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


async def _csv(columns: tuple[str, ...], records: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writeheader()
    yield _drain(buffer)  # the first byte at once
    async for record in records:
        writer.writerow({key: _csv_value(value) for key, value in record.items()})
        if buffer.tell() > _CHUNK_BYTES:
            yield _drain(buffer)
    yield _drain(buffer)


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    # Text a spreadsheet would run as a formula (readers write comments) gets a leading quote.
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


async def _ndjson(records: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    chunk = bytearray()
    async for record in records:
        chunk += json.dumps(record) + b"\n"
        if len(chunk) > _CHUNK_BYTES:
            yield bytes(chunk)
            chunk.clear()
    yield bytes(chunk)
