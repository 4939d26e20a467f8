"""The signed-in member's notifications in a workspace: list, open (marks read), mark all read, and how
they are e-mailed (right away, once a day, never)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from collaboration import services
from collaboration.access import get_notification_for_member
from collaboration.forms import NotificationPreferenceForm
from collaboration.selectors import notification_email_mode, notifications_for_member
from collaboration.services.notifications import notification_preference_set
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25


@access.workspace_view()
@require_GET
def notification_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    page = Paginator(notifications_for_member(membership), PAGE_SIZE).get_page(request.GET.get("page"))
    preference_form = NotificationPreferenceForm(initial={"email": notification_email_mode(membership.user)})
    return render(request, "collaboration/notification_list.html", {"page": page, "preference_form": preference_form})


@access.workspace_view()
@require_POST
def notification_mark_all_read(request: HttpRequest, membership: Membership) -> HttpResponse:
    count = services.notification_mark_read(recipient=membership.user, workspace=membership.workspace)
    if count:
        messages.success(
            request,
            ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
            % {"count": count},
        )
    return redirect("collaboration:notification-list", slug=membership.workspace.slug)


@access.workspace_view()
@require_POST
def notification_open(request: HttpRequest, membership: Membership, notification_id: int) -> HttpResponse:
    """Mark the notification read and follow its link, which is only ever a path on this site."""
    notification = get_notification_for_member(membership, notification_id)
    services.notification_mark_read(recipient=membership.user, ids=[notification.pk])
    # notification_send refuses other URLs; this second check keeps a row written any other way
    # (admin, shell, an older bug) from turning this view into an open redirect.
    if notification.url and services.is_local_url(notification.url):
        return HttpResponseRedirect(notification.url)
    return redirect("collaboration:notification-list", slug=membership.workspace.slug)


@access.workspace_view()
@require_POST
def notification_preferences(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Save how the user wants notifications e-mailed (for every workspace: it is the user's choice).
    htmx gets the form back; a plain form goes back to the notifications page."""
    form = NotificationPreferenceForm(request.POST)
    saved = form.is_valid()
    if saved:
        notification_preference_set(user=membership.user, email=form.cleaned_data["email"])
    if request.headers.get("HX-Request"):
        context = {"preference_form": form, "saved": saved}
        return render(request, "collaboration/_notification_preference.html", context, status=200 if saved else 400)
    if saved:
        messages.success(request, _("Saved. This applies to all your workspaces."))
    else:
        messages.error(request, _("Choose one of the options."))
    return redirect("collaboration:notification-list", slug=membership.workspace.slug)
