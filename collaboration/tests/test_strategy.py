"""The strategy page: members read it; owners and admins edit each section with its own form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collaboration.models import Audience, ChannelPurpose, Objective, Strategy
from collaboration.services import strategy as services
from smm.accounts.models import AccountLevel, AccountPermission
from tests.factories import make_account
from tests.fixtures import Personas


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _titles(personas: Personas) -> list[str]:
    return list(Objective.objects.filter(workspace=personas.workspace).values_list("title", flat=True))


# Services ----------------------------------------------------------------------------------------
def test_objectives_keep_their_order_and_move_up_and_down(personas: Personas) -> None:
    first, second, third = (
        services.objective_create(workspace=personas.workspace, title=title) for title in ("One", "Two", "Three")
    )
    assert _titles(personas) == ["One", "Two", "Three"]

    services.objective_move(objective=third, offset=-1)
    assert _titles(personas) == ["One", "Three", "Two"]
    services.objective_move(objective=first, offset=1)
    assert _titles(personas) == ["Three", "One", "Two"]
    # At either end nothing moves.
    services.objective_move(objective=second, offset=1)
    services.objective_move(objective=third, offset=-1)
    assert _titles(personas) == ["Three", "One", "Two"]
    # A new objective goes last.
    services.objective_create(workspace=personas.workspace, title="Four")
    assert _titles(personas) == ["Three", "One", "Two", "Four"]


def test_objective_move_repairs_equal_positions(personas: Personas) -> None:
    a = Objective.objects.create(workspace=personas.workspace, title="A", position=0)
    b = Objective.objects.create(workspace=personas.workspace, title="B", position=0)
    services.objective_move(objective=b, offset=-1)
    assert _titles(personas) == ["B", "A"]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (b.position, a.position) == (1, 2)


def test_audience_names_are_unique_in_a_workspace(personas: Personas) -> None:
    students = services.audience_create(workspace=personas.workspace, name="Students")
    with pytest.raises(ValidationError, match="already a target audience"):
        services.audience_create(workspace=personas.workspace, name="students ")
    services.audience_create(workspace=personas.other_workspace, name="Students")
    # Renaming to its own name (or a new one) is fine; to another audience's name is not.
    services.audience_update(audience=students, name="Students", description="At universities")
    services.audience_create(workspace=personas.workspace, name="Alumni")
    with pytest.raises(ValidationError):
        services.audience_update(audience=students, name="ALUMNI")


def test_a_channel_takes_only_audiences_of_its_own_workspace(personas: Personas) -> None:
    foreign = services.audience_create(workspace=personas.other_workspace, name="Rivals' fans")
    with pytest.raises(ValidationError):
        services.channel_purpose_update(account=personas.account, purpose="News", audiences=[foreign])
    assert not ChannelPurpose.objects.exists()


# Pages -------------------------------------------------------------------------------------------
def test_an_admin_writes_a_section_and_every_member_reads_it(personas: Personas) -> None:
    url = reverse("collaboration:strategy-section", args=[personas.workspace.slug, "purpose"])

    response = _client(personas.admin).post(url, {"purpose-text": "  To be where job seekers are.  "})

    assert response.status_code == 302
    assert response["Location"].endswith(reverse("collaboration:strategy", args=[personas.workspace.slug]) + "#purpose")
    strategy = Strategy.objects.get(workspace=personas.workspace)
    assert strategy.purpose == "To be where job seekers are."
    assert strategy.updated_by == personas.admin
    page = _client(personas.viewer).get(reverse("collaboration:strategy", args=[personas.workspace.slug]))
    content = page.content.decode()
    assert "To be where job seekers are." in content
    assert url not in content  # a reader gets no forms


def test_it_gives_404_for_an_unknown_section(personas: Personas) -> None:
    url = reverse("collaboration:strategy-section", args=[personas.workspace.slug, "updated_by"])
    assert _client(personas.owner).post(url, {"updated_by-text": "x"}).status_code == 404


def test_an_admin_adds_edits_reorders_and_removes_objectives(personas: Personas) -> None:
    client = _client(personas.owner)
    slug = personas.workspace.slug
    for title in ("More applicants", "Fewer questions"):
        response = client.post(reverse("collaboration:objective-create", args=[slug]), {"new-objective-title": title})
        assert response.status_code == 302
    first, second = Objective.objects.filter(workspace=personas.workspace)

    client.post(reverse("collaboration:objective-move", args=[slug, second.pk]), {"direction": "up"})
    assert _titles(personas) == ["Fewer questions", "More applicants"]

    response = client.post(
        reverse("collaboration:objective-update", args=[slug, first.pk]),
        {f"objective-{first.pk}-title": "Twice the applicants", f"objective-{first.pk}-description": "By 2026"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.title, first.description) == ("Twice the applicants", "By 2026")

    client.post(reverse("collaboration:objective-delete", args=[slug, second.pk]))
    assert _titles(personas) == ["Twice the applicants"]


def test_an_objective_without_a_title_is_shown_again_with_the_error(personas: Personas) -> None:
    response = _client(personas.owner).post(
        reverse("collaboration:objective-create", args=[personas.workspace.slug]), {"new-objective-title": ""}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required." in content
    assert '<details class="mt-3" open>' in content
    assert not Objective.objects.exists()


def test_an_admin_adds_and_removes_audiences(personas: Personas) -> None:
    client = _client(personas.admin)
    slug = personas.workspace.slug
    create = reverse("collaboration:audience-create", args=[slug])
    client.post(create, {"new-audience-name": "Students", "new-audience-description": "Future employees"})
    audience = Audience.objects.get(workspace=personas.workspace)
    assert audience.description == "Future employees"

    response = client.post(create, {"new-audience-name": "students"})
    assert response.status_code == 400
    assert "is already a target audience" in response.content.decode()

    client.post(reverse("collaboration:audience-delete", args=[slug, audience.pk]))
    assert not Audience.objects.exists()


def test_an_admin_says_what_a_channel_is_for_and_whom_it_serves(personas: Personas) -> None:
    slug = personas.workspace.slug
    students = services.audience_create(workspace=personas.workspace, name="Students")
    services.audience_create(workspace=personas.workspace, name="Investors")
    prefix = f"account-{personas.account.pk}"

    response = _client(personas.admin).post(
        reverse("collaboration:channel-purpose", args=[slug, personas.account.pk]),
        {f"{prefix}-purpose": "Jobs and campus news", f"{prefix}-audiences": [str(students.pk)]},
    )

    assert response.status_code == 302
    channel = ChannelPurpose.objects.get(account=personas.account)
    assert channel.purpose == "Jobs and campus news"
    assert list(channel.audiences.all()) == [students]
    content = _client(personas.editor).get(reverse("collaboration:strategy", args=[slug])).content.decode()
    assert "Jobs and campus news" in content


def test_a_channel_cannot_name_an_audience_of_another_workspace(personas: Personas) -> None:
    foreign = services.audience_create(workspace=personas.other_workspace, name="Rivals' fans")
    prefix = f"account-{personas.account.pk}"
    response = _client(personas.owner).post(
        reverse("collaboration:channel-purpose", args=[personas.workspace.slug, personas.account.pk]),
        {f"{prefix}-purpose": "News", f"{prefix}-audiences": [str(foreign.pk)]},
    )
    assert response.status_code == 400
    assert not ChannelPurpose.objects.exists()


def test_it_gives_404_for_objects_of_another_workspace(personas: Personas) -> None:
    client = _client(personas.owner)
    slug = personas.workspace.slug
    objective = services.objective_create(workspace=personas.other_workspace, title="Theirs")
    audience = services.audience_create(workspace=personas.other_workspace, name="Theirs")
    assert client.post(reverse("collaboration:objective-delete", args=[slug, objective.pk])).status_code == 404
    assert client.post(reverse("collaboration:audience-delete", args=[slug, audience.pk])).status_code == 404
    url = reverse("collaboration:channel-purpose", args=[slug, personas.other_account.pk])
    assert client.post(url, {}).status_code == 404
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_a_member_sees_only_the_channels_they_may_see(personas: Personas) -> None:
    hidden = make_account(personas.workspace, "@board@mastodon.example")
    AccountPermission.objects.create(
        membership=personas.membership(personas.viewer), account=hidden, level=AccountLevel.NONE
    )
    slug = personas.workspace.slug
    assert (
        "@board@mastodon.example"
        not in _client(personas.viewer).get(reverse("collaboration:strategy", args=[slug])).content.decode()
    )
    assert (
        "@board@mastodon.example"
        in _client(personas.owner).get(reverse("collaboration:strategy", args=[slug])).content.decode()
    )


def test_the_page_lists_the_team_with_roles_and_agencies(personas: Personas) -> None:
    member = personas.membership(personas.editor)
    member.agency = "Mainostoimisto Oy"
    member.save(update_fields=["agency"])
    content = _client(personas.viewer).get(reverse("collaboration:strategy", args=[personas.workspace.slug]))
    assert "Mainostoimisto Oy" in content.content.decode()


def _add_channels(personas: Personas, count: int) -> None:
    for _number in range(count):
        account = make_account(personas.workspace)
        audience = services.audience_create(workspace=personas.workspace, name=f"Audience of {account.handle}")
        services.channel_purpose_update(account=account, purpose="News", audiences=[audience])
        services.objective_create(workspace=personas.workspace, title=f"Grow {account.handle}")


def test_the_page_reads_in_a_bounded_number_of_queries(personas: Personas, django_assert_max_num_queries) -> None:
    client = _client(personas.owner)
    url = reverse("collaboration:strategy", args=[personas.workspace.slug])
    _add_channels(personas, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _add_channels(personas, 8)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('id="account-') >= 9
