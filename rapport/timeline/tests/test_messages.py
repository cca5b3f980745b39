from decimal import Decimal

import pytest
from django.utils import translation

from rapport.commerce.actions import LineInput, change_order_status, record_order
from rapport.customers.actions import record_consent
from rapport.timeline.actions import add_note, record_event
from rapport.timeline.messages import label, message, money, render
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def test_system_event_titles_follow_the_readers_language(cast):
    with translation.override("en"):
        order, _ = record_order(
            actor=cast.agent,
            customer=cast.customer,
            number="R-7",
            lines=[LineInput(name="Cable", unit_price="1234.50")],
        )
        change_order_status(actor=cast.agent, order=order, status="cancelled")
        record_consent(
            actor=cast.agent,
            customer=cast.customer,
            purpose="newsletter",
            granted=True,
            source="web_form",
            wording_version="v1",
        )

    def titles():
        return [
            e.display_title
            for e in TimelineEvent.objects.filter(customer=cast.customer).order_by("id")
        ]

    with translation.override("en"):
        assert titles() == [
            "Order R-7: €1,234.50",
            "Order R-7: paid → cancelled",
            "Consent given: newsletter",
        ]
    with translation.override("de"):
        assert titles() == [
            "Bestellung R-7: 1.234,50\xa0€",
            "Bestellung R-7: bezahlt → storniert",
            "Einwilligung erteilt: Newsletter",
        ]


def test_notes_are_shown_as_written_in_every_language(cast):
    add_note(customer=cast.customer, actor=cast.agent, body="Ruft morgen zurück")
    with translation.override("en"):
        assert TimelineEvent.objects.get(kind="note").display_title == "Ruft morgen zurück"


def test_a_message_keeps_its_rendered_title_for_search(cast):
    with translation.override("de"):
        event = record_event(
            customer=cast.customer, kind="profile", message=message("Customer created")
        )
    assert event.title == "Kunde angelegt"
    assert event.data["message"] == {"text": "Customer created", "params": {}}


def test_labels_are_only_looked_up_in_rapports_own_modules():
    assert render(message("%(x)s", x={"label": ["os.path", "sep"]})) == "sep"
    assert render(message("%(x)s", x=label(type("X", (), {"__module__": "evil"}), "v"))) == "v"
    assert render(message("%(total)s", total=money(Decimal("5"), "CHF")))


def test_a_broken_stored_message_does_not_break_the_page():
    assert render({"text": "Order %(number)s", "params": {}}) == "Order %(number)s"
