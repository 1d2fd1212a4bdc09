"""JSON encoding and decoding through orjson, used by every response and request body."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSONResponse

dumps = orjson.dumps
loads = orjson.loads
JSONDecodeError = orjson.JSONDecodeError


class JSONResponse(_StarletteJSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
