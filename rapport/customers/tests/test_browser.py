"""End to end in headless Chromium: log in, create a customer, find it, open its 360 page."""

from pathlib import Path

import pytest

from rapport.conftest import PASSWORD
from rapport.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1360, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_agent_creates_a_customer_finds_it_and_opens_the_360_page(
    live_server, page, transactional_db
):
    UserFactory(username="alex", first_name="Alex", last_name="Agent", role="agent")
    CustomerFactory(given_name="Gustav", family_name="Lind")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alex")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/customers/")

    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Title").fill("Dr.")
    page.get_by_label("Given name").fill("Greta")
    page.get_by_label("Family name").fill("Lindqvist")
    page.get_by_label("Salutation").select_option("ms")
    page.get_by_label("Email addresses").fill("greta.lindqvist@example.org")
    page.get_by_label("Phone numbers").fill("+49 30 1234567")
    page.get_by_label("Preferred language").select_option("de")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Tags").fill("Newsletter, Premium")
    page.get_by_role("button", name="Create customer").click()
    page.wait_for_selector("h1:has-text('Greta Lindqvist')")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    results = page.locator("#results")
    results.get_by_role("link", name="Gustav Lind").wait_for()
    page.get_by_role("searchbox", name="Search").fill("greta.lindqvist@example.org")
    # The live search (htmx) replaces the results without a page load.
    results.get_by_role("link", name="Gustav Lind").wait_for(state="detached")
    assert "Greta Lindqvist" in results.inner_text()
    assert "?q=greta.lindqvist" in page.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer-list.png"))
    results.get_by_role("link", name="Greta Lindqvist").click()

    page.wait_for_selector("h1:has-text('Greta Lindqvist')")
    text = page.locator("main").inner_text()
    assert "greta.lindqvist@example.org" in text
    assert "Sehr geehrte Frau Dr. Lindqvist" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer-360.png"), full_page=True)
