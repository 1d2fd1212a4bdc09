"""The editors' dashboard over HTTP: login, lockout, logout, sessions, CSRF, roles, the
moderation desk, and its security headers."""

from __future__ import annotations

import re
import sqlite3

from feedback.archive import Archive
from feedback.services.accounts import LOCKOUT_FAILURES
from tests.dashboards import OTHER_SITE, PASSWORD, Dashboard, add_user, csrf_of
from tests.support import READER, SITE, LiveServer, flush


async def post_comment(live: LiveServer, body: str, site: str = SITE) -> str:
    response = await live.client.post(
        live.article_url("bai-1", site) + "/comments", json={"reader": READER, "body": body}
    )
    assert response.status_code == 202, response.text
    comment_id: str = response.json()["id"]
    await flush(live.settings)
    return comment_id


async def test_a_page_without_a_session_sends_to_the_login(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        response = await client.get("/dashboard/sites/vnexpress/moderation?status=spam")
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/dashboard/login?next=%2Fdashboard%2Fsites%2Fvnexpress%2Fmoderation%3Fstatus%3Dspam"
    )


async def test_every_dashboard_response_carries_the_security_headers(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        for path in ("/dashboard/login", "/dashboard/", "/dashboard/static/dashboard.css"):
            response = await client.get(path)
            policy = response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, path
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"


async def test_the_login_form_has_its_fields(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        page = await client.get("/dashboard/login")
    assert page.status_code == 200
    for field in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert field in page.text


async def test_a_login_leads_on_with_a_session_cookie(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        response = await dashboard.log_in(client, "editor@example.vn", next_="/dashboard/sites/vnexpress/moderation")
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/sites/vnexpress/moderation"
        cookie = next(
            value
            for name, value in response.headers.multi_items()
            if name == "set-cookie" and value.startswith("feedback_session=")
        )
        assert (
            "HttpOnly" in cookie
            and "SameSite=lax" in cookie
            and "Max-Age=43200" in cookie
            and "Path=/dashboard" in cookie
        )
        overview = await client.get("/dashboard/")
    assert overview.status_code == 200
    assert SITE in overview.text and OTHER_SITE not in overview.text  # an editor sees their sites only
    assert re.search(r"As of \d\d:\d\d:\d\d", overview.text)


async def test_a_login_never_leads_to_another_site(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            response = await dashboard.log_in(client, "editor@example.vn", next_=target)
            assert response.headers["location"] == "/dashboard/", target


async def test_a_wrong_password_gets_401_and_no_session(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        for email, password in (("editor@example.vn", "wrong-password"), ("nobody@example.vn", PASSWORD)):
            response = await dashboard.log_in(client, email, password)
            assert response.status_code == 401
            assert "Wrong e-mail or password." in response.text or "không đúng" in response.text
            assert "feedback_session=" not in response.headers.get("set-cookie", "")
        assert (await client.get("/dashboard/")).status_code == 303


async def test_a_login_without_its_csrf_token_is_refused(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        await client.get("/dashboard/login")
        for token in ("", "forged"):
            data = {"email": "editor@example.vn", "password": PASSWORD, "csrf_token": token}
            response = await client.post("/dashboard/login", data=data)
            assert response.status_code == 403
        assert (await client.get("/dashboard/")).status_code == 303


async def test_five_failures_lock_the_account_even_for_the_right_password(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        for _ in range(LOCKOUT_FAILURES):
            assert (await dashboard.log_in(client, "editor@example.vn", "wrong-password")).status_code == 401
        locked = await dashboard.log_in(client, "editor@example.vn")
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


async def test_logging_out_ends_the_session(dashboard: Dashboard) -> None:
    async with dashboard.client() as client:
        await dashboard.log_in(client, "editor@example.vn")
        cookie = client.cookies.get("feedback_session")
        overview = await client.get("/dashboard/")
        forged = await client.post("/dashboard/logout", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        response = await client.post("/dashboard/logout", data={"csrf_token": csrf_of(overview.text)})
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login"
    async with dashboard.client() as stale:
        stale.cookies.set("feedback_session", cookie or "", path="/dashboard")
        assert (await stale.get("/dashboard/")).status_code == 303


async def test_an_editor_moderates_and_the_public_api_shows_it(dashboard: Dashboard) -> None:
    comment_id = await post_comment(dashboard.live, "Bài hay <script>alert(1)</script>")
    async with dashboard.client() as client:
        await dashboard.log_in(client, "editor@example.vn")
        desk = await client.get(f"/dashboard/sites/{SITE}/moderation")
        assert desk.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in desk.text and "<script>alert" not in desk.text
        form = {"csrf_token": csrf_of(desk.text), "action": "approve", "comment": comment_id}
        response = await client.post(f"/dashboard/sites/{SITE}/moderation", data=form)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/dashboard/sites/{SITE}/moderation")
    page = await dashboard.live.client.get(dashboard.live.article_url("bai-1") + "/comments")
    assert [comment["id"] for comment in page.json()["comments"]] == [comment_id]


async def test_a_viewer_may_read_but_not_moderate(dashboard: Dashboard) -> None:
    comment_id = await post_comment(dashboard.live, "Chờ duyệt")
    async with dashboard.client() as client:
        await dashboard.log_in(client, "viewer@example.vn")
        desk = await client.get(f"/dashboard/sites/{SITE}/moderation")
        assert desk.status_code == 200 and "Chờ duyệt" in desk.text
        form = {"csrf_token": csrf_of(desk.text), "action": "approve", "comment": comment_id}
        response = await client.post(f"/dashboard/sites/{SITE}/moderation", data=form)
    assert response.status_code == 403
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        assert [comment.status for comment in await archive.comments.for_editors(SITE, None, None, None, 10)] == [
            "pending"
        ]


async def test_an_editor_cannot_see_or_touch_another_site(dashboard: Dashboard) -> None:
    other = await post_comment(dashboard.live, "Của trang khác", site=OTHER_SITE)
    async with dashboard.client() as client:
        await dashboard.log_in(client, "editor@example.vn")
        overview = await client.get("/dashboard/")
        assert (await client.get(f"/dashboard/sites/{OTHER_SITE}/moderation")).status_code == 404
        form = {"csrf_token": csrf_of(overview.text), "action": "delete", "comment": other}
        assert (await client.post(f"/dashboard/sites/{OTHER_SITE}/moderation", data=form)).status_code == 404
        # nor through its own site's desk
        await client.post(f"/dashboard/sites/{SITE}/moderation", data=form)
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        assert [c.id for c in await archive.comments.for_editors(OTHER_SITE, None, None, None, 10)] == [other]


async def test_moderation_without_the_csrf_token_changes_nothing(dashboard: Dashboard) -> None:
    comment_id = await post_comment(dashboard.live, "Chờ duyệt")
    async with dashboard.client() as client:
        await dashboard.log_in(client, "admin@example.vn")
        for token in (None, "forged"):
            form = {"action": "approve", "comment": comment_id} | ({"csrf_token": token} if token else {})
            assert (await client.post(f"/dashboard/sites/{SITE}/moderation", data=form)).status_code == 403
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        assert [c.status for c in await archive.comments.for_editors(SITE, None, None, None, 10)] == ["pending"]


async def test_moderation_is_audited(dashboard: Dashboard) -> None:
    comment_id = await post_comment(dashboard.live, "Chờ duyệt")
    async with dashboard.client() as client:
        await dashboard.log_in(client, "editor@example.vn")
        desk = await client.get(f"/dashboard/sites/{SITE}/moderation")
        form = {"csrf_token": csrf_of(desk.text), "action": "spam", "comment": comment_id}
        await client.post(f"/dashboard/sites/{SITE}/moderation", data=form)
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        (entry, *_) = await archive.audit.latest(10)
    assert (entry.actor, entry.action, entry.site, entry.detail) == (
        "editor@example.vn",
        "comments.spam",
        SITE,
        {"comments": [comment_id]},
    )


async def test_numbers_are_written_as_the_users_language_writes_them(dashboard: Dashboard) -> None:
    for number, score in enumerate((4, 5, 4)):
        await dashboard.live.vote("bai-1", f"reader-{number:016d}", score)
    await flush(dashboard.live.settings)
    await add_user(dashboard.live.settings, "vi@example.vn", "viewer", [SITE], lang="vi")
    async with dashboard.client() as english, dashboard.client() as vietnamese:
        await dashboard.log_in(english, "viewer@example.vn")
        await dashboard.log_in(vietnamese, "vi@example.vn")
        assert "<td>4.33</td>" in (await english.get("/dashboard/")).text
        assert "<td>4,33</td>" in (await vietnamese.get("/dashboard/")).text


async def test_errors_inside_the_dashboard_are_pages_under_the_same_headers(dashboard: Dashboard) -> None:
    await add_user(dashboard.live.settings, "vi-admin@example.vn", "admin", [], lang="vi")
    english = {"Accept-Language": "en"}
    async with dashboard.client() as client:
        stranger = await client.get("/dashboard/no-such-page", headers=english)  # no session: the browser's
        await dashboard.log_in(client, "vi-admin@example.vn")
        missing = await client.get("/dashboard/no-such-page", headers=english)  # the user's language
        with sqlite3.connect(dashboard.live.settings.database_path) as database:
            database.execute("DROP TABLE audit_log")  # a failing dependency
        broken = await client.get("/dashboard/audit", headers=english)
    assert stranger.status_code == 404 and "There is no such page." in stranger.text
    assert missing.status_code == 404 and "Không tìm thấy trang này." in missing.text
    assert broken.status_code == 500 and "Đã có lỗi ở phía máy chủ." in broken.text
    for page in (stranger, missing, broken):
        assert page.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
