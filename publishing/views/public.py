"""Public pages of publishing: smm short links (no sign-in; they are in published posts)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from publishing.services.links import short_link_follow


@require_GET
@never_cache
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """Count the click and redirect to the link's target (which came from the team, http(s) only)."""
    url = short_link_follow(code=code, request=request)
    if url is None or not url.startswith(("https://", "http://")):
        raise Http404
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response
