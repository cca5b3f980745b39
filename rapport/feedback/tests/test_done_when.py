"""Issue 5 is done when this flow works end to end on the demo data: an agent solves a
conversation, the survey sweep emails its customer, one click in that email answers, and the
manager's dashboard counts the answer and lists it behind the CSAT figure."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Exists, OuterRef
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.customers.models import ContactKind, ContactPoint
from rapport.feedback.actions import invite_solved_conversations, send_due_invitations
from rapport.feedback.models import InvitationStatus, SurveyInvitation, SurveyResponse
from rapport.helpdesk.actions import change_status
from rapport.helpdesk.models import Channel, Conversation, Status

DASHBOARD = reverse("metrics:dashboard")


class FormInputs(HTMLParser):
    """Collect the ``<input>`` fields of the form with ``form_id``, as a browser submits them.

    ``form.submit()`` (what the page's script calls) sends the inputs but no submit button.
    """

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif tag == "input" and self.inside and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_inputs(html: str, form_id: str) -> dict[str, str]:
    parser = FormInputs(form_id)
    parser.feed(html)
    return parser.fields


def csat_card(html: str) -> str:
    found = re.search(r'<article class="card kpi-card" data-kpi="csat">(.*?)</article>', html, re.S)
    assert found, "no CSAT card"
    return found.group(1)


@pytest.fixture
def demo(db, settings, tmp_path, django_capture_on_commit_callbacks):
    """The demo data as ``make run`` loads it (fewer customers, no extra timeline events)."""
    settings.VAR_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "demo",
            "--if-empty",
            "--customers",
            "60",
            "--conversations",
            "30",
            "--seed",
            "5",
            verbosity=0,
        )
    mail.outbox.clear()


def open_email_conversation() -> Conversation:
    """Return an open demo email conversation whose customer has an address and may be asked
    now (no survey sent within the throttle)."""
    asked = SurveyInvitation.objects.filter(customer=OuterRef("customer"), sent_at__isnull=False)
    with_address = ContactPoint.objects.filter(
        customer=OuterRef("customer"), kind=ContactKind.EMAIL
    )
    conversation = (
        Conversation.objects.filter(channel=Channel.EMAIL, merged_into__isnull=True)
        .exclude(status__in=(Status.SOLVED, Status.CLOSED))
        .filter(Exists(with_address))
        .exclude(Exists(asked))
        .order_by("pk")
        .first()
    )
    assert conversation is not None, "the demo data has no open email conversation to solve"
    return conversation


def test_a_solved_demo_conversation_is_surveyed_answered_in_one_click_and_counted(
    demo, django_capture_on_commit_callbacks
):
    manager = User.objects.get(username="mkeller")
    assert manager.role == Role.MANAGER
    staff = Client()
    staff.force_login(manager)
    today = timezone.localdate().isoformat()
    period = {"period": "custom", "from": today, "to": today}
    before = staff.get(DASHBOARD, period).context["cards"]
    before = next(card["figure"] for card in before if card["key"] == "csat")

    # The agent solves it.
    conversation = open_email_conversation()
    agent = conversation.assignee or User.objects.filter(role=Role.AGENT).first()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=conversation, actor=agent, status=Status.SOLVED)

    # The periodic survey job: invite now, send when the invitation is due (after the delay,
    # in the customer's daytime).
    with django_capture_on_commit_callbacks(execute=True):
        assert invite_solved_conversations() == 1
        invitation = SurveyInvitation.objects.get(conversation=conversation)
        assert invitation.status == InvitationStatus.SCHEDULED
        assert send_due_invitations(now=max(invitation.send_after, timezone.now())) == 1
    [email] = [m for m in mail.outbox if "/feedback/s/" in m.body]
    address = conversation.customer.contact_points.filter(kind=ContactKind.EMAIL)
    assert set(email.to) <= set(address.values_list("value", flat=True))

    # The customer clicks "5" in the email; the page opens and its script posts the form.
    link = re.search(r"https?://\S+/feedback/s/\S+\?score=5", email.body).group(0)
    customer = Client(enforce_csrf_checks=True)
    url = urlsplit(link)
    page = customer.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    assert not SurveyResponse.objects.filter(invitation=invitation).exists()
    fields = form_inputs(page.content.decode(), "survey-score")
    assert fields["score"] == "5" and fields["csrfmiddlewaretoken"]
    posted = customer.post(url.path, fields)
    assert posted.status_code == 302
    assert customer.get(posted["Location"]).status_code == 200
    answer = SurveyResponse.objects.get(invitation=invitation)
    assert answer.score == 5 and answer.conversation_id == conversation.pk

    # The manager's dashboard counts it, and the CSAT figure's records list it.
    html = staff.get(DASHBOARD, period).content.decode()
    after = staff.get(DASHBOARD, period).context["cards"]
    after = next(card["figure"] for card in after if card["key"] == "csat")
    assert after.n == before.n + 1
    satisfied_before = round((before.value or 0) * before.n / 100)
    assert after.value == pytest.approx(100 * (satisfied_before + 1) / after.n)
    assert f"n = {after.n}" in csat_card(html)
    drill = re.search(r'href="(/metrics/drill/\?d=[^"]+)"', csat_card(html)).group(1)
    records = staff.get(drill.replace("&amp;", "&")).content.decode()
    assert f'class="drill-row" data-id="{answer.pk}"' in records
    conversation_url = reverse("helpdesk:conversation", args=[conversation.pk])
    assert f'href="{conversation_url}">#{conversation.pk}</a>' in records
