"""The admin of mailboxes and received emails: passwords stay hidden, failed mail is replayable."""

import pytest
from django.urls import reverse

from rapport.mail.actions import store_inbound
from rapport.mail.models import InboundEmail, InboundStatus, Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast.admin)
    return client


def mailbox_form(**overrides):
    data = {
        "name": "Support",
        "email_address": "support@example.com",
        "team": "",
        "is_active": "on",
        "host": "imap.example.com",
        "port": "993",
        "use_ssl": "on",
        "username": "support",
        "password": "",
        "folder": "INBOX",
    }
    data.update(overrides)
    return data


def test_the_mailbox_password_is_never_shown_and_an_empty_field_keeps_it(admin_client):
    mailbox = Mailbox.objects.create(
        name="Support",
        email_address="support@example.com",
        host="imap.example.com",
        username="support",
        password="s3cret-imap",
    )
    url = reverse("admin:mail_mailbox_change", args=[mailbox.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, mailbox_form(folder="Archive"))

    assert page.status_code == 200 and "s3cret-imap" not in page.content.decode()
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.folder, mailbox.password) == ("Archive", "s3cret-imap")


def test_poll_now_fetches_new_mail_from_the_admin(admin_client, dovecot, imap_mailbox):
    dovecot.append(
        imap_mailbox.folder,
        b"From: anna@example.org\r\nTo: support@localhost\r\nSubject: Hallo\r\n"
        b"Message-ID: <admin-poll@example.org>\r\n\r\nGuten Tag\r\n",
    )

    response = admin_client.post(
        reverse("admin:mail_mailbox_changelist"),
        {"action": "poll_now", "_selected_action": [imap_mailbox.pk]},
        follow=True,
    )

    assert "1 new message" in response.content.decode()
    assert InboundEmail.objects.filter(mailbox=imap_mailbox).count() == 1


def test_a_quarantined_email_shows_its_reason_and_raw_source(admin_client, settings):
    settings.HELPDESK_MAX_MESSAGE_BYTES = 100
    inbound = store_inbound(
        b"Subject: Riesig\r\n\r\n" + b"<script>alert(1)</script>" * 10, source="command"
    )

    page = admin_client.get(reverse("admin:mail_inboundemail_change", args=[inbound.pk]))

    assert inbound.status == InboundStatus.QUARANTINED
    content = page.content.decode()
    assert page.status_code == 200
    assert "Subject: Riesig" in content
    assert "<script>alert(1)</script>" not in content  # shown escaped


def test_replay_processes_a_failed_email_again(admin_client):
    inbound = store_inbound(
        b"From: anna@example.org\r\nTo: support@localhost\r\nSubject: Nochmal\r\n"
        b"Message-ID: <replay@example.org>\r\n\r\nBitte noch einmal.\r\n",
        source="command",
    )
    InboundEmail.objects.filter(pk=inbound.pk).update(
        status=InboundStatus.FAILED, reason="database was away", attempts=4
    )

    response = admin_client.post(
        reverse("admin:mail_inboundemail_changelist"),
        {"action": "replay", "_selected_action": [inbound.pk]},
        follow=True,
    )

    inbound.refresh_from_db()
    assert response.status_code == 200
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.message.subject == "Nochmal"


def test_received_emails_cannot_be_deleted_or_added_in_the_admin(admin_client):
    inbound = store_inbound(b"Subject: x\r\n\r\ny\r\n", source="command")

    assert admin_client.get(reverse("admin:mail_inboundemail_add")).status_code == 403
    delete_url = reverse("admin:mail_inboundemail_delete", args=[inbound.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert InboundEmail.objects.filter(pk=inbound.pk).exists()
