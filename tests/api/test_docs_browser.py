"""/docs in a real browser: the Authorize button is there, a token pasted into it is what
"Try it out" sends, and it survives a reload only where the deployment asks (persistAuthorization).

Debian's Chromium, driven by Playwright (the Python package bundles its driver; Playwright
cannot download a browser here). `make test` installs Chromium when it is missing
(mk/browser.mk); run on its own without it, this test skips and says why."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Request, async_playwright, expect

from tests.conftest import Service, serve

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Headless, and nothing reaching out: this machine's network is closed, and Chromium's
# background connections would only be refused (or wait on lookups of Google's hosts).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OPERATION = "#operations-Contact_checks-read_restrictions"
READ = "/customers/C-DOCS-1/restrictions"
# Generous: one browser start and a few page loads on a shared, loaded machine.
TIMEOUT_MS = 15_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)",
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _open_read(page: Page, base_url: str) -> None:
    """/docs, the restrictions read expanded and in "Try it out", its customer filled in."""
    await page.goto(f"{base_url}/docs")
    operation = page.locator(OPERATION)
    await operation.locator(".opblock-summary").click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.locator('input[placeholder="customer_ref"]').fill("C-DOCS-1")


async def _execute(page: Page, shown: str) -> Request:
    """Execute; the page shows `shown` as the response's status. The request it sent."""
    operation = page.locator(OPERATION)
    async with page.expect_request(lambda r: urlsplit(r.url).path == READ) as sent:
        await operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status")
    await expect(status).to_have_text(shown)
    return await sent.value


@pytest.mark.parametrize("persist", [False, True], ids=["production", "make-run"])
async def test_a_token_pasted_under_authorize_works_for_try_it_out(
    clean_db: str, browser: Browser, persist: bool
) -> None:
    async with serve(clean_db, docs_persist_authorization=persist) as service:
        await _try_it_out(service, browser, persist)


async def _try_it_out(service: Service, browser: Browser, persist: bool) -> None:
    token = service.issuer.token("reader")
    context = await browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = await context.new_page()

    await _open_read(page, service.base_url)
    request = await _execute(page, "401")
    assert "authorization" not in await request.all_headers()

    await page.locator(".auth-wrapper").get_by_role("button", name="Authorize").click()
    dialog = page.locator(".modal-ux")
    await expect(dialog).to_contain_text("bearer  (http, Bearer)")
    await dialog.locator("input").fill(token)
    await dialog.get_by_role("button", name="Apply credentials").click()
    await expect(dialog.get_by_role("button", name="Remove authorization")).to_be_visible()
    await dialog.locator("button.btn-done").click()
    await expect(dialog).to_have_count(0)

    request = await _execute(page, "200")
    assert (await request.all_headers())["authorization"] == f"Bearer {token}"
    body = page.locator(OPERATION).locator(
        ".live-responses-table .response .response-col_description"
    )
    await expect(body).to_contain_text('"customer_ref": "C-DOCS-1"')

    # After a reload the token is still there only where the deployment asks for it
    # (DOCS_PERSIST_AUTHORIZATION, on under `make run`): otherwise it is not kept in the
    # browser's storage, and the read goes without it.
    await page.reload()
    await _open_read(page, service.base_url)
    if persist:
        request = await _execute(page, "200")
        assert (await request.all_headers())["authorization"] == f"Bearer {token}"
    else:
        request = await _execute(page, "401")
        assert "authorization" not in await request.all_headers()
        stored = await page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
        assert token not in stored
    await context.close()
