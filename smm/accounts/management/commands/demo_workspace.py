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
            _demo_inbox(workspace, owner, editor, mastodon, bluesky)
            _demo_community(workspace, owner, editor)
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


# What a working inbox looks like: a comment on a published post, a complaint, a question in a
# direct message, an English mention and a rude reply, stored the way collection stores them (so
# the rules tag and assign them), with saved replies (one a friendly warning) and two rules.
DEMO_INBOX = [
    # (account, kind, author, name, text, on our post, hours ago)
    ("mastodon", "reply", "maija", "Maija M.", "Ihania uutuuksia! Onko näitä myös Tampereen myymälässä?", True, 5),
    (
        "bluesky",
        "mention",
        "liisa",
        "Liisa K.",
        "@demo-oy.bsky.example tilaukseni on ollut viikon myöhässä eikä kukaan vastaa. Todella huono palvelu.",
        False,
        3,
    ),
    ("mastodon", "direct", "pekka", "Pekka", "Hei! Voinko palauttaa verkkokaupasta ostetun takin myymälään?", False, 2),
    ("mastodon", "mention", "sven", "Sven", "@demo_oy@mastodon.example Hi! Do you ship to Sweden?", False, 1),
    ("bluesky", "reply", "trolli", "trolli", "Mainoksia mainosten perään, ihan roskaa koko firma.", True, 0),
]


