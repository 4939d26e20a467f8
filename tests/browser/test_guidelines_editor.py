"""The guidelines' rich text editor (vendored Trix) works under the site's CSP and saves sanitised HTML."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from collaboration.models import Guidelines
from collaboration.services.rules import guidelines_update
from tests.browser.flows import log_in
from tests.factories import PASSWORD
from tests.fixtures import Personas

pytestmark = pytest.mark.browser

# Recorded in the page from its first script on, so a violation while Trix starts up is caught too.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`);
});
"""


def _csp_problems(page: Page, console: list[str]) -> list[str]:
    recorded = page.evaluate("window.__cspViolations || []")
    return [*recorded, *(text for text in console if "Content Security Policy" in text)]


def test_it_edits_the_policy_with_trix_and_saves_it_without_csp_violations(page: Page, personas: Personas) -> None:
    guidelines_update(
        workspace=personas.workspace,
        actor=personas.owner,
        policy_html="<div>Be <em>kind</em>.</div>",
        voice="",
        disclosures="",
    )
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    log_in(page, personas.owner.email, PASSWORD)
    page.goto(f"/w/{personas.workspace.slug}/guidelines/edit/")

    editor = page.locator("trix-editor")
    expect(editor).to_be_visible()
    expect(page.get_by_role("textbox", name="Social media policy")).to_be_visible()
    expect(editor.locator("em")).to_have_text("kind")
    expect(page.locator("textarea[name=policy_html]")).to_have_count(0)
    toolbar = page.locator("trix-toolbar")
    expect(toolbar.get_by_role("button", name="Bold")).to_be_visible()
    expect(toolbar.get_by_role("button", name="Attach Files")).to_have_count(0)
    # Trix's own styles arrived with the page's nonce (an unstyled toolbar would have a visible label).
    assert page.evaluate("getComputedStyle(document.querySelector('trix-editor')).display") == "block"

    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    toolbar.get_by_role("button", name="Heading").click()
    page.keyboard.type("Tone")
    page.keyboard.press("Enter")
    toolbar.get_by_role("button", name="Bold").click()
    page.keyboard.type("Never argue")
    toolbar.get_by_role("button", name="Bold").click()
    page.keyboard.type(" in public.")
    page.get_by_role("button", name="Save the guidelines").click()

    page.wait_for_url(f"**/w/{personas.workspace.slug}/guidelines/")
    policy = Guidelines.objects.get(workspace=personas.workspace).policy_html
    assert "<em>kind</em>" in policy
    assert "<h2>Tone</h2>" in policy
    # Trix types the space after a formatting change as &nbsp; (Chromium 156 does; older ones did not).
    assert "<strong>Never argue</strong> in public." in policy.replace("&nbsp;", " ")
    assert "<!--" not in policy  # Trix's block comments are removed
    expect(page.locator("#policy h2")).to_have_text("Tone")
    expect(page.locator("#policy strong")).to_have_text("Never argue")
    assert _csp_problems(page, console) == []


def test_without_javascript_the_policy_is_a_plain_text_area(new_context, personas: Personas) -> None:
    context = new_context()
    page = context.new_page()
    log_in(page, personas.owner.email, PASSWORD)
    no_script = context.browser.new_context(base_url=page.url.split("/w/")[0], java_script_enabled=False)
    try:
        no_script.add_cookies(context.cookies())
        plain = no_script.new_page()
        plain.goto(f"/w/{personas.workspace.slug}/guidelines/edit/")
        plain.get_by_label("Social media policy").fill("<h2>Tone</h2><p>Be <b>kind</b><script>x()</script></p>")
        plain.get_by_role("button", name="Save the guidelines").click()
        plain.wait_for_url(f"**/w/{personas.workspace.slug}/guidelines/")
    finally:
        no_script.close()
    assert Guidelines.objects.get(workspace=personas.workspace).policy_html == "<h2>Tone</h2><p>Be <b>kind</b></p>"
