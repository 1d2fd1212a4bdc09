"""The widget's script: at /widget.js, revalidated (a short max-age and an ETag, since the
address never changes), and at a content-hashed address, /widget.<hash>.js, cached for a year.
It is built by `make widget` into feedback/static/widget.js and shipped in the package."""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from feedback.api.errors import ApiError

_MAX_AGE_SECONDS = 300
_HASHED_MAX_AGE_SECONDS = 31_536_000


@dataclass(frozen=True)
class Bundle:
    body: bytes
    gzipped: bytes
    digest: str

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    @property
    def hashed_path(self) -> str:
        return f"/widget.{self.digest}.js"


@functools.cache
def bundle() -> Bundle:
    body = (resources.files("feedback") / "static" / "widget.js").read_bytes()
    return Bundle(body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest()[:16])


async def widget_js(request: Request) -> Response:
    script = bundle()
    if request.headers.get("if-none-match") in (script.etag, f"W/{script.etag}"):
        return Response(status_code=304, headers=_headers(script, f"public, max-age={_MAX_AGE_SECONDS}"))
    return _script(request, script, f"public, max-age={_MAX_AGE_SECONDS}")


async def hashed_widget_js(request: Request) -> Response:
    script = bundle()
    if request.path_params["digest"] != script.digest:
        raise ApiError(404, "not_found", f"No such version of the widget; the current one is {script.hashed_path}.")
    return _script(request, script, f"public, max-age={_HASHED_MAX_AGE_SECONDS}, immutable")


def _script(request: Request, script: Bundle, cache_control: str) -> Response:
    headers = _headers(script, cache_control)
    body = script.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = script.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


def _headers(script: Bundle, cache_control: str) -> dict[str, str]:
    return {
        "ETag": script.etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        # Pages that isolate themselves (Cross-Origin-Embedder-Policy) may still load it.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