def _demo_inbox(
    workspace: Workspace,
    owner: Membership,
    editor: Membership,
    mastodon: ConnectedAccount,
    bluesky: ConnectedAccount,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from participation.models import InboxTag
    from participation.services.collection import store_notification
    from participation.services.rules import rules_run
    from participation.services.setup import rule_save, saved_reply_create
    from publishing.models import Post, Target
    from smm.networks.base import Notification, RemotePost

    tag = InboxTag.objects.create(workspace=workspace, name="Reklamaatio", color="#dc3545")
    returns = InboxTag.objects.create(workspace=workspace, name="Palautukset", color="#0d6efd")
    saved_reply_create(
        workspace_id=workspace.pk,
        title="Kiitos palautteesta",
        body="Kiitos {author_name}, kun kerroit! Selvitämme asian ja palaamme asiaan pian. – {account}",
        is_warning=False,
    )
    saved_reply_create(
        workspace_id=workspace.pk,
        title="Ystävällinen muistutus",
        body="Hei {author_name}, toivomme asiallista keskustelua. Asiattomat viestit piilotetaan. – {account}",
        is_warning=True,
    )
    rule_save(
        membership=owner,
        rule=None,
        name="Negatiivinen palaute Eevalle",
        enabled=True,
        position=0,
        conditions={"sentiments": ["negative"]},
        actions={"tag": tag.pk, "assign": editor.user_id},
    )
    rule_save(
        membership=owner,
        rule=None,
        name="Palautuskysymykset",
        enabled=True,
        position=1,
        conditions={"words": ["palauttaa", "palautus"]},
        actions={"tag": returns.pk},
    )
    now = timezone.now()
    accounts = {"mastodon": mastodon, "bluesky": bluesky}
    roots = {}
    for network, account in accounts.items():
        post = Post.objects.create(
            workspace=workspace,
            author=owner.user,
            text="Syksyn mallisto on nyt myymälöissä!",
            status=Post.Status.PUBLISHED,
        )
        roots[network] = f"demo-{network}-autumn"
        Target.objects.create(
            post=post,
            account=account,
            status=Target.Status.PUBLISHED,
            remote_id=roots[network],
            published_at=now - timedelta(days=1),
        )
    stored = []
    for number, (network, kind, author, name, text, on_ours, hours) in enumerate(DEMO_INBOX):
        account = accounts[network]
        handle = f"@{author}@mastodon.example" if network == "mastodon" else f"{author}.bsky.example"
        when = now - timedelta(hours=hours, minutes=7 * number)
        remote = RemotePost(
            remote_id=f"demo-{number}",
            url="",
            text=text,
            created_at=when,
            author_handle=handle,
            author_display_name=name,
            reply_to=roots[network] if on_ours else None,
            thread_root=roots[network] if on_ours else None,
            author_id=f"demo-{author}",
            visibility="direct" if kind == "direct" else "public",
        )
        notification = Notification(
            remote_id=f"demo-n{number}",
            kind=kind,
            created_at=when,
            author_id=f"demo-{author}",
            author_handle=handle,
            author_display_name=name,
            post=remote,
        )
        item_id = store_notification(account, notification)
        if item_id is not None:
            stored.append(item_id)
    rules_run(item_ids=stored)
    _demo_inbox_history(workspace, [owner, editor], accounts, now)


# Answered and closed conversations of the last four weeks, so the response-time report has data:
# (account, author, text, days ago, minutes to the first reply, hours to closing).
DEMO_ANSWERED = [
    ("mastodon", "aino", "Onko lahjakortteja myynnissä verkossa?", 26, 14, 2),
    ("bluesky", "jussi", "Milloin talvitakit tulevat?", 24, 48, 20),
    ("mastodon", "kaisa", "Tilaukseni tuli rikkinäisenä.", 19, 95, 30),
    ("bluesky", "olli", "Kiitos nopeasta toimituksesta!", 17, 22, 1),
    ("mastodon", "emma", "Do you have the scarf in green?", 12, 35, 3),
    ("bluesky", "timo", "Myymälän aukioloajat jouluna?", 10, 8, 1),
    ("mastodon", "sanna", "Palautus ei näy vielä tililläni.", 6, 130, 26),
    ("bluesky", "mikko", "Onko alennuskoodi voimassa?", 4, 19, 2),
]


def _demo_inbox_history(
    workspace: Workspace, members: list[Membership], accounts: dict[str, ConnectedAccount], now: Any
) -> None:
    from datetime import timedelta

    from participation.models import Conversation, InboxItem
    from participation.services.collection import store_notification
    from smm.networks.base import Notification, RemotePost

    for number, (network, author, text, days, minutes, hours) in enumerate(DEMO_ANSWERED):
        account = accounts[network]
        handle = f"@{author}@mastodon.example" if network == "mastodon" else f"{author}.bsky.example"
        when = now - timedelta(days=days, hours=number)
        remote = RemotePost(
            remote_id=f"demo-old-{number}",
            url="",
            text=text,
            created_at=when,
            author_handle=handle,
            author_display_name=author.title(),
            author_id=f"demo-{author}",
        )
        notification = Notification(
            remote_id=f"demo-old-n{number}",
            kind="mention",
            created_at=when,
            author_id=f"demo-{author}",
            author_handle=handle,
            author_display_name=author.title(),
            post=remote,
        )
        item_id = store_notification(account, notification)
        if item_id is None:
            continue
        item = InboxItem.objects.get(pk=item_id)
        Conversation.objects.filter(pk=item.conversation_id).update(
            status=Conversation.Status.CLOSED,
            first_response_at=when + timedelta(minutes=minutes),
            first_responder=members[number % len(members)].user,
            resolved_at=when + timedelta(hours=hours),
        )


def _demo_community(workspace: Workspace, owner: Membership, editor: Membership) -> None:
    """Segments, a reward programme, two customer ideas and a contest draft on the autumn post."""
    from datetime import timedelta

    from django.utils import timezone

    from participation.models import Contest, Idea, InboxItem, RewardAction
    from participation.services import community, contests, ideas, rewards
    from publishing.models import Target

    segments = {segment.builtin: segment for segment in community.segments_ensure(workspace)}
    programme = rewards.programme_save(
        workspace=workspace,
        name="Kanta-asiakkaat",
        description="Pisteitä aktiivisille asiakkaille: 100 pistettä = lahjakortti.",
        actor=owner.user,
    )
    for action, points, badge in (
        (RewardAction.ANSWERED_CUSTOMER, 10, "Auttaja"),
        (RewardAction.CONTEST_ENTRY, 5, ""),
        (RewardAction.IDEA_ACCEPTED, 20, "Ideoija"),
        (RewardAction.POSITIVE_MENTION, 2, ""),
    ):
        rewards.rule_save(programme=programme, action=action, points=points, badge=badge, actor=owner.user)
    items = InboxItem.objects.filter(workspace=workspace).select_related("contact")
    for item in items:
        rewards.item_awards(item=item)
    maija = items.filter(author_name="Maija M.").first()
    if maija is not None and maija.contact is not None:
        maija.contact.segments.add(segments["advocates"], segments["customers"])
    liisa = items.filter(author_name="Liisa K.").first()
    if liisa is not None and liisa.contact is not None:
        liisa.contact.segments.add(segments["critics"])
    pekka = items.filter(author_name="Pekka").first()
    if pekka is not None:
        idea = ideas.idea_from_item(item=pekka, actor=editor.user, title="Verkko-ostosten palautus myymälään")
        ideas.idea_vote(idea=idea, user=owner.user, vote=True)
        ideas.idea_vote(idea=idea, user=editor.user, vote=True)
        ideas.idea_set_status(idea=idea, membership=owner, status=Idea.Status.UNDER_REVIEW, tell=False)
    ideas.idea_create(
        workspace=workspace,
        actor=owner.user,
        title="Talvitakeille pidempi koko-opas",
        text="Asiakkaat kysyvät usein hihan pituutta: lisätään mitat tuotesivuille.",
    )
    community.scores_refresh()
    autumn = Target.objects.filter(post__workspace=workspace, remote_id="demo-mastodon-autumn").first()
    if autumn is not None:
        now = timezone.now()
        contests.contest_save(
            workspace_id=workspace.pk,
            values={
                "title": "Syyskampanjan arvonta",
                "prize": "100 euron lahjakortti",
                "rules_text": (
                    "Osallistu vastaamalla julkaisuun. Yksi osallistuminen henkilöä kohden. Voittaja arvotaan "
                    "kilpailun päätyttyä ja hänelle ilmoitetaan vastauksella. Järjestäjä: Demo Oy."
                ),
                "mechanic": Contest.Mechanic.REPLY,
                "opens_at": now + timedelta(days=1),
                "closes_at": now + timedelta(days=8),
                "timezone": "Europe/Helsinki",
            },
            targets=[autumn],
            user=owner.user,
        )
