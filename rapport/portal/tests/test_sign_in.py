import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.customers.models import ContactKind, ContactPoint
from rapport.factories import CustomerFactory
from rapport.portal.models import PortalLoginToken

LOGIN = "/portal/login/"


def ask_for_link(client, email):
    return client.post(LOGIN, {"link-email": email})


def link_in(message) -> str:
    return re.search(r"http\S+/portal/login/link/\S+/", message.body).group(0)


def path_of(link: str) -> str:
    return link[link.index("/portal/") :]


def customer_with_email(email, **fields):
    customer = CustomerFactory(**fields)
    ContactPoint.objects.create(
        customer=customer, kind=ContactKind.EMAIL, value=email, normalized=email, is_primary=True
    )
    return customer


def test_known_address_gets_a_sign_in_link_in_the_customers_language(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(client, "Anna@Example.org")
    assert response.status_code == 302
    assert response["Location"] == "/portal/login/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.org"]
    assert mail.outbox[0].extra_headers["Content-Language"] == "de"  # Anna's language
    assert "/portal/login/link/" in mail.outbox[0].body


def test_unknown_address_gets_the_same_answer_and_no_mail(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_link(client, "stranger@example.net")
    assert response.status_code == 302
    assert response["Location"] == "/portal/login/sent/"
    assert mail.outbox == []
    assert not PortalLoginToken.objects.exists()


def test_link_is_stored_only_as_a_hash(client, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(client, "anna@example.org")
    raw = link_in(mail.outbox[0]).rstrip("/").rsplit("/", 1)[-1]
    token = PortalLoginToken.objects.get()
    assert raw not in token.token_hash
    assert len(raw) >= 40


def test_link_signs_in_once_and_opening_it_does_not_use_it_up(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(client, "anna@example.org")
    path = path_of(link_in(mail.outbox[0]))
    assert client.get(path).status_code == 200  # a mail scanner opening it
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200
    client.logout()
    assert client.post(path).status_code == 400
    assert client.get("/portal/").status_code == 302


def test_expired_link_is_refused(client, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(client, "anna@example.org")
    PortalLoginToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    path = path_of(link_in(mail.outbox[0]))
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    assert client.get("/portal/").status_code == 302


def test_link_expires_after_fifteen_minutes(client, cast):
    ask_for_link(client, "anna@example.org")
    token = PortalLoginToken.objects.get()
    assert token.expires_at - token.created_at == timedelta(minutes=15)


def test_first_link_sign_in_creates_the_portal_login_for_a_known_customer(
    client, cast, django_capture_on_commit_callbacks
):
    ben = cast.other_customer
    assert ben.portal_user is None
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(client, "ben@example.org")
    client.post(path_of(link_in(mail.outbox[0])))
    ben.refresh_from_db()
    assert ben.portal_user.role == Role.CUSTOMER
    assert ben.portal_user.email == "ben@example.org"
    assert not ben.portal_user.has_usable_password()
    assert client.get("/portal/").status_code == 200


def test_made_up_link_is_refused(client, cast):
    assert client.post("/portal/login/link/not-a-real-token/").status_code == 400


def test_too_many_link_requests_are_refused_with_429(client, cast, settings):
    settings.PORTAL_CONTACT_RATE_LIMIT = 2
    for _ in range(2):
        assert ask_for_link(client, "anna@example.org").status_code == 302
    response = ask_for_link(client, "anna@example.org")
    assert response.status_code == 429
    assert PortalLoginToken.objects.count() == 2


def test_password_sign_in_with_email(client, cast):
    response = client.post(
        LOGIN, {"pw-email": cast.portal_user.email, "pw-password": cast.password}
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, cast):
    response = client.post(LOGIN, {"pw-email": cast.portal_user.email, "pw-password": "nope"})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_cannot_sign_in_to_the_portal_with_their_password(client, cast):
    response = client.post(LOGIN, {"pw-email": cast.agent.email, "pw-password": cast.password})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_customer_can_set_a_password_and_use_it(portal_client, cast):
    response = portal_client.post(
        "/portal/password/",
        {"new_password1": "a-long-new-passphrase", "new_password2": "a-long-new-passphrase"},
    )
    assert response.status_code == 302
    portal_client.post("/portal/logout/")
    response = portal_client.post(
        LOGIN, {"pw-email": cast.portal_user.email, "pw-password": "a-long-new-passphrase"}
    )
    assert response.status_code == 302


def test_staff_are_refused_on_portal_pages(client, cast):
    client.force_login(cast.agent)
    assert client.get("/portal/").status_code == 403
    assert client.get("/portal/new/").status_code == 403


def test_portal_customer_is_refused_on_staff_pages(portal_client, cast):
    assert portal_client.get("/customers/").status_code == 403
    assert portal_client.get(f"/customers/{cast.customer.pk}/").status_code == 403
    assert portal_client.get("/accounts/tokens/").status_code == 403


def test_anonymous_visitor_is_sent_to_the_portal_sign_in(client, cast):
    response = client.get("/portal/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


def test_too_many_password_attempts_are_refused_with_429(client, cast, settings):
    settings.PORTAL_CONTACT_RATE_LIMIT = 1  # four password attempts an hour
    for _ in range(4):
        client.post(LOGIN, {"pw-email": cast.portal_user.email, "pw-password": "guess"})
    response = client.post(
        LOGIN, {"pw-email": cast.portal_user.email, "pw-password": cast.password}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
