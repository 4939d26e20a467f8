"""The team pages: outside-agency members, and each member's accounts and levels on the list."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from smm.accounts.models import AccountLevel, AccountPermission, AuditEvent, Membership
from tests.factories import make_account, make_member
from tests.fixtures import Personas


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _member_url(personas: Personas, member: Membership) -> str:
    return reverse("workspace-member", args=[personas.workspace.slug, member.pk])


def _row(content: str, member: Membership) -> str:
    """The members list's table row of one member."""
    return content.split(f'id="member-{member.pk}"', 1)[1].split("</tr>", 1)[0]


# Outside agencies --------------------------------------------------------------------------------
def test_an_admin_marks_a_member_as_from_an_agency_and_it_is_audited(personas: Personas) -> None:
    member = personas.membership(personas.editor)

    response = _client(personas.admin).post(_member_url(personas, member), {"agency": "  Mainostoimisto   Oy "})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.agency == "Mainostoimisto Oy"
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_ROLE_CHANGED)
    assert event.actor == personas.admin
    assert event.target == personas.editor.email
    assert event.data["agency"] == "Mainostoimisto Oy"
    assert event.details == "agency: – → Mainostoimisto Oy"


def test_an_admin_marks_an_agency_member_as_staff_again(personas: Personas) -> None:
    member = personas.membership(personas.editor)
    Membership.objects.filter(pk=member.pk).update(agency="Mainostoimisto Oy")

    response = _client(personas.owner).post(
        _member_url(personas, member), {"agency": "Mainostoimisto Oy", "clear": "1"}, follow=True
    )

    member.refresh_from_db()
    assert member.agency == ""
    assert "is marked as staff" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_ROLE_CHANGED)
    assert event.data["agency"] == ""


def test_saving_the_same_agency_records_nothing(personas: Personas) -> None:
    member = personas.membership(personas.editor)
    Membership.objects.filter(pk=member.pk).update(agency="Mainostoimisto Oy")
    _client(personas.owner).post(_member_url(personas, member), {"agency": "Mainostoimisto Oy"})
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_ROLE_CHANGED).exists()


def test_only_an_owner_changes_an_owners_agency(personas: Personas) -> None:
    owner = personas.membership(personas.owner)
    client = _client(personas.admin)
    assert 'name="agency"' not in client.get(_member_url(personas, owner)).content.decode()

    response = client.post(_member_url(personas, owner), {"agency": "Mainostoimisto Oy"})

    assert response.status_code == 400
    assert "Only an owner can change an owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.agency == ""


def test_a_too_long_agency_name_is_refused(personas: Personas) -> None:
    member = personas.membership(personas.editor)
    response = _client(personas.owner).post(_member_url(personas, member), {"agency": "x" * 101})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.agency == ""


def test_the_members_list_and_member_page_mark_agency_members(personas: Personas) -> None:
    member = personas.membership(personas.contributor)
    Membership.objects.filter(pk=member.pk).update(agency="Mainostoimisto Oy")

    content = _client(personas.viewer).get(reverse("workspace-members", args=[personas.workspace.slug]))
    row = _row(content.content.decode(), member)
    assert "data-agency" in row
    assert "Mainostoimisto Oy" in row
    assert "data-agency" not in _row(content.content.decode(), personas.membership(personas.editor))

    page = _client(personas.admin).get(_member_url(personas, member)).content.decode()
    assert "Mainostoimisto Oy" in page


# Accounts on the members list --------------------------------------------------------------------
def test_the_members_list_shows_each_members_accounts_and_levels(personas: Personas) -> None:
    board = make_account(personas.workspace, "@board@mastodon.example")
    editor = personas.membership(personas.editor)
    AccountPermission.objects.create(membership=editor, account=personas.account, level=AccountLevel.VIEW)
    AccountPermission.objects.create(membership=editor, account=board, level=AccountLevel.NONE)

    content = _client(personas.owner).get(reverse("workspace-members", args=[personas.workspace.slug]))

    editor_row = _row(content.content.decode(), editor)
    assert "@acme@mastodon.example" in editor_row
    assert "View" in editor_row
    assert "@board@mastodon.example" not in editor_row  # no access: not listed
    owner_row = _row(content.content.decode(), personas.membership(personas.owner))
    assert "@board@mastodon.example" in owner_row
    assert "Manage" in owner_row


def test_a_member_sees_only_accounts_they_may_see_themselves(personas: Personas) -> None:
    board = make_account(personas.workspace, "@board@mastodon.example")
    AccountPermission.objects.create(
        membership=personas.membership(personas.viewer), account=board, level=AccountLevel.NONE
    )
    content = _client(personas.viewer).get(reverse("workspace-members", args=[personas.workspace.slug]))
    assert "@board@mastodon.example" not in content.content.decode()
    assert "@acme@mastodon.example" in content.content.decode()


def test_the_members_list_reads_in_a_bounded_number_of_queries(
    personas: Personas, django_assert_max_num_queries
) -> None:
    client = _client(personas.owner)
    url = reverse("workspace-members", args=[personas.workspace.slug])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(12):
        member = make_member(personas.workspace, Membership.Role.EDITOR)
        account = make_account(personas.workspace)
        AccountPermission.objects.create(membership=member, account=account, level=AccountLevel.MANAGE)
        if number % 2:
            Membership.objects.filter(pk=member.pk).update(agency="Mainostoimisto Oy")

    with django_assert_max_num_queries(len(few)):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('id="member-') == 17
