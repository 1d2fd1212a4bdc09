"""The domain's errors: plain exceptions that know nothing of HTTP. The HTTP edge turns each into
a status and a JSON error in one place (`feedback/api/errors.py`); the CLI into a message."""

from __future__ import annotations


class FeedbackError(Exception):
    """Something a client or an operator can act on."""


class InvalidInput(FeedbackError, ValueError):
    """A value a client sent that cannot be taken: `code` names the problem, `message` explains it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UnknownSite(FeedbackError, LookupError):
    def __init__(self, site_id: str) -> None:
        super().__init__(f"There is no site {site_id!r}.")
        self.site_id = site_id


class RateLimited(FeedbackError):
    """Too many requests of one kind (`what`: "votes", "comments") from one reader or address."""

    def __init__(self, what: str, retry_after_ms: int) -> None:
        super().__init__(f"too many {what}; retry after {retry_after_ms} ms")
        self.what = what
        self.retry_after_ms = retry_after_ms

    @property
    def retry_after_seconds(self) -> int:
        return max(1, -(-self.retry_after_ms // 1000))  # whole seconds, rounded up


class ArticleBusy(FeedbackError):
    """A cold article could not be loaded into Redis (SQLite kept changing under the read): its
    requests fail, to be tried again, the others in their batch not."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RestoreUnfinished(FeedbackError):
    """A restored archive is in place, but Redis could not be brought in line with it."""


class NewSiteNeedsOrigins(FeedbackError):
    """A site is created with at least one allowed origin."""

    def __init__(self, site_id: str) -> None:
        super().__init__(f"site {site_id} is new: give at least one origin")
        self.site_id = site_id


class EmailTaken(FeedbackError):
    def __init__(self, email: str) -> None:
        super().__init__(f"there is a user {email} already")
        self.email = email


class LoginRefused(FeedbackError):
    """Wrong e-mail or password (which of the two is not said)."""


class LoginLocked(FeedbackError):
    """Too many failed logins for this account or from this address: refused, even with the
    right password, until the window passes."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds
