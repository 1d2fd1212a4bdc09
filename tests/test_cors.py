"""CORS per site: each site's own origins may call it from a browser, no other origin may."""

from __future__ import annotations

import asyncio

from tests.support import ORIGIN, READER, LiveServer, add_site


async def test_allowed_origin_gets_cors_headers(live: LiveServer) -> None:
    response = await live.client.get(live.article_url("bai-1"), headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in response.headers["vary"]


async def test_errors_to_allowed_origin_carry_cors_headers_so_the_widget_can_read_them(live: LiveServer) -> None:
    response = await live.client.put(
        live.article_url("bai-1") + "/rating", json={"score": 9, "reader": READER}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 422
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-expose-headers"] == "Retry-After"  # a 429's wait


async def test_disallowed_origin_gets_403_without_cors_headers_and_records_nothing(live: LiveServer) -> None:
    response = await live.client.put(
        live.article_url("bai-1") + "/rating",
        json={"score": 5, "reader": READER},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in response.headers
    assert (await live.summary("bai-1"))["count"] == 0


async def test_origin_of_another_site_is_not_allowed(live: LiveServer) -> None:
    await add_site(live.settings, "other-paper", ("https://other.example",))
    response = await live.client.get(live.article_url("bai-1"), headers={"Origin": "https://other.example"})
    assert response.status_code == 403
    response = await live.client.get(
        live.article_url("bai-1", site="other-paper"), headers={"Origin": "https://other.example"}
    )
    assert response.status_code == 200


async def test_preflight_allows_the_api_methods_with_a_max_age(live: LiveServer) -> None:
    response = await live.client.options(
        live.article_url("bai-1") + "/rating",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    methods = {method.strip() for method in response.headers["access-control-allow-methods"].split(",")}
    assert {"PUT", "POST", "DELETE", "GET"} <= methods
    assert "content-type" in response.headers["access-control-allow-headers"].lower()
    assert int(response.headers["access-control-max-age"]) >= 600


async def test_preflight_from_disallowed_origin_is_403(live: LiveServer) -> None:
    response = await live.client.options(
        live.article_url("bai-1") + "/rating",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_requests_without_origin_are_allowed(live: LiveServer) -> None:
    response = await live.vote("bai-1", READER, 4)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_new_site_is_served_without_restart(live: LiveServer) -> None:
    url = live.article_url("bai-1", site="brand-new")
    assert (await live.client.get(url)).status_code == 404
    await add_site(live.settings, "brand-new", ("https://brand-new.example",))
    await asyncio.sleep(1.1)  # unknown sites re-read the site list at most once a second
    response = await live.client.get(url, headers={"Origin": "https://brand-new.example"})
    assert response.status_code == 200
