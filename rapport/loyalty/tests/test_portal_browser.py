"""End to end in headless Chromium: a customer reads their points, redeems a reward for a
voucher, and the shop validates and uses the code once through the API."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from playwright.sync_api import Error as PlaywrightError

from rapport.loyalty import actions
from rapport.loyalty.models import Reward, RewardKind, Voucher, VoucherStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The portal's sign-in is rate limited through the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member(programme, cast, order):
    """Return Anna's membership: 100 points for joining and 450 for an order, in Bronze."""
    joined = actions.enroll_customer(customer=cast.customer)
    actions.accrue_order(order=order(lines=[(Decimal("450.00"), "")]))
    joined.refresh_from_db()
    assert (joined.balance, joined.tier.name) == (550, "Bronze")
    return joined


@pytest.fixture
def big_reward(programme):
    return Reward.objects.create(
        programme=programme, name="EUR 50 off", kind=RewardKind.VOUCHER, cost=5000, value=50
    )


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, live_server, cast, target="/portal/loyalty/"):
    """Sign in with the portal's password form, by field names so that any language works."""
    page.goto(f"{live_server.url}/portal/login/?next={target}")
    page.locator("input[name=pw-email]").fill(cast.portal_user.email)
    page.locator("input[name=pw-password]").fill(cast.password)
    page.locator("form:has(input[name=pw-password]) button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{target}")


def shown_balance(page) -> int:
    return int(re.sub(r"\D", "", page.locator("[data-test=balance]").inner_text()))


