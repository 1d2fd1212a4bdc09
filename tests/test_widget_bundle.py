"""The widget's bundle: what the sources build is what the package ships, within its size
budget, and the server serves it with the caching its two addresses need."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import LiveServer

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "feedback" / "static" / "widget.js"
BUDGET_GZIP_BYTES = 6 * 1024
CHARTS = ["feedback/dashboard/static/charts.js", "feedback/dashboard/static/charts.css"]


@pytest.mark.parametrize("shipped", ["feedback/static/widget.js", *CHARTS])
def test_the_shipped_bundles_are_what_the_sources_build(tmp_path: Path, shipped: str) -> None:
    if shutil.which("node") is None or not (ROOT / "widget" / "node_modules").is_dir():
        pytest.fail("node and the widget's npm packages are missing: run `make test`, which installs them")
    result = subprocess.run(["node", "widget/build.mjs", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / shipped).read_bytes() == (ROOT / shipped).read_bytes(), f"{shipped} is stale: run `make widget`"


def test_the_bundle_is_within_its_size_budget() -> None:
    assert len(gzip.compress(SHIPPED.read_bytes(), 9)) <= BUDGET_GZIP_BYTES


@pytest.mark.parametrize("shipped", ["feedback/static/widget.js", CHARTS[0]])
def test_the_bundles_evaluate_no_strings_as_code(shipped: str) -> None:
    """A strict Content-Security-Policy (no 'unsafe-eval') must not stop them."""
    text = (ROOT / shipped).read_text()
    assert "eval(" not in text
    assert "Function(" not in text
    assert "innerHTML" not in text


async def test_widget_js_is_revalidated_by_its_etag(live: LiveServer) -> None:
    response = await live.client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == SHIPPED.read_bytes()
    assert response.headers["cache-control"] == "public, max-age=300"
    etag = response.headers["etag"]
    again = await live.client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    changed = await live.client.get("/widget.js", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


async def test_the_content_hashed_copy_is_cached_for_a_year(live: LiveServer) -> None:
    digest = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()[:16]
    response = await live.client.get(f"/widget.{digest}.js")
    assert response.status_code == 200
    assert response.content == SHIPPED.read_bytes()
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = await live.client.get("/widget.0123456789abcdef.js")
    assert stale.status_code == 404
    assert stale.json()["error"]["code"] == "not_found"


async def test_the_bundle_is_sent_gzipped_to_who_accepts_it(live: LiveServer) -> None:
    response = await live.client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == SHIPPED.read_bytes()  # httpx decodes it
    assert int(response.headers["content-length"]) <= BUDGET_GZIP_BYTES
