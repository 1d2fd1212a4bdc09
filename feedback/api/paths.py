"""What a request names: its site and article in the path, and the services that serve it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from feedback import validation
from feedback.errors import UnknownSite
from feedback.models import ArticleAbout, Site
from feedback.services import Services


async def site_request(request: Request) -> tuple[Services, Site]:
    services: Services = request.scope["state"]["services"]  # the lifespan's state, as the CORS middleware reads it
    site = await services.sites.get(request.path_params["site"])
    if site is None:
        raise UnknownSite(request.path_params["site"])
    return services, site


async def article_request(request: Request) -> tuple[Services, Site, str]:
    services, site = await site_request(request)
    return services, site, validation.article_id(request.path_params["article"])


def article_about(body: dict[str, Any], site: Site) -> ArticleAbout | None:
    """The article's title and address, when the request's body gives them."""
    title = validation.article_title(body.get("title"))
    url = validation.article_url(body.get("url"), site.origins)
    return ArticleAbout(title, url) if title is not None or url is not None else None