def wait_until(page, condition, seconds: float = 10) -> None:
    """Let the browser's events run until ``condition()`` holds."""
    for _tick in range(int(seconds * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the browser did not get there in time")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_customer_sees_balance_tier_progress_and_history(live_server, page, cast, member):
    sign_in(page, live_server, cast)

    assert page.get_by_role("heading", level=1).inner_text() == "Rapport Club"
    assert shown_balance(page) == 550
    assert page.locator("[data-test=tier]").inner_text() == "Bronze"
    progress = page.locator("[data-test=progress]").inner_text()
    assert "50.00 more to Silver" in progress
    latest = page.locator("section", has=page.get_by_role("heading", name="Latest points"))
    assert "Earned with order A-1" in latest.inner_text()
    assert "+450" in latest.inner_text()
    screenshot(page, "loyalty-overview.png")

    page.get_by_role("link", name="Points history").click()
    page.wait_for_url("**/portal/loyalty/history/")
    rows = page.locator("main tbody tr")
    assert rows.count() == 2
    assert "Earned with order A-1" in rows.nth(0).inner_text()
    assert rows.nth(1).inner_text().split("\t")[1] == "Bonus: sign-up"


def test_customer_redeems_a_reward_and_the_shop_uses_its_code_once(
    live_server, page, cast, member, voucher_reward, api_token
):
    sign_in(page, live_server, cast)
    assert shown_balance(page) == 550

    redeemable = page.locator("section", has=page.get_by_role("heading", name="Rewards you can"))
    redeemable.get_by_role("link", name="EUR 5 off").click()
    page.wait_for_url(f"**/portal/loyalty/rewards/{voucher_reward.pk}/redeem/")
    assert "Afterwards you will have 50 points left." in page.locator("main").inner_text()
    assert not Voucher.objects.exists()  # opening the confirmation spends nothing
    page.get_by_role("button", name="Redeem now").click()

    page.wait_for_url("**/portal/loyalty/vouchers/*/")
    code = page.locator("[data-test=code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{16}", code)
    assert "You have 50 points." in page.locator("main").inner_text()
    screenshot(page, "loyalty-voucher.png")
    page.get_by_role("link", name="Overview").click()
    page.wait_for_url("**/portal/loyalty/")
    assert shown_balance(page) == 550 - voucher_reward.cost

    shop = requests.Session()
    shop.headers["Authorization"] = f"Bearer {api_token}"
    api = f"{live_server.url}/api/v1/loyalty/vouchers"
    valid = shop.post(f"{api}/validate", json={"code": code, "currency": "EUR"}, timeout=10)
    assert valid.status_code == 200, valid.text
    assert (valid.json()["valid"], valid.json()["value"]) == (True, "5.00")
    used = shop.post(f"{api}/consume", json={"code": code, "order": "SHOP-1"}, timeout=10)
    assert used.status_code == 200, used.text
    assert (used.json()["consumed"], used.json()["replayed"]) == (True, False)
    again = shop.post(f"{api}/consume", json={"code": code, "order": "SHOP-2"}, timeout=10)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "voucher_used"
    voucher = Voucher.objects.get()
    assert (voucher.status, voucher.consumed_ref) == (VoucherStatus.CONSUMED, "SHOP-1")

    page.get_by_role("link", name="My vouchers").click()
    page.wait_for_url("**/portal/loyalty/vouchers/")
    row = page.locator("main tbody tr", has_text=code)
    assert "used" in row.inner_text().lower()
    row.get_by_role("link", name="EUR 5 off").click()
    page.get_by_text("Used on").wait_for()
    assert "Enter the code at checkout" not in page.locator("main").inner_text()


def test_a_reward_out_of_reach_offers_no_working_redeem_button(
    live_server, page, cast, member, big_reward
):
    sign_in(page, live_server, cast)
    not_yet = page.locator("section", has=page.get_by_role("heading", name="Rewards you can"))
    assert not_yet.get_by_role("link", name="EUR 50 off").count() == 0
    assert "4,450 more points needed" in not_yet.inner_text()

    page.get_by_role("link", name="Rewards", exact=True).click()
    page.wait_for_url("**/portal/loyalty/rewards/")
    row = page.locator("main tbody tr", has_text="EUR 50 off")
    assert row.get_by_role("link").count() == 0
    assert "4,450 more points needed" in row.inner_text()

    # Even by its address the confirmation says what is missing and cannot be submitted.
    page.goto(f"{live_server.url}/portal/loyalty/rewards/{big_reward.pk}/redeem/")
    assert page.locator("[data-test=missing]").inner_text() == "4,450 more points needed"
    assert page.get_by_role("button", name="Redeem now").is_disabled()
    assert not Voucher.objects.exists()
    member.refresh_from_db()
    assert member.balance == 550


def test_a_double_click_on_redeem_issues_one_voucher(
    live_server, page, cast, member, voucher_reward, order
):
    # Enough points for two, so that only the form's token can stop a second voucher.
    actions.accrue_order(order=order(lines=[(Decimal("500.00"), "")]))
    sign_in(page, live_server, cast, target=f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/")
    # Chromium folds a quick double click into one submission; a slow answer is what lets a
    # second click through. Hold every POST until both clicks have been sent.
    held = []
    page.route(
        "**/redeem/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    button = page.get_by_role("button", name="Redeem now")
    # Both clicks from the page itself: Playwright would wait for the held navigation.
    button.evaluate("button => { button.click(); setTimeout(() => button.click(), 300); }")
    wait_until(page, lambda: len(held) == 2)
    for route in held:
        # Both reach the server, whatever the browser gave up on; the browser follows the 302.
        answer = route.fetch(max_redirects=0)
        try:
            route.fulfill(response=answer)
        except PlaywrightError:
            pass  # the browser cancelled the first submission when the second one started

    assert Voucher.objects.count() == 1
    member.refresh_from_db()
    assert member.balance == 1050 - voucher_reward.cost
    page.wait_for_url("**/portal/loyalty/vouchers/*/")
    assert page.locator("[data-test=code]").inner_text().strip() == Voucher.objects.get().code
    assert "You have 550 points." in page.locator("main").inner_text()


def test_the_loyalty_pages_speak_the_customers_german(
    live_server, page, cast, member, voucher_reward, big_reward
):
    cast.customer.language = "de"
    cast.customer.save(update_fields=["language"])
    cast.portal_user.language = "de"
    cast.portal_user.save(update_fields=["language"])
    sign_in(page, live_server, cast)  # the browser asks for English; Anna's language wins

    assert page.locator("html").get_attribute("lang") == "de"
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings == [
        "Ihre Punkte",
        "Ihre Stufe",
        "Prämien, die Sie jetzt einlösen können",
        "Letzte Punktebewegungen",
    ]
    assert "550 Punkte" in page.locator("[data-test=balance]").inner_text()
    progress = page.locator("[data-test=progress]").inner_text()
    assert progress.replace("\xa0", " ") == "Noch 50,00 € bis Silver"
    assert "Gesammelt mit Bestellung A-1" in page.locator("main").inner_text()
    assert "Bonus: Anmeldung" in page.locator("main").inner_text()  # posted in English
    assert "EUR 50 off · Noch 4.450 Punkte nötig" in page.locator("main").inner_text()
    screenshot(page, "loyalty-overview-de.png")

    page.get_by_role("link", name="EUR 5 off").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Prämie einlösen"
    page.get_by_role("button", name="Jetzt einlösen").click()
    page.wait_for_url("**/portal/loyalty/vouchers/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Ihr Gutschein"
    assert "Gültig bis" in page.locator("main").inner_text()
