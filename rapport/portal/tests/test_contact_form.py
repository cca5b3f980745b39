from django.core import mail

from rapport.customers.models import Customer
from rapport.helpdesk.models import Channel, Conversation, Message

URL = "/portal/contact/"


def form(**fields):
    return {
        "name": "Clara Vogel",
        "email": "clara@example.net",
        "subject": "Frage zur Lieferung",
        "text": "Wann kommt mein Paket?",
        "consent": "on",
        "website": "",
        **fields,
    }


def test_contact_form_is_shown_without_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'name="website"' in response.content.decode()


def test_submission_from_a_new_address_creates_customer_and_web_conversation(client, cast):
    response = client.post(URL, form())
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.WEB
    customer = conversation.customer
    assert (customer.given_name, customer.family_name) == ("Clara", "Vogel")
    assert customer.contact_points.get().normalized == "clara@example.net"
    message = conversation.messages.get(direction="inbound")
    assert message.body_text == "Wann kommt mein Paket?"
    assert message.data["contact_form"]["consent"].startswith("I agree")


def test_confirmation_page_shows_the_number_once(client, cast):
    client.post(URL, form())
    conversation = Conversation.objects.get()
    page = client.get("/portal/contact/thanks/").content.decode()
    assert conversation.number in page
    assert "Wann kommt" not in page
    assert conversation.number not in client.get("/portal/contact/thanks/").content.decode()


def test_submission_from_a_known_address_joins_that_customer(client, cast):
    client.post(URL, form(email="ben@example.org", name="Ben M."))
    conversation = Conversation.objects.get()
    assert conversation.customer == cast.other_customer
    assert Customer.objects.count() == 2


def test_honeypot_looks_accepted_but_stores_nothing_and_logs(client, cast, caplog):
    response = client.post(URL, form(website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == "/portal/contact/thanks/"
    assert not Message.objects.exists()
    assert Customer.objects.count() == 2
    assert "honeypot" in caplog.text
    assert client.get(response["Location"]).status_code == 200


def test_submission_without_consent_is_refused(client, cast):
    response = client.post(URL, form(consent=""))
    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_invalid_email_is_refused_with_a_field_error(client, cast):
    response = client.post(URL, form(email="not-an-address"))
    assert response.status_code == 400
    assert "has-error" in response.content.decode()
    assert not Conversation.objects.exists()


def test_too_many_submissions_from_one_ip_get_429(client, cast, settings):
    settings.PORTAL_CONTACT_RATE_LIMIT = 2
    for i in range(2):
        assert client.post(URL, form(email=f"c{i}@example.net")).status_code == 302
    response = client.post(URL, form(email="c9@example.net"))
    assert response.status_code == 429
    assert "too many" in response.content.decode()
    assert Conversation.objects.count() == 2


def test_too_many_submissions_for_one_email_get_429(client, cast, settings):
    settings.PORTAL_CONTACT_RATE_LIMIT = 2
    for i in range(2):
        response = client.post(URL, form(), REMOTE_ADDR=f"10.0.0.{i}")
        assert response.status_code == 302
    response = client.post(URL, form(), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert Conversation.objects.count() == 2


def test_contact_form_in_german(client, cast):
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="de">' in response.content.decode()


def test_submission_sends_no_mail_from_the_form_itself(client, cast):
    client.post(URL, form())
    assert all("sign-in" not in m.subject for m in mail.outbox)
