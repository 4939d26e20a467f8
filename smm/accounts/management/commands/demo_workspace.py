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
            bluesky = ConnectedAccount.objects.create(
                workspace=workspace, network=ConnectedAccount.Network.BLUESKY, handle="demo-oy.bsky.example", **demo
            )
            owner = Membership.objects.get(workspace=workspace, user=admin)
            editor = Membership.objects.get(workspace=workspace, user__email=TEAM[0][0])
            services.account_permission_set(
                membership=editor, account=mastodon, level=AccountLevel.MANAGE, actor_membership=owner
            )
            _demo_plan(workspace, owner, [mastodon, bluesky])
            services.workspace_create(name="Kahvila Aroma (agency client)", owner=admin, language="fi")
        self.stdout.write(self.style.SUCCESS("\nDemo workspace created. Sign in at http://127.0.0.1:8000/ with"))
        self.stdout.write(f"    email:    {ADMIN_EMAIL}\n    password: {password}\n")
        self.stdout.write("This password is shown only once.\n")


# A week of example posts (Finnish, like the demo workspace): drafts and scheduled ones, a campaign,
# labels, queue times and a rhythm, so the calendar and lists show what they are for.
DEMO_POSTS = [
    (1, "10:00", "Kevään uutuudet ovat täällä! Tule katsomaan myymälään tai verkkokauppaan.", "Tuotteet"),
    (
        2,
        "12:30",
        "Tiimimme esittäytyy: tänään vuorossa asiakaspalvelun Anna. Mikä on parasta työssäsi, Anna?",
        "Kulissien takaa",
    ),
    (3, "09:00", "Vinkki: näin hoidat puutarhakalusteet kuntoon ennen kesää.", "Vinkit"),
    (5, "15:00", "Kiitos kaikille kevätkampanjaan osallistuneille! Voittajat julkaistaan maanantaina.", "Tuotteet"),
]


def _demo_plan(workspace: Workspace, owner: Membership, accounts: list[ConnectedAccount]) -> None:
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from publishing.models import Campaign, Label
    from publishing.services.posts import PostInput, When, post_save
    from publishing.services.queues import plan_set, queue_set_slots

    campaign = Campaign.objects.create(
        workspace=workspace, name="Kevät 2027", color="#198754", utm_campaign="kevat2027", shorten_links=True
    )
    labels = {name: Label.objects.create(workspace=workspace, name=name) for name in {row[3] for row in DEMO_POSTS}}
    for account in accounts:
        queue_set_slots(account=account, slots=[(day, time(9, 30)) for day in range(5)])
        plan_set(account=account, posts_per_period=3, period="week")
    today = timezone.localdate(timezone=None)
    for offset, clock, text, label in DEMO_POSTS:
        day = today + timedelta(days=7 + offset)
        post_save(
            membership=owner,
            data=PostInput(text=text, accounts=accounts, campaign=campaign, labels=[labels[label]]),
            when=When.AT,
            at_local=datetime.combine(day, time.fromisoformat(clock)),
            zone=workspace.timezone,
            confirmed=True,
        )
    post_save(
        membership=owner,
        data=PostInput(text="Luonnos: kesän aukioloajat (tarkista päivämäärät ennen ajastusta).", accounts=accounts),
        when=When.DRAFT,
    )
