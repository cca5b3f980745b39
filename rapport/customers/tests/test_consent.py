import pytest
from django.core.exceptions import ValidationError

from rapport.customers.actions import record_consent
from rapport.customers.models import ConsentRecord
from rapport.customers.queries import current_consents, has_consent
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def test_withdrawal_is_kept_as_history_and_the_latest_record_is_in_force(cast):
    customer = cast.customer
    record_consent(
        actor=cast.agent,
        customer=customer,
        purpose="marketing_email",
        granted=True,
        source="web_form",
        wording_version="v1",
    )
    assert has_consent(customer, "marketing_email")
    record_consent(
        actor=None,
        customer=customer,
        purpose="marketing_email",
        granted=False,
        source="email",
        wording_version="v1",
        note="unsubscribe link",
    )
    assert not has_consent(customer, "marketing_email")
    assert ConsentRecord.objects.filter(customer=customer, purpose="marketing_email").count() == 2
    current = current_consents(customer)
    assert current["marketing_email"].granted is False
    assert current["newsletter"] is None
    assert TimelineEvent.objects.filter(customer=customer, kind="consent").count() == 2


@pytest.mark.parametrize(
    ("purpose", "source", "version", "field"),
    [
        ("spam", "web_form", "v1", "purpose"),
        ("newsletter", "fax", "v1", "source"),
        ("newsletter", "api", " ", "wording_version"),
    ],
)
def test_consent_with_bad_input_is_rejected_and_not_saved(cast, purpose, source, version, field):
    with pytest.raises(ValidationError) as info:
        record_consent(
            actor=cast.agent,
            customer=cast.customer,
            purpose=purpose,
            granted=True,
            source=source,
            wording_version=version,
        )
    assert field in info.value.error_dict
    assert not ConsentRecord.objects.exists()
