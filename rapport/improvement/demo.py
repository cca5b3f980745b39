"""Two example initiatives on the demo data, so the improvement pages have something to show."""

from datetime import date, timedelta

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.helpdesk.models import Channel
from rapport.improvement.actions import create_initiative
from rapport.improvement.models import Initiative, InitiativeStatus

# Demo content, not interface text: stored as written, like the rest of the demo data.
EXAMPLES = (
    {
        "title": "Morning shift for the overnight email",
        "problem": "Emails that arrive overnight wait until late morning for a first answer.",
        "hypothesis": "An early shift from 7:00 answers the night's email before customers "
        "chase it, so the median first response time by email falls.",
        "action": "Two agents start at 7:00 on weekdays and work the email queue first.",
        "kpi": "first_response_time_business_median",
        "filters": {"channel": Channel.EMAIL},
        "days_ago": 30,
        "status": InitiativeStatus.RUNNING,
    },
    {
        "title": "Call back every dissatisfied customer within a day",
        "problem": "Customers who rate a conversation 1 or 2 rarely hear from us again.",
        "hypothesis": "A personal call-back repairs the relationship and shows in CSAT.",
        "action": "The team lead calls back every low CSAT answer on the next working day.",
        "kpi": "csat",
        "filters": {},
        "days_ago": 60,
        "ended_days_ago": 15,
        "status": InitiativeStatus.DONE,
    },
)


def load_demo_initiatives(*, today: date | None = None) -> list[Initiative]:
    """Create the example initiatives that do not exist yet; return those created.

    The owner is a demo manager (an administrator when there is none); without either,
    nothing is created.
    """
    today = today or timezone.localdate()
    owner = (
        User.objects.filter(is_active=True, role__in=(Role.MANAGER, Role.ADMIN))
        .annotate(
            rank=Case(
                When(role=Role.MANAGER, then=Value(0)), default=1, output_field=IntegerField()
            )
        )
        .order_by("rank", "pk")
        .first()
    )
    if owner is None:
        return []
    created = []
    for example in EXAMPLES:
        if Initiative.objects.filter(title=example["title"]).exists():
            continue
        ended = example.get("ended_days_ago")
        created.append(
            create_initiative(
                actor=owner,
                owner=owner,
                title=example["title"],
                problem=example["problem"],
                hypothesis=example["hypothesis"],
                action=example["action"],
                kpi=example["kpi"],
                filters=example["filters"],
                start_date=today - timedelta(days=example["days_ago"]),
                end_date=today - timedelta(days=ended) if ended is not None else None,
                status=example["status"],
            )
        )
    return created
