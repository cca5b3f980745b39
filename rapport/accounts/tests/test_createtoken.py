"""`rapport createtoken USERNAME` prints a new API token."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rapport.accounts.models import ApiToken
from rapport.accounts.queries import user_for_token

pytestmark = pytest.mark.django_db


def test_createtoken_prints_a_token_that_authenticates_the_user(cast):
    out = StringIO()
    call_command("createtoken", "agent", stdout=out)
    raw = out.getvalue().strip()
    assert user_for_token(raw) == cast.agent


def test_createtoken_stores_only_the_hash_under_the_given_name(cast):
    out = StringIO()
    call_command("createtoken", "agent", "--name", "ci", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=cast.agent)
    assert token.name == "ci"
    assert token.key_hash != raw and raw not in token.key_hash
    assert raw.endswith(token.hint)


def test_createtoken_made_token_works_against_the_api(client, cast):
    out = StringIO()
    call_command("createtoken", "manager", stdout=out)
    response = client.get(
        "/api/v1/customers", headers={"Authorization": f"Bearer {out.getvalue().strip()}"}
    )
    assert response.status_code == 200


def test_createtoken_for_unknown_user_fails_without_creating_a_token(cast):
    with pytest.raises(CommandError):
        call_command("createtoken", "nobody", stdout=StringIO())
    assert not ApiToken.objects.exists()
