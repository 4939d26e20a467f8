"""Signing in through the login form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from smm.accounts.forms import LoginForm
from tests.browser.flows import label
from tests.factories import PASSWORD, make_user, make_workspace

pytestmark = pytest.mark.browser


def test_it_keeps_the_email_after_a_wrong_password_and_then_opens_the_workspace(page: Page) -> None:
    user = make_user("anna@example.com", full_name="Anna Admin")
    workspace = make_workspace("Acme Oy", owner=user)

    page.goto("/account/login/")
    page.get_by_label(label("Email")).fill("anna@example.com")
    page.get_by_label(label("Password")).fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    # The form's own message, so rewording it does not break this test.
    error = page.locator("main form .alert-danger")
    expect(error).to_have_text(str(LoginForm.error_messages["invalid_login"]))
    expect(page).to_have_url(re.compile(r"/account/login/$"))
    expect(page.get_by_label(label("Email"))).to_have_value("anna@example.com")
    expect(page.get_by_label(label("Password"))).to_have_value("")

    page.get_by_label(label("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"**/w/{workspace.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Oy")
    expect(page.locator("#workspace-switcher")).to_contain_text("Acme Oy")
