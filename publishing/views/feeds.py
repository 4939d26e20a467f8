"""RSS and Atom feeds: the list, one feed with its recent entries, add, edit, delete and "Check now"."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from publishing import access as publishing_access
from publishing.forms import AccountChoiceField
from publishing.models import Campaign, Feed
from publishing.services import feeds as services
from smm.accounts import access
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.selectors import account_access_for_member
from smm.networks.models import ConnectedAccount
from smm.networks.registry import is_enabled

PAGE_SIZE = 25
ENTRIES_PAGE_SIZE = 25


# Form (here rather than publishing/forms.py, which other parts of the app are still shaping) --------
def publishable_accounts(membership: Membership) -> list[ConnectedAccount]:
    """Connected accounts of enabled networks the member may publish to."""
    return [
        row.account
        for row in account_access_for_member(membership)
        if row.effective >= AccountLevel.PUBLISH and row.account.is_connected and is_enabled(row.account.network)
    ]


class FeedForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.URLField(
        label=gettext_lazy("Feed address"),
        max_length=1000,
        assume_scheme="https",
        help_text=gettext_lazy("The address of the RSS or Atom feed, for example https://example.com/feed.xml."),
    )
    accounts = AccountChoiceField(
        label=gettext_lazy("Accounts"),
        queryset=ConnectedAccount.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one account.")},
        help_text=gettext_lazy("Each new entry becomes one post for these accounts."),
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=gettext_lazy("No campaign"),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("New entries"),
        choices=Feed.Mode.choices,
        initial=Feed.Mode.DRAFT,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Queued posts take each account’s next free queue time. If an account has none, the post is saved "
            "as a draft instead and the feed says why."
        ),
    )
    template = forms.CharField(
        label=gettext_lazy("Text template"),
        initial="{title} {link}",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Use {title}, {link}, {summary} and {author}. The summary is shortened so that the post fits "
            "every chosen account."
        ),
    )
    enabled = forms.BooleanField(label=gettext_lazy("Check this feed regularly"), required=False, initial=True)

    def __init__(self, *args: Any, membership: Membership, feed: Feed | None = None, **kwargs: Any) -> None:
        if feed is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": feed.name,
                    "url": feed.url,
                    "accounts": list(feed.accounts.all()),
                    "campaign": feed.campaign,
                    "mode": feed.mode,
                    "template": feed.template,
                    "enabled": feed.enabled,
                },
            )
        super().__init__(*args, **kwargs)
        # Accounts already on the feed stay choosable, so that saving does not drop an account the
        # editor cannot publish to themselves.
        allowed = {account.pk for account in publishable_accounts(membership)}
        if feed is not None:
            allowed |= set(feed.accounts.values_list("pk", flat=True))
        account_field = cast(forms.ModelMultipleChoiceField, self.fields["accounts"])
        account_field.queryset = ConnectedAccount.objects.filter(pk__in=allowed)
        campaign_field = cast(forms.ModelChoiceField, self.fields["campaign"])
        campaigns = Q(archived=False)
        if feed is not None and feed.campaign_id:
            campaigns |= Q(pk=feed.campaign_id)
        campaign_field.queryset = Campaign.objects.filter(campaigns, workspace_id=membership.workspace_id)
        self.fields["campaign"].widget.attrs["class"] = "form-select"

    def clean_template(self) -> str:
        template = str(self.cleaned_data["template"]).strip()
        services.validate_feed_template(template)
        return template

    def feed_input(self) -> services.FeedInput:
        data = self.cleaned_data
        return services.FeedInput(
            name=data["name"],
            url=data["url"],
            accounts=list(data["accounts"]),
            campaign=data["campaign"],
            mode=data["mode"],
            template=data["template"],
            enabled=data["enabled"],
        )


# Pages ---------------------------------------------------------------------------------------------
@access.workspace_view()
def feed_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    feeds = (
        Feed.objects.filter(workspace_id=membership.workspace_id)
        .select_related("campaign")
        .prefetch_related("accounts")
        .annotate(entry_count=Count("entries"), post_count=Count("entries", filter=Q(entries__post__isnull=False)))
        .order_by("name", "pk")
    )
    page = Paginator(feeds, PAGE_SIZE).get_page(request.GET.get("page"))
    troubled = list(
        Feed.objects.filter(workspace_id=membership.workspace_id, enabled=True)
        .exclude(last_error="")
        .order_by("name")
        .values_list("pk", "name")
    )
    context = {
        "page": page,
        "troubled": troubled,
        "interval": services.POLL_INTERVAL_MINUTES,
        "cap": services.MAX_POSTS_PER_POLL,
    }
    return render(request, "publishing/feed_list.html", context)


@access.workspace_view()
def feed_detail(request: HttpRequest, membership: Membership, feed_id: int) -> HttpResponse:
    feed = publishing_access.get_feed_for_user(membership, feed_id)
    entries = feed.entries.select_related("post").order_by("-created_at", "-pk")
    page = Paginator(entries, ENTRIES_PAGE_SIZE).get_page(request.GET.get("page"))
    post_ids = [entry.post_id for entry in page if entry.post_id]
    # Link only to posts the member may open (a post on accounts they cannot see would be a 404).
    visible = set(publishing_access.visible_posts(membership).filter(pk__in=post_ids).values_list("pk", flat=True))
    counts = feed.entries.aggregate(entries=Count("pk"), posts=Count("pk", filter=Q(post__isnull=False)))
    context = {
        "feed": feed,
        "page": page,
        "visible_post_ids": visible,
        "counts": counts,
        "accounts": list(feed.accounts.all()),
        "cap": services.MAX_POSTS_PER_POLL,
        "interval": services.POLL_INTERVAL_MINUTES,
    }
    return render(request, "publishing/feed_detail.html", context)


@access.workspace_view("can_publish")
def feed_edit(request: HttpRequest, membership: Membership, feed_id: int | None = None) -> HttpResponse:
    """GET the form; POST adds the feed (no `feed_id`) or saves it."""
    feed = publishing_access.get_feed_for_user(membership, feed_id, write=True) if feed_id else None
    form = FeedForm(request.POST or None, membership=membership, feed=feed)
    if request.method == "POST" and form.is_valid():
        try:
            if feed is None:
                feed = services.feed_create(membership=membership, data=form.feed_input())
                messages.success(
                    request,
                    _(
                        "Feed added. Its first check records the entries it lists now without posting them; "
                        "entries published after that become posts."
                    ),
                )
            else:
                feed = services.feed_update(membership=membership, feed=feed, data=form.feed_input())
                messages.success(request, _("Feed saved."))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("publishing:feed-detail", slug=membership.workspace.slug, feed_id=feed.pk)
    context = {"form": form, "feed": feed}
    return render(request, "publishing/feed_form.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_publish")
def feed_delete(request: HttpRequest, membership: Membership, feed_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the feed (the posts it made stay)."""
    feed = publishing_access.get_feed_for_user(membership, feed_id, write=True)
    if request.method == "POST":
        services.feed_delete(membership=membership, feed=feed)
        messages.success(request, _("Feed “%(name)s” deleted. The posts it made are kept.") % {"name": feed.name})
        return redirect("publishing:feeds", slug=membership.workspace.slug)
    context = {"feed": feed, "post_count": feed.entries.filter(post__isnull=False).count()}
    return render(request, "publishing/feed_delete.html", context)


