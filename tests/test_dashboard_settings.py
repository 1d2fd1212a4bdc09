"""A site's settings page: everyone who may read the site sees them and the embed snippet;
admins change them, and the change reaches the reader API."""

from __future__ import annotations

from feedback.archive import Archive
from tests.dashboards import Dashboard, csrf_of
from tests.support import ORIGIN, SITE

FORM = {"origins": f"{ORIGIN}\nhttps://m.news.example.vn/", "moderation": "post", "scale": "helpful",
        "blocked_words": "cờ bạc\ncasino", "time_zone": "Asia/Bangkok"}  # fmt: skip


async def test_an_admin_changes_a_sites_settings(dashboard: Dashboard) -> None:
    async with dashboard.client() as admin:
        await dashboard.log_in(admin, "admin@example.vn")
        page = await admin.get(f"/dashboard/sites/{SITE}/settings")
        assert page.status_code == 200
        assert "&lt;feedback-widget site=&#34;vnexpress&#34;" in page.text  # the snippet, escaped
        response = await admin.post(
            f"/dashboard/sites/{SITE}/settings", data={"csrf_token": csrf_of(page.text), **FORM}
        )
        assert response.status_code == 303
        saved = (await admin.get(f"/dashboard/sites/{SITE}/settings")).text
        assert "https://m.news.example.vn" in saved and "casino" in saved
        audit = (await admin.get("/dashboard/audit")).text
    assert "site.save" in audit
    async with await Archive.open(dashboard.live.settings.database_path) as archive:
        site = await archive.sites.get(SITE)
    assert site is not None
    assert (site.origins, site.moderation, site.scale, site.blocked_words, site.time_zone) == (
        (ORIGIN, "https://m.news.example.vn"),
        "post",
        "helpful",
        ("cờ bạc", "casino"),
        "Asia/Bangkok",
    )


async def test_bad_settings_are_refused_and_nothing_changes(dashboard: Dashboard) -> None:
    async with dashboard.client() as admin:
        await dashboard.log_in(admin, "admin@example.vn")
        token = csrf_of((await admin.get(f"/dashboard/sites/{SITE}/settings")).text)
        for change in ({"origins": "ftp://x.example"}, {"origins": ""}, {"scale": "likes"}, {"moderation": "later"},
                       {"time_zone": "Mars/Olympus"}, {"time_zone": ""}):  # fmt: skip
            response = await admin.post(
                f"/dashboard/sites/{SITE}/settings", data={"csrf_token": token, **FORM, **change}
            )
            assert response.status_code == 422, change
        page = (await admin.get(f"/dashboard/sites/{SITE}/settings")).text
    assert "m.news.example.vn" not in page


async def test_only_admins_change_settings(dashboard: Dashboard) -> None:
    async with dashboard.client() as editor:
        await dashboard.log_in(editor, "editor@example.vn")
        page = await editor.get(f"/dashboard/sites/{SITE}/settings")
        assert page.status_code == 200 and "readonly" in page.text
        response = await editor.post(
            f"/dashboard/sites/{SITE}/settings", data={"csrf_token": csrf_of(page.text), **FORM}
        )
        assert response.status_code == 403
        assert (await editor.get("/dashboard/sites/bao-khac/settings")).status_code == 404
    async with dashboard.client() as admin:
        await dashboard.log_in(admin, "admin@example.vn")
        forged = await admin.post(f"/dashboard/sites/{SITE}/settings", data={"csrf_token": "forged", **FORM})
        assert forged.status_code == 403
