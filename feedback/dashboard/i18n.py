"""The dashboard's words in Vietnamese and English, and which of the two a request gets: the
user's choice, else the browser's (Accept-Language), else Vietnamese."""

from __future__ import annotations

from feedback.models import Language

STRINGS: dict[Language, dict[str, str]] = {
    "vi": {
        "dashboard": "Bảng điều khiển",
        "login": "Đăng nhập",
        "email": "Email",
        "password": "Mật khẩu",
        "login_refused": "Email hoặc mật khẩu không đúng.",
        "login_locked": "Đăng nhập sai quá nhiều lần: vui lòng thử lại sau {minutes} phút.",
        "logout": "Đăng xuất",
        "overview": "Tổng quan",
        "site": "Trang",
        "votes": "Lượt đánh giá",
        "average": "Điểm trung bình",
        "articles": "Bài viết được đánh giá",
        "pending": "Chờ duyệt",
        "approved": "Đã duyệt",
        "rejected": "Đã từ chối",
        "spam": "Spam",
        "moderation": "Duyệt bình luận",
        "as_of": "Số liệu lúc {time}",
        "article": "Bài viết",
        "author": "Người viết",
        "comment": "Bình luận",
        "time": "Thời gian",
        "approve": "Duyệt",
        "reject": "Từ chối",
        "mark_spam": "Đánh dấu spam",
        "delete": "Xóa",
        "select": "Chọn",
        "no_comments": "Không có bình luận nào.",
        "decided": "Đã xử lý {n} bình luận.",
        "forbidden": "Bạn không có quyền làm việc này.",
        "not_found": "Không tìm thấy trang này.",
        "reader": "Bạn đọc",
        "bad_export": "Yêu cầu xuất dữ liệu không hợp lệ: what=ratings|events|comments, format=csv|json, "
        "from/to=YYYY-MM-DD.",
        "export": "Xuất dữ liệu",
        "articles_title": "Bài viết",
        "search": "Tìm",
        "matching": "{n} bài viết",
        "ranked": "Xếp hạng",
        "distribution": "Phân bố",
        "last_activity": "Hoạt động gần nhất",
        "pages": "Trang",
    },
    "en": {
        "dashboard": "Dashboard",
        "login": "Log in",
        "email": "E-mail",
        "password": "Password",
        "login_refused": "Wrong e-mail or password.",
        "login_locked": "Too many failed logins: please try again in {minutes} minutes.",
        "logout": "Log out",
        "overview": "Overview",
        "site": "Site",
        "votes": "Ratings",
        "average": "Average",
        "articles": "Articles rated",
        "pending": "Pending",
        "approved": "Approved",
        "rejected": "Rejected",
        "spam": "Spam",
        "moderation": "Moderation",
        "as_of": "As of {time}",
        "article": "Article",
        "author": "Author",
        "comment": "Comment",
        "time": "Time",
        "approve": "Approve",
        "reject": "Reject",
        "mark_spam": "Mark as spam",
        "delete": "Delete",
        "select": "Select",
        "no_comments": "No comments.",
        "decided": "{n} comments done.",
        "forbidden": "You may not do this.",
        "not_found": "There is no such page.",
        "reader": "Reader",
        "bad_export": "Not a valid export: what=ratings|events|comments, format=csv|json, from/to=YYYY-MM-DD.",
        "export": "Export",
        "articles_title": "Articles",
        "search": "Search",
        "matching": "{n} articles",
        "ranked": "Ranked",
        "distribution": "Distribution",
        "last_activity": "Last activity",
        "pages": "Pages",
    },
}


def language(chosen: Language | None, accept_language: str) -> Language:
    if chosen is not None:
        return chosen
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in ("vi", "en"):
            return "en" if tag == "en" else "vi"
    return "vi"
