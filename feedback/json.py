"""JSON encoding and decoding through orjson, used by every response, request body and stored value."""

from __future__ import annotations

import orjson

dumps = orjson.dumps
loads = orjson.loads
JSONDecodeError = orjson.JSONDecodeError
