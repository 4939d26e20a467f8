"""The access matrix machinery: each app lists its workspace URLs × methods × allowed personas.

An app's `tests/test_access.py` defines `MATRIX` and runs `check_access` over `cases(MATRIX)`;
smm/accounts/tests/test_access_matrix.py fails when any workspace URL is in no app's MATRIX.
"""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from smm.accounts.models import Membership
from tests.fixtures import PERSONA_NAMES, Personas

ALL_MEMBERS = {"owner", "admin", "editor", "contributor", "viewer"}
DRAFTERS = {"owner", "admin", "editor", "contributor"}
PUBLISHERS = {"owner", "admin", "editor"}
ADMINS = {"owner", "admin"}

KwargsBuilder = Callable[[Personas], dict[str, object]]
# url name -> (kwargs builder, {method: (allowed personas, data)}). Allowed personas get 200/302
# (or 400 for a form that the data deliberately leaves invalid, listed in `bad_request_ok`);
# other members 403; outsiders 404; anonymous users are sent to the login page.
# Data may be a callable (personas, url kwargs) -> dict, for forms that name objects made by the builder.
Data = dict[str, object] | Callable[[Personas, dict[str, object]], dict[str, object]]
Matrix = dict[str, tuple[KwargsBuilder, dict[str, tuple[set[str], Data]]]]


def slug_kwargs(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug}


def cases(matrix: Matrix) -> list[tuple[str, str, str]]:
    return [
        (name, method, persona)
        for name, (_kwargs, methods) in matrix.items()
        for method in methods
        for persona in PERSONA_NAMES
    ]


def client_for(personas: Personas, persona: str) -> Client:
    client = Client()
    user = personas.by_name(persona)
    if user is not None:
        client.force_login(user)
    return client


def check_access(matrix: Matrix, personas: Personas, name: str, method: str, persona: str) -> None:
    kwargs_builder, methods = matrix[name]
    allowed, data = methods[method]
    kwargs = kwargs_builder(personas)
    if callable(data):
        data = data(personas, kwargs)
    kwargs = {key: value for key, value in kwargs.items() if not key.startswith("_")}
    url = reverse(name, kwargs=kwargs)
    response = getattr(client_for(personas, persona), method)(url, data)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    elif persona == "outsider":
        assert response.status_code == 404
    elif persona in allowed:
        assert response.status_code in (200, 302), response.content[:500]
    else:
        assert response.status_code == 403, (response.status_code, response.content[:300])


def check_post_only(matrix: Matrix, personas: Personas, name: str) -> None:
    kwargs_builder, _methods = matrix[name]
    client = client_for(personas, "owner")
    kwargs = {key: value for key, value in kwargs_builder(personas).items() if not key.startswith("_")}
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 405


def membership(personas: Personas, user_name: str) -> Membership:
    return personas.membership(getattr(personas, user_name))
