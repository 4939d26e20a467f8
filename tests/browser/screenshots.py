"""Save full-page screenshots of every account and workspace page, in English and in Finnish.

    .venv/bin/python -m tests.browser.screenshots OUTDIR BASE_URL EMAIL PASSWORD

Signs in to a running server (`make run`) as EMAIL, an owner or admin of at least one workspace,
and writes OUTDIR/<language>-<nn>-<page>-<desktop|mobile>.png. The language is changed with the
page's own switcher, as a person would; the English pass runs last, so the user is left in English.
Not a test: it only reads pages (plus the language choice) and is for looking at the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tests.browser.flows import CHROMIUM, CHROMIUM_ARGS, log_in, switch_language

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LANGUAGES = [("fi", "Suomi"), ("en", "English")]
# The browser locale of a Finnish or an English visitor (sent as Accept-Language).
BROWSER_LOCALES = {"fi": "fi-FI", "en": "en-US"}
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def _save(
    page: Page, outdir: Path, language: str, number: int, name: str, sizes: tuple[str, ...] = ("desktop", "mobile")
) -> None:
    """Wait for the page and its fonts, then save it at desktop and at phone width."""
    page.wait_for_load_state("load")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    for size_name in sizes:
        size = MOBILE if size_name == "mobile" else DESKTOP
        page.set_viewport_size(size)
        path = outdir / f"{language}-{number:02d}-{name}-{size_name}.png"
        page.screenshot(path=str(path), full_page=True)
        sys.stdout.write(f"{path}  {page.url}\n")
    page.set_viewport_size(DESKTOP)


def _workspace_slug(page: Page) -> str:
    parts = urlsplit(page.url).path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "w":
        raise SystemExit(f"Expected a workspace dashboard after signing in, got {page.url}")
    return parts[1]


def capture_language(browser: Browser, outdir: Path, base_url: str, email: str, password: str, language: str) -> None:
    button = dict(LANGUAGES)[language]
    context = browser.new_context(
        base_url=base_url, locale=BROWSER_LOCALES[language], timezone_id="Europe/Helsinki", viewport=DESKTOP
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        # Signed out: the switcher is in the footer and the choice is kept in a cookie.
        page.goto("/account/login/")
        switch_language(page, button, language)
        _save(page, outdir, language, 1, "login")
        page.goto("/account/password-reset/")
        _save(page, outdir, language, 12, "password-reset")

        page.goto("/account/login/")
        page.locator("#id_username").fill(email)
        page.locator("#id_password").fill("not the password")
        page.locator("main form button[type=submit]").click()
        page.locator("main form .alert-danger").wait_for()
        _save(page, outdir, language, 1, "login-error")

        # Signed in, the user's saved language wins over the cookie, so switch again in the navbar.
        log_in(page, email, password)
        page.goto("/")
        slug = _workspace_slug(page)
        switch_language(page, button, language)
        workspace = f"/w/{slug}"

        page.goto(f"{workspace}/")
        _save(page, outdir, language, 2, "dashboard")
        # The menus, open: the workspace switcher on a desktop, the collapsed navigation on a phone.
        page.locator("#workspace-switcher").click()
        page.locator("[aria-labelledby=workspace-switcher]").wait_for()
        _save(page, outdir, language, 2, "dashboard-switcher-open", sizes=("desktop",))
        page.reload()
        page.set_viewport_size(MOBILE)
        page.locator(".navbar-toggler").click()
        page.locator("#nav-main.show").wait_for()
        page.locator("#nav-main.collapsing").wait_for(state="detached")
        _save(page, outdir, language, 2, "dashboard-menu-open", sizes=("mobile",))
        page.goto(f"{workspace}/members/")
        _save(page, outdir, language, 3, "team")

        # Someone other than the signed-in user: their row has no "you" badge.
        member_links = page.locator(f"main table a[href^='{workspace}/members/']")
        if member_links.count() == 0:
            raise SystemExit(f"{email} cannot manage members of {slug}: sign in as an owner or admin.")
        others = page.locator("main table tbody tr").filter(has_not=page.locator(".badge.border"))
        link = others.locator(f"a[href^='{workspace}/members/']").first
        (link if link.count() else member_links.first).click()
        page.wait_for_url(f"**{workspace}/members/*/")
        _save(page, outdir, language, 4, "member-detail")

        account_links = page.locator(f"main a[href^='{workspace}/accounts/']")
        if account_links.count():
            account_links.first.click()
            page.wait_for_url(f"**{workspace}/accounts/*/")
            _save(page, outdir, language, 5, "account-detail")
        else:
            sys.stdout.write(f"skipped account-detail: {slug} has no connected accounts\n")

        for number, name, path in [
            (6, "workspace-settings", f"{workspace}/settings/"),
            (7, "audit-log", f"{workspace}/audit/"),
            (8, "your-settings", "/account/settings/"),
            (9, "password", "/account/settings/password/"),
            (10, "security", "/account/settings/security/"),
            (11, "new-workspace", "/workspaces/new/"),
            (13, "accounts", f"{workspace}/accounts/"),
            (14, "connect-mastodon", f"{workspace}/accounts/connect/mastodon/"),
            (15, "connect-bluesky", f"{workspace}/accounts/connect/bluesky/"),
            (16, "compose", f"{workspace}/publishing/compose/"),
            (17, "posts", f"{workspace}/publishing/"),
            (18, "calendar", f"{workspace}/publishing/calendar/"),
            (19, "queues", f"{workspace}/publishing/queues/"),
            (20, "media", f"{workspace}/publishing/media/"),
            (21, "campaigns", f"{workspace}/publishing/campaigns/"),
            (22, "blackouts", f"{workspace}/publishing/blackouts/"),
            (23, "held", f"{workspace}/publishing/held/"),
            (24, "publishing-settings", f"{workspace}/publishing/settings/"),
            (25, "notifications", f"{workspace}/notifications/"),
            (26, "approvals", f"{workspace}/approvals/"),
            (27, "workflows", f"{workspace}/approvals/workflows/"),
            (28, "tasks", f"{workspace}/tasks/"),
            (29, "newsroom", f"{workspace}/newsroom/"),
            (30, "guidelines", f"{workspace}/guidelines/"),
            (31, "strategy", f"{workspace}/strategy/"),
            (32, "sharing", f"{workspace}/sharing/"),
            (33, "inbox", f"{workspace}/inbox/"),
            (35, "inbox-columns", f"{workspace}/inbox/columns/"),
            (36, "inbox-rules", f"{workspace}/inbox/rules/"),
            (37, "inbox-rule-new", f"{workspace}/inbox/rules/new/"),
            (38, "inbox-report", f"{workspace}/inbox/report/"),
            (39, "inbox-settings", f"{workspace}/inbox/settings/"),
            (40, "inbox-views", f"{workspace}/inbox/views/"),
            (41, "community", f"{workspace}/community/"),
            (43, "community-merges", f"{workspace}/community/merges/"),
            (44, "community-segments", f"{workspace}/community/segments/"),
            (45, "rewards", f"{workspace}/community/rewards/"),
            (46, "contests", f"{workspace}/contests/"),
            (47, "contest-new", f"{workspace}/contests/new/"),
            (48, "ideas", f"{workspace}/ideas/"),
            (49, "idea-new", f"{workspace}/ideas/new/"),
            (50, "listening-topics", f"{workspace}/listening/topics/"),
            (51, "listening-topic-new", f"{workspace}/listening/topics/new/"),
            (52, "listening-sources", f"{workspace}/listening/sources/"),
            (53, "listening-search", f"{workspace}/listening/search/"),
            (54, "listening-alerts", f"{workspace}/listening/alerts/"),
        ]:
            page.goto(path)
            _save(page, outdir, language, number, name)
            if name == "inbox" and page.locator(".inbox-row a").count():
                page.locator(".inbox-row a").first.click()
                page.wait_for_url(f"**{workspace}/inbox/c/*/")
                _save(page, outdir, language, 34, "conversation")
            if name == "community" and page.locator("main a[href*='/community/m/']").count():
                page.locator("main a[href*='/community/m/']").first.click()
                page.wait_for_url(f"**{workspace}/community/m/*/")
                _save(page, outdir, language, 42, "community-member")
    finally:
        context.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("base_url")
    parser.add_argument("email")
    parser.add_argument("password")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    args.outdir.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for language, _button in LANGUAGES:
                capture_language(browser, args.outdir, args.base_url.rstrip("/"), args.email, args.password, language)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
