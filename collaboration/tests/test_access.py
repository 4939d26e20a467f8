"""Every workspace page of this app × persona × method (see tests/access.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from collaboration.models import Notification
from tests.access import ALL_MEMBERS, KwargsBuilder, Matrix, cases, check_access, check_post_only
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


def _notification_of(persona: str) -> KwargsBuilder:
    """A notification of `persona` (the owner's for anonymous visitors) in the workspace."""

    def build(p: Personas) -> dict[str, object]:
        recipient = p.by_name(persona) or p.owner
        notification = Notification.objects.create(
            recipient=recipient,
            workspace=p.workspace,
            kind=Notification.Kind.PUBLISH_FAILED,
            message="A post failed.",
            url=f"/w/{p.workspace.slug}/",
        )
        return {"slug": p.workspace.slug, "notification_id": notification.pk}

    return build


MATRIX: Matrix = {
    "collaboration:notification-list": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:notification-mark-all-read": (_slug, {"post": (ALL_MEMBERS, {})}),
    "collaboration:notification-open": (_notification_of("owner"), {"post": (ALL_MEMBERS, {})}),
}

# Rows whose object must belong to the persona under test: every member may open their own
# notifications only (a teammate's is a 404, tested in test_notifications.py).
PER_PERSONA: dict[str, Callable[[str], KwargsBuilder]] = {
    "collaboration:notification-open": _notification_of,
}


def _matrix_for(persona: str) -> Matrix:
    return {
        name: (PER_PERSONA[name](persona), methods) if name in PER_PERSONA else (builder, methods)
        for name, (builder, methods) in MATRIX.items()
    }


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(_matrix_for(persona), personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)
