"""The admins' pages: users added and removed in the dashboard, and the audit log; nobody else
may see them."""

from __future__ import annotations

from tests.dashboards import PASSWORD, Dashboard, csrf_of


async def test_an_admin_adds_and_removes_users_and_the_audit_log_shows_it(dashboard: Dashboard) -> None:
    async with dashboard.client() as admin:
        await dashboard.log_in(admin, "admin@example.vn")
        page = await admin.get("/dashboard/users")
        assert page.status_code == 200 and "editor@example.vn" in page.text
        token = csrf_of(page.text)
        form = {"csrf_token": token, "action": "add", "email": "Moi@Example.vn", "password": PASSWORD,
                "role": "editor", "sites": "vnexpress", "lang": "vi"}  # fmt: skip
        added = await admin.post("/dashboard/users", data=form)
        assert added.status_code == 303
        async with dashboard.client() as newcomer:
            assert (await dashboard.log_in(newcomer, "moi@example.vn")).status_code == 303
        again = await admin.post("/dashboard/users", data=form)
        assert again.status_code == 422 and "already" in again.text
        removed = await admin.post(
            "/dashboard/users", data={"csrf_token": token, "action": "remove", "email": "moi@example.vn"}
        )
        assert removed.status_code == 303
        assert "moi@example.vn" not in (await admin.get("/dashboard/users")).text
        audit = await admin.get("/dashboard/audit")
    assert audit.status_code == 200
    assert "user.add" in audit.text and "user.remove" in audit.text and "admin@example.vn" in audit.text


async def test_bad_users_are_refused_and_nothing_is_added(dashboard: Dashboard) -> None:
    async with dashboard.client() as admin:
        await dashboard.log_in(admin, "admin@example.vn")
        token = csrf_of((await admin.get("/dashboard/users")).text)
        for fields in (
            {"email": "not-an-email", "password": PASSWORD, "role": "viewer", "sites": "vnexpress"},
            {"email": "a@example.vn", "password": "short", "role": "viewer", "sites": "vnexpress"},
            {"email": "a@example.vn", "password": PASSWORD, "role": "owner", "sites": "vnexpress"},
            {"email": "a@example.vn", "password": PASSWORD, "role": "viewer", "sites": ""},
            {"email": "a@example.vn", "password": PASSWORD, "role": "viewer", "sites": "Bad Site"},
        ):
            response = await admin.post("/dashboard/users", data={"csrf_token": token, "action": "add", **fields})
            assert response.status_code == 422, fields
        assert "a@example.vn" not in (await admin.get("/dashboard/users")).text


async def test_only_admins_see_users_and_the_audit_log(dashboard: Dashboard) -> None:
    async with dashboard.client() as editor:
        await dashboard.log_in(editor, "editor@example.vn")
        overview = await editor.get("/dashboard/")
        assert "/dashboard/users" not in overview.text
        assert (await editor.get("/dashboard/users")).status_code == 403
        assert (await editor.get("/dashboard/audit")).status_code == 403
        form = {"csrf_token": csrf_of(overview.text), "action": "remove", "email": "admin@example.vn"}
        assert (await editor.post("/dashboard/users", data=form)).status_code == 403
    async with dashboard.client() as admin:
        await dashboard.log_in(admin, "admin@example.vn")
        assert "admin@example.vn" in (await admin.get("/dashboard/users")).text


async def test_users_changes_need_the_csrf_token(dashboard: Dashboard) -> None:
    async with dashboard.client() as admin:
        await dashboard.log_in(admin, "admin@example.vn")
        response = await admin.post("/dashboard/users", data={"action": "remove", "email": "editor@example.vn"})
        assert response.status_code == 403
        assert "editor@example.vn" in (await admin.get("/dashboard/users")).text