@access.workspace_view("can_publish")
@require_POST
def feed_check(request: HttpRequest, membership: Membership, feed_id: int) -> HttpResponse:
    """Check the feed now, in this request, and say what came of it."""
    feed = publishing_access.get_feed_for_user(membership, feed_id, write=True)
    result = services.feed_poll(feed=feed)
    if result.error:
        messages.error(request, _("The feed could not be checked. %(error)s") % {"error": result.error})
    elif result.not_modified:
        messages.info(request, _("Checked: nothing has changed since the last check."))
    elif result.first_check:
        messages.success(
            request,
            ngettext(
                "First check: %(count)s entry recorded and not posted. Entries published from now on become posts.",
                "First check: %(count)s entries recorded and not posted. Entries published from now on become posts.",
                result.new_entries,
            )
            % {"count": result.new_entries},
        )
    else:
        entries = ngettext("%(count)s new entry", "%(count)s new entries", result.new_entries) % {
            "count": result.new_entries
        }
        posts = ngettext("%(count)s post made", "%(count)s posts made", result.posts_created) % {
            "count": result.posts_created
        }
        messages.success(request, _("Checked: %(entries)s, %(posts)s.") % {"entries": entries, "posts": posts})
    for note in result.notes:
        messages.warning(request, note)
    return redirect("publishing:feed-detail", slug=membership.workspace.slug, feed_id=feed.pk)
