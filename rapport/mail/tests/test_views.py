import pytest
from django.urls import reverse

from rapport.helpdesk.models import Message
from rapport.mail.models import InboundEmail, InboundStatus
from rapport.mail.tests.helpers import eml, ingest

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def webhook(settings, django_capture_on_commit_callbacks, client):
    settings.MAIL_INBOUND_TOKEN = TOKEN

    def post(body: bytes, token: str = TOKEN):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("mail:inbound"),
                data=body,
                content_type="message/rfc822",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )

    return post


def test_webhook_stores_and_processes_the_raw_message(cast, webhook):
    response = webhook(eml(message_id="<hook@example.org>"))
    assert response.status_code == 202
    inbound = InboundEmail.objects.get(pk=response.json()["id"])
    assert response.json()["status"] == "received"
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.PROCESSED
    assert (
        Message.objects.get(external_id="<hook@example.org>").conversation.customer == cast.customer
    )


def test_webhook_refuses_a_wrong_token_and_stores_nothing(cast, webhook):
    response = webhook(eml(), token="wrong")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert not InboundEmail.objects.exists()


def test_webhook_is_disabled_without_a_configured_token(cast, client, settings):
    settings.MAIL_INBOUND_TOKEN = ""
    response = client.post(
        reverse("mail:inbound"),
        data=eml(),
        content_type="message/rfc822",
        HTTP_AUTHORIZATION="Bearer ",
    )
    assert response.status_code == 404
    assert not InboundEmail.objects.exists()


def test_webhook_refuses_a_message_over_the_size_limit(cast, webhook, settings):
    settings.HELPDESK_MAX_MESSAGE_BYTES = 50
    response = webhook(eml())
    assert response.status_code == 413
    assert not InboundEmail.objects.exists()


def test_webhook_refuses_an_empty_body(cast, webhook):
    assert webhook(b"").status_code == 400


def quarantined_one():
    return ingest(b"\x00\x01\x02 garbage")


def test_received_email_page_lists_quarantined_mail_with_reason_for_a_manager(cast, client):
    inbound = quarantined_one()
    client.force_login(cast.manager)
    response = client.get(reverse("mail:quarantine"))
    assert response.status_code == 200
    assert f'id="inbound-{inbound.pk}"' in response.content.decode()
    assert "no headers" in response.content.decode()


@pytest.mark.parametrize("who", ["agent", "marketer", "portal_user"])
def test_received_email_page_and_raw_download_are_refused_to_others(cast, client, who):
    inbound = quarantined_one()
    client.force_login(getattr(cast, who))
    assert client.get(reverse("mail:quarantine")).status_code == 403
    assert client.get(reverse("mail:raw", args=[inbound.pk])).status_code == 403
    assert client.post(reverse("mail:replay", args=[inbound.pk])).status_code == 403


def test_admin_downloads_the_raw_message_exactly_as_received(cast, client):
    inbound = quarantined_one()
    client.force_login(cast.admin)
    response = client.get(reverse("mail:raw", args=[inbound.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x00\x01\x02 garbage"


def test_replay_button_processes_a_failed_message(cast, client, monkeypatch):
    monkeypatch.setattr("rapport.mail.actions.receive_message", lambda **kw: 1 / 0)
    inbound = ingest(eml(message_id="<replay@example.org>"))
    monkeypatch.undo()
    client.force_login(cast.manager)
    response = client.post(reverse("mail:replay", args=[inbound.pk]))
    assert response.status_code == 302
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.PROCESSED


def test_replay_needs_post(cast, client):
    inbound = quarantined_one()
    client.force_login(cast.admin)
    assert client.get(reverse("mail:replay", args=[inbound.pk])).status_code == 405


def test_received_email_page_query_count_does_not_grow_with_the_rows(
    cast, client, django_assert_max_num_queries
):
    for _n in range(15):
        quarantined_one()
    client.force_login(cast.admin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("mail:quarantine")).status_code == 200
