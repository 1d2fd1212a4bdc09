"""What a request's path names: its site, and its article."""

from __future__ import annotations

from starlette.requests import Request

from feedback import validation
from feedback.errors import ApiError
from feedback.models import Site
from feedback.services import Services


async def site_request(request: Request) -> tuple[Services, Site]:
    services: Services = request.scope["state"]["services"]  # the lifespan's state, as the CORS middleware reads it
    site = await services.sites.get(request.path_params["site"])
    if site is None:
        raise ApiError(404, "unknown_site", f"There is no site {request.path_params['site']!r}.")
    return services, site


async def article_request(request: Request) -> tuple[Services, Site, str]:
    services, site = await site_request(request)
    return services, site, validation.article_id(request.path_params["article"])
