"""Bearer token authentication of the REST API."""

import re

import pytest
from django.urls import reverse

from rapport.accounts.actions import create_api_token, revoke_api_token
from rapport.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_request_without_token_is_refused_with_401_json(client, cast):
    assert_unauthenticated(client.get(URL))


def test_request_with_unknown_token_is_refused(client, cast):
    assert_unauthenticated(client.get(URL, headers=bearer("rpt_not-a-real-token")))


def test_request_with_malformed_authorization_header_is_refused(client, cast):
    assert_unauthenticated(client.get(URL, headers={"Authorization": "Basic dXNlcjpwYXNz"}))


def test_revoked_token_no_longer_authenticates(client, cast):
    token, raw = create_api_token(user=cast.agent, name="laptop")
    assert client.get(URL, headers=bearer(raw)).status_code == 200
    revoke_api_token(token=token)
    assert_unauthenticated(client.get(URL, headers=bearer(raw)))


def test_token_of_deactivated_user_does_not_authenticate(client, cast):
    _token, raw = create_api_token(user=cast.agent, name="laptop")
    cast.agent.is_active = False
    cast.agent.save()
    assert_unauthenticated(client.get(URL, headers=bearer(raw)))


def test_portal_customer_token_does_not_authenticate(client, cast):
    _token, raw = create_api_token(user=cast.portal_user, name="portal")
    assert_unauthenticated(client.get(URL, headers=bearer(raw)))
    assert_unauthenticated(client.get(f"{URL}/{cast.customer.pk}", headers=bearer(raw)))


def test_valid_token_authenticates_and_records_last_use(client, cast, api_token):
    response = client.get(URL, headers=bearer(api_token))
    assert response.status_code == 200
    assert ApiToken.objects.get(user=cast.agent).last_used_at is not None


def test_tokens_are_stored_only_as_hash(cast):
    token, raw = create_api_token(user=cast.agent, name="laptop")
    assert raw.startswith("rpt_")
    assert raw not in (token.key_hash, token.hint)
    assert not ApiToken.objects.filter(key_hash=raw).exists()


def test_token_made_on_the_tokens_page_authenticates(client, cast):
    client.force_login(cast.manager)
    response = client.post(reverse("accounts:tokens"), {"name": "integration"})
    raw = response.context["new_raw"]
    assert raw and re.fullmatch(r"rpt_[\w-]+", raw)
    client.logout()
    assert client.get(URL, headers=bearer(raw)).status_code == 200


def test_session_login_alone_does_not_authenticate_the_api(client, cast):
    client.force_login(cast.agent)
    assert_unauthenticated(client.get(URL))
