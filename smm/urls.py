from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from collaboration.views import approvals as collaboration_approvals
from listening.views import imports as listening_imports
from publishing.views import public as publishing_public
from smm.accounts import views as account_views
from smm.accounts import workspace_views
from smm.lib.health import healthz
from smm.networks import views as network_views
from smm.networks.bluesky import views as bluesky_views
from smm.networks.mastodon import views as mastodon_views

admin.site.site_header = "smm"

workspace_patterns: list[URLPattern | URLResolver] = [
    path("", workspace_views.dashboard, name="workspace-dashboard"),
    path("members/", workspace_views.members, name="workspace-members"),
    path("members/invite/", workspace_views.invitation_create, name="workspace-invite"),
    path("members/<int:member_id>/", workspace_views.member_detail, name="workspace-member"),
    path("members/<int:member_id>/role/", workspace_views.member_role, name="workspace-member-role"),
    path("members/<int:member_id>/remove/", workspace_views.member_remove, name="workspace-member-remove"),
    path(
        "members/<int:member_id>/accounts/<int:account_id>/",
        workspace_views.member_account_level,
        name="workspace-member-account",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/", workspace_views.invitation_revoke, name="workspace-invitation-revoke"
    ),
    path("accounts/", network_views.accounts_list, name="workspace-accounts"),
    path("accounts/connect/mastodon/", mastodon_views.connect, name="workspace-connect-mastodon"),
    path("accounts/connect/bluesky/", bluesky_views.connect, name="workspace-connect-bluesky"),
    path("accounts/<int:account_id>/", workspace_views.account_detail, name="workspace-account"),
    path(
        "accounts/<int:account_id>/avatar/<str:version>.webp",
        network_views.account_avatar,
        name="workspace-account-avatar",
    ),
    path("accounts/<int:account_id>/check/", network_views.account_check, name="workspace-account-check"),
    path(
        "accounts/<int:account_id>/disconnect/", network_views.account_disconnect, name="workspace-account-disconnect"
    ),
    path("publishing/", include("publishing.urls")),
    path("inbox/", include("participation.urls")),
    path("community/", include("participation.urls_community")),
    path("contests/", include("participation.urls_contests")),
    path("ideas/", include("participation.urls_ideas")),
    path("listening/", include("listening.urls")),
    path("", include("collaboration.urls")),
    path("settings/", workspace_views.workspace_settings, name="workspace-settings"),
    path("audit/", workspace_views.audit_log, name="workspace-audit"),
    path("audit/export.csv", workspace_views.audit_export, name="workspace-audit-export"),
]

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("api/listening/import/", listening_imports.import_api, name="listening-import-api"),
    path("s/<str:code>", publishing_public.short_link, name="short-link"),
    path("review/<str:token>/", collaboration_approvals.review, name="review"),
    path("review/<str:token>/media/<int:asset_id>/", collaboration_approvals.review_media, name="review-media"),
    path("i18n/language/", account_views.language_set, name="language-set"),
    path("account/", include("smm.accounts.urls")),
    path("workspaces/new/", workspace_views.workspace_new, name="workspace-new"),
    path("networks/mastodon/callback/", mastodon_views.callback, name="mastodon-callback"),
    path("w/<slug:slug>/", include(workspace_patterns)),
    path("p/<slug:slug>/contests/", include("participation.urls_public_contests")),
    path("p/<slug:slug>/ideas/", include("participation.urls_public_ideas")),
    path("admin/", admin.site.urls),
]
