"""Create the demo workspace and an admin login once; later runs change nothing."""

import secrets
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from smm.accounts import services
from smm.accounts.models import AccountLevel, Membership, User, Workspace
from smm.networks.models import ConnectedAccount

ADMIN_EMAIL = "admin@example.com"
DEMO_SLUG = "demo"
TEAM = [
    ("eeva.editor@example.com", "Eeva Editor", Membership.Role.EDITOR),
    ("kalle.contributor@example.com", "Kalle Contributor", Membership.Role.CONTRIBUTOR),
    ("ville.viewer@example.com", "Ville Viewer", Membership.Role.VIEWER),
]


class Command(BaseCommand):
    help = "Create a demo workspace with a team and an admin user, printing the login once."

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(email=ADMIN_EMAIL).exists():
            self.stdout.write(
                f"Demo data exists. Sign in as {ADMIN_EMAIL} "
                "(forgot the password? `.venv/bin/python manage.py changepassword admin@example.com`)."
            )
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            admin = User.objects.create_superuser(
                ADMIN_EMAIL, password, full_name="Demo Admin", timezone="Europe/Helsinki"
            )
            workspace = services.workspace_create(name="Demo Oy", owner=admin, language="fi")
            Workspace.objects.filter(pk=workspace.pk).update(slug=DEMO_SLUG)
            workspace.refresh_from_db()
            for email, name, role in TEAM:
                # Teammates have no password: they show how roles and account levels look.
                user = User.objects.create_user(email, None, full_name=name, timezone="Europe/Helsinki")
                Membership.objects.create(workspace=workspace, user=user, role=role)
            # Examples without access keys: they show the pages honestly as "reconnect needed"
            # until the team connects its real accounts.
            with translation.override(workspace.language):
                detail = gettext("A demo account without access keys. Connect your organisation's real account.")
            demo = {"status": ConnectedAccount.Status.RECONNECT, "status_detail": detail, "display_name": "Demo Oy"}
            mastodon = ConnectedAccount.objects.create(
                workspace=workspace,
                network=ConnectedAccount.Network.MASTODON,
                handle="@demo_oy@mastodon.example",
                config={"instance_url": "https://mastodon.example"},
                **demo,
            )
            ConnectedAccount.objects.create(
                workspace=workspace, network=ConnectedAccount.Network.BLUESKY, handle="demo-oy.bsky.example", **demo
            )
            owner = Membership.objects.get(workspace=workspace, user=admin)
            editor = Membership.objects.get(workspace=workspace, user__email=TEAM[0][0])
            services.account_permission_set(
                membership=editor, account=mastodon, level=AccountLevel.MANAGE, actor_membership=owner
            )
            services.workspace_create(name="Kahvila Aroma (agency client)", owner=admin, language="fi")
        self.stdout.write(self.style.SUCCESS("\nDemo workspace created. Sign in at http://127.0.0.1:8000/ with"))
        self.stdout.write(f"    email:    {ADMIN_EMAIL}\n    password: {password}\n")
        self.stdout.write("This password is shown only once.\n")
