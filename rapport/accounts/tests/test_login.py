import re

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def test_staff_member_logs_in_and_out(client, cast):
    response = client.post("/login/", {"username": "agent", "password": cast.password})
    assert response.status_code == 302
    assert client.get("/customers/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/customers/").status_code == 302


def test_wrong_password_shows_an_error_and_does_not_log_in(client, cast):
    response = client.post("/login/", {"username": "agent", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"errorlist" in response.content


def test_logout_requires_post(client, cast):
    client.force_login(cast.agent)
    assert client.get("/logout/").status_code == 405


def test_password_reset_sends_a_link_that_sets_a_new_password(client, cast):
    response = client.post("/accounts/password-reset/", {"email": cast.agent.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Another-long-pass-42", "new_password2": "Another-long-pass-42"}
    )
    assert response.status_code == 302
    assert client.login(username="agent", password="Another-long-pass-42")


def test_password_reset_for_an_unknown_address_reveals_nothing(client, cast):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_only_administrators_reach_the_django_admin(client, cast):
    client.force_login(cast.agent)
    assert client.get("/admin/").status_code == 302
    client.force_login(cast.admin)
    assert client.get("/admin/").status_code == 200


def test_session_cookie_is_http_only_and_same_site(client, cast):
    response = client.post("/login/", {"username": "agent", "password": cast.password})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_preferred_language_switches_the_interface_to_german(client, cast):
    client.force_login(cast.agent)
    response = client.post(
        "/accounts/preferences/", {"language": "de", "time_zone": "Europe/Vienna"}
    )
    assert response.status_code == 302
    cast.agent.refresh_from_db()
    assert (cast.agent.language, cast.agent.time_zone) == ("de", "Europe/Vienna")
    page = client.get("/accounts/preferences/")
    assert 'lang="de"' in page.content.decode()


def test_invalid_time_zone_in_preferences_is_rejected(client, cast):
    client.force_login(cast.agent)
    response = client.post("/accounts/preferences/", {"language": "en", "time_zone": "Moon/Base"})
    assert response.status_code == 200
    cast.agent.refresh_from_db()
    assert cast.agent.time_zone == ""


def test_portal_customers_cannot_open_staff_pages(client, cast):
    client.force_login(cast.portal_user)
    assert client.get("/accounts/tokens/").status_code == 403


def test_api_token_made_in_the_ui_is_shown_once_and_stored_hashed(client, cast):
    from rapport.accounts.models import ApiToken

    client.force_login(cast.agent)
    response = client.post("/accounts/tokens/", {"name": "shop"})
    raw = re.search(r"rpt_[\w-]+", response.content.decode()).group(0)
    token = ApiToken.objects.get(user=cast.agent)
    assert token.key_hash != raw and raw not in token.key_hash and len(token.key_hash) == 64
    assert raw not in client.get("/accounts/tokens/").content.decode()


def test_language_switch_in_the_top_bar_is_remembered_for_the_user(client, cast):
    cast.agent.language = "en"
    cast.agent.save()
    client.force_login(cast.agent)
    response = client.post("/accounts/language/", {"language": "de", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    cast.agent.refresh_from_db()
    assert cast.agent.language == "de"
    assert "Kunden" in client.get("/customers/").content.decode()


def test_language_switch_works_before_login_and_ignores_unknown_languages(client, cast):
    client.post("/accounts/language/", {"language": "de", "next": "/login/"})
    assert "Anmelden" in client.get("/login/").content.decode()
    client.post("/accounts/language/", {"language": "xx", "next": "/login/"})
    assert "Anmelden" in client.get("/login/").content.decode()
