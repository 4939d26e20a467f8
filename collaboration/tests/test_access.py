"""Every workspace page of this app × persona × method (see tests/access.py)."""

from __future__ import annotations

import pytest

from tests.access import Matrix, cases, check_access, check_post_only
from tests.fixtures import Personas

MATRIX: Matrix = {}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)
