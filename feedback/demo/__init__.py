"""The demo article page that `make run` opens: a sample article with its rating box."""

from feedback.demo.page import article_page

__all__ = ["article_page"]
