"""The moderation desk's live count of waiting comments: server-sent events, a new one whenever
the count changes (it is checked every couple of seconds), read by static/live.js."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from feedback.archive.sessions import Session
from feedback.dashboard.auth import site_view
from feedback.services import Services

CHECK_SECONDS = 2.0
# A stream ends after this long and the browser's EventSource opens another: a session that
# ended, or a user whose sites changed, is seen again then.
STREAM_SECONDS = 300.0


@site_view
async def waiting(request: Request, services: Services, session: Session, site: str) -> Response:
    async def events() -> AsyncIterator[bytes]:
        last = None
        deadline = asyncio.get_running_loop().time() + STREAM_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            count = await services.moderation.waiting(site)
            if count != last:
                yield f"data: {count}\n\n".encode()
                last = count
            await asyncio.sleep(CHECK_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
