"""Survey and review demo data, through the real actions, so the feedback pages have content.

- CSAT after the solved and closed demo conversations: ``invite`` with the solve time as
  ``now``; the invitation is marked as sent at its historic send time by ``_mark_sent``
  (nothing is emailed, see there); about 60% are answered through ``record_answer`` inside
  ``demo_clock``, so the timeline, the conversation's events and (through
  ``sync_follow_up``, the action the answer's job calls) the follow-ups of low answers
  happen as in production, at the answer's time. About a third carry a comment
  (``add_comment``) in the invitation's language.
- Relationship NPS (trigger "schedule") for about 15% of the customers with orders, over
  the last 90 days; CES (trigger "self_service") for a few customers.
- About 120 reviews from Trustpilot, Google (1-5 stars) and the shop (0-10) through
  ``ingest_review``, a third written with a demo customer's email so that they match.

Everything is drawn from one seeded ``random.Random``: the same seed gives the same data.
Only ``rapport.demo.management.commands.demo`` calls this module.
"""

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from rapport.demo.helpdesk import demo_clock

#: Share of sent CSAT invitations that are answered, and of answers with a comment.
ANSWER_SHARE = 0.6
COMMENT_SHARE = 1 / 3
NPS_CUSTOMER_SHARE = 0.15
NPS_COMMENT_SHARE = 0.4
CES_CUSTOMERS = 12
REVIEWS = 120
MATCHED_REVIEW_SHARE = 1 / 3
DAYS = 90
# Surveys for the most recently solved conversations only: the actions take a few
# milliseconds each, and a bulk-loaded demo has hundreds of thousands of conversations.
MAX_CONVERSATIONS = 1500

CSAT_WEIGHTS = ((5, 45), (4, 25), (3, 12), (2, 8), (1, 10))
CES_WEIGHTS = ((7, 35), (6, 25), (5, 15), (4, 10), (3, 7), (2, 5), (1, 3))
# NPS: promoters (9-10) 50%, passives (7-8) 30%, detractors (0-6) 20%.
NPS_WEIGHTS = (
    (10, 28), (9, 22), (8, 17), (7, 13), (6, 6), (5, 5), (4, 3), (3, 2), (2, 2), (1, 1), (0, 1),
)  # fmt: skip

# --- Texts -------------------------------------------------------------------------------------

# Survey comments by language and sentiment ("why?" after a score).
COMMENTS = {
    "en": {
        "positive": (
            "Quick and friendly help, thank you!",
            "Solved on the first reply. Great.",
            "Very helpful, explained everything clearly.",
            "Fast refund, no questions asked.",
            "The agent really listened. Much appreciated.",
            "Exactly what I needed.",
            "Super quick answer even on a Saturday.",
            "Polite, competent and fast. Keep it up!",
            "The replacement arrived two days later. Excellent service.",
            "Thanks for sorting out the invoice so quickly.",
            "Best customer service I have dealt with in a long time.",
            "Clear instructions, everything works now.",
            "Friendly and patient with my many questions.",
            "Problem fixed, and you even followed up. Nice touch.",
            "Easy, quick and painless.",
            "Great help with the return label.",
        ),
        "neutral": (
            "Okay in the end, but it took a while.",
            "The answer was fine, the wait was long.",
            "Solved, though I had to explain it twice.",
            "Helpful, but the first reply was a template.",
            "It works now. The process could be simpler.",
            "Fine. Nothing special.",
            "Got there eventually.",
            "Decent help, slow delivery of the replacement.",
            "The agent was nice, but I am still waiting for the refund.",
            "Average. The FAQ could have told me this.",
            "Answer was correct but a bit short.",
            "Took three emails to get a clear answer.",
            "Satisfied, but the hotline was hard to reach.",
            "Reasonable, but I expected a faster reply.",
            "It was okay.",
        ),
        "negative": (
            "Nobody read my message properly.",
            "Still no refund after three weeks.",
            "Slow and unhelpful.",
            "I got a copy-and-paste answer that did not fit my question.",
            "The problem is not solved, the ticket was just closed.",
            "Very disappointed, I will order elsewhere.",
            "Waited five days for a reply.",
            "You promised a call back that never came.",
            "The wrong item again, and nobody seems to care.",
            "Unfriendly tone and no solution.",
            "Had to repeat everything to three different people.",
            "The replacement was damaged too.",
            "Closed without asking me. Not okay.",
            "Too expensive shipping for a return that was your mistake.",
            "Still waiting. Terrible.",
        ),
    },
    "de": {
        "positive": (
            "Schnelle und freundliche Hilfe, danke!",
            "Gleich mit der ersten Antwort gelöst. Super.",
            "Sehr hilfsbereit, alles verständlich erklärt.",
            "Erstattung kam sofort, ganz unkompliziert.",
            "Die Mitarbeiterin hat wirklich zugehört. Vielen Dank.",
            "Genau das, was ich gebraucht habe.",
            "Sogar am Samstag eine schnelle Antwort.",
            "Höflich, kompetent und schnell. Weiter so!",
            "Der Ersatz war zwei Tage später da. Top Service.",
            "Danke, dass die Rechnung so schnell korrigiert wurde.",
            "Der beste Kundenservice seit Langem.",
            "Klare Anleitung, jetzt funktioniert alles.",
            "Freundlich und geduldig bei meinen vielen Fragen.",
            "Problem gelöst und sogar nachgefragt. Sehr aufmerksam.",
            "Einfach, schnell und unkompliziert.",
            "Super Hilfe beim Rücksendeetikett.",
        ),
        "neutral": (
            "Am Ende okay, hat aber gedauert.",
            "Die Antwort war gut, die Wartezeit lang.",
            "Gelöst, aber ich musste es zweimal erklären.",
            "Hilfreich, aber die erste Antwort war ein Textbaustein.",
            "Jetzt klappt es. Der Ablauf könnte einfacher sein.",
            "In Ordnung. Nichts Besonderes.",
            "Hat irgendwann geklappt.",
            "Gute Hilfe, aber der Ersatz kam langsam.",
            "Nett, aber auf die Erstattung warte ich noch.",
            "Durchschnittlich. Das hätte auch in den FAQ stehen können.",
            "Die Antwort stimmte, war aber etwas knapp.",
            "Drei E-Mails bis zu einer klaren Antwort.",
            "Zufrieden, aber die Hotline war schwer erreichbar.",
            "Ganz ordentlich, ich hatte eine schnellere Antwort erwartet.",
            "War okay.",
        ),
        "negative": (
            "Niemand hat meine Nachricht richtig gelesen.",
            "Nach drei Wochen immer noch keine Erstattung.",
            "Langsam und nicht hilfreich.",
            "Ich habe eine Standardantwort bekommen, die nicht zu meiner Frage passt.",
            "Das Problem ist nicht gelöst, die Anfrage wurde einfach geschlossen.",
            "Sehr enttäuscht, ich bestelle woanders.",
            "Fünf Tage auf eine Antwort gewartet.",
            "Der versprochene Rückruf kam nie.",
            "Wieder der falsche Artikel, und niemand kümmert sich.",
            "Unfreundlicher Ton und keine Lösung.",
            "Ich musste alles drei verschiedenen Leuten erklären.",
            "Der Ersatz war auch beschädigt.",
            "Ohne Rückfrage geschlossen. Nicht in Ordnung.",
            "Teure Rücksendung für einen Fehler, den Sie gemacht haben.",
            "Warte immer noch. Schrecklich.",
        ),
    },
}

# Reviews: (tone, title, text) per language. Tones: positive, mixed, negative.
REVIEW_TEXTS = {
    "en": (
        ("positive", "Great shop", "Ordered on Monday, arrived on Wednesday. Well packed."),
        ("positive", "", "Excellent quality and fast delivery. Will order again."),
        ("positive", "Brilliant customer service", "I had a question about sizes and got a "
         "helpful answer within an hour. The jacket fits perfectly."),
        ("positive", "Love it", "Exactly as described. Very happy."),
        ("positive", "Recommended", "Easy ordering, good prices, and the return was simple "
         "when something did not fit. The refund came within three days."),
        ("positive", "", "Fast, friendly, reliable. Five stars."),
        ("positive", "Third order, still happy", "Consistent quality and the support team "
         "remembers you. That is rare these days."),
        ("mixed", "Good products, slow delivery", "The products are great but delivery took "
         "almost two weeks."),
        ("mixed", "", "Nice quality, but the packaging was damaged. Support sent a voucher."),
        ("mixed", "Okay", "Decent shop. The website is a bit confusing on mobile."),
        ("mixed", "Mixed feelings", "The first order was perfect, the second one was missing "
         "an item. It was sent later, but I had to ask twice."),
        ("mixed", "", "Fine products, average prices, nothing special."),
        ("negative", "Never again", "My parcel never arrived and support stopped answering."),
        ("negative", "Poor quality", "The seams came apart after one wash. Disappointed."),
        ("negative", "", "Waited three weeks for a refund. Terrible service."),
        ("negative", "Wrong item", "I received the wrong size twice. The return costs me "
         "money and nobody apologised."),
        ("negative", "Avoid", "Slow, unhelpful and overpriced."),
    ),
    "de": (
        ("positive", "Toller Shop", "Montag bestellt, Mittwoch geliefert. Gut verpackt."),
        ("positive", "", "Sehr gute Qualität und schnelle Lieferung. Gerne wieder."),
        ("positive", "Super Kundenservice", "Ich hatte eine Frage zur Größe und bekam innerhalb "
         "einer Stunde eine hilfreiche Antwort. Die Jacke passt perfekt."),
        ("positive", "Begeistert", "Genau wie beschrieben. Sehr zufrieden."),
        ("positive", "Empfehlenswert", "Einfache Bestellung, faire Preise, und die Rücksendung "
         "war unkompliziert. Das Geld war nach drei Tagen zurück."),
        ("positive", "", "Schnell, freundlich, zuverlässig. Fünf Sterne."),
        ("positive", "Dritte Bestellung, wieder zufrieden", "Gleichbleibende Qualität, und der "
         "Service kennt einen. Das ist selten geworden."),
        ("positive", "Alles bestens", "Ware top, Versand schnell, Rechnung korrekt."),
        ("mixed", "Gute Ware, lange Lieferzeit", "Die Produkte sind gut, aber die Lieferung "
         "hat fast zwei Wochen gedauert."),
        ("mixed", "", "Schöne Qualität, aber das Paket war beschädigt. Der Service hat einen "
         "Gutschein geschickt."),
        ("mixed", "Geht so", "Ordentlicher Shop. Die Webseite ist auf dem Handy etwas "
         "unübersichtlich."),
        ("mixed", "Gemischt", "Die erste Bestellung war perfekt, bei der zweiten fehlte ein "
         "Artikel. Er kam nach, aber ich musste zweimal nachfragen."),
        ("mixed", "", "Gute Produkte, mittlere Preise, nichts Besonderes."),
        ("negative", "Nie wieder", "Mein Paket kam nie an, und der Service antwortet nicht mehr."),
        ("negative", "Schlechte Qualität", "Die Nähte sind nach einer Wäsche aufgegangen. "
         "Enttäuschend."),
        ("negative", "", "Drei Wochen auf die Erstattung gewartet. Furchtbarer Service."),
        ("negative", "Falscher Artikel", "Zweimal die falsche Größe bekommen. Die Rücksendung "
         "kostet mich Geld, und entschuldigt hat sich niemand."),
        ("negative", "Finger weg", "Langsam, nicht hilfsbereit und überteuert."),
    ),
}  # fmt: skip

REVIEWERS = (
    "Anna K.", "Thomas M.", "Sabine", "J. Weber", "Lukas", "Emily R.", "Mark T.", "Sophie",
    "Daniel B.", "Claudia H.", "Oliver", "Sarah L.", "Peter", "Laura M.", "Chris",
)  # fmt: skip

# Review sources: (slug, scale, weight).
SOURCES = (("trustpilot", 5, 40), ("google", 5, 35), ("shop", 10, 25))
# A rating consistent with each tone, by scale.
RATINGS = {
    5: {"positive": (5, 5, 4), "mixed": (3, 3, 4, 2), "negative": (1, 1, 2)},
    10: {"positive": (10, 9, 9, 8), "mixed": (5, 6, 7), "negative": (0, 1, 2, 3)},
}
REVIEW_TONES = (("positive", 55), ("mixed", 20), ("negative", 25))


@dataclass
class FeedbackStats:
    invitations: int = 0
    answers: int = 0
    comments: int = 0
    follow_ups: int = 0
    reviews: int = 0
    matched_reviews: int = 0
    seconds: float = 0.0


# --- Loading -----------------------------------------------------------------------------------


def load_demo_feedback(*, seed: int | None = None, now: datetime | None = None) -> FeedbackStats:
    """Create surveys and reviews for the demo data; return the counts.

    Nothing happens (all counts 0) when no demo conversation is solved or closed, and
    conversations or customers that already have surveys, and reviews already loaded, are
    left alone, so that a second run adds nothing.
    """
    from rapport.feedback.models import SurveyInvitation, SurveyResponse
    from rapport.helpdesk.models import DONE_STATUSES, Conversation

    started = time.perf_counter()
    stats = FeedbackStats()
    rnd = random.Random(seed if seed is not None else 20261122)
    now = now or timezone.now()
    conversations = list(
        Conversation.objects.filter(
            status__in=DONE_STATUSES, merged_into__isnull=True, solved_at__isnull=False
        )
        .exclude(Exists(SurveyInvitation.objects.filter(conversation=OuterRef("pk"))))
        .exclude(survey_follow_ups__isnull=False)  # the follow-ups this step works and solves
        .select_related("customer")
        .order_by("-solved_at", "-pk")[:MAX_CONVERSATIONS]
    )[::-1]
    if not conversations:
        return stats
    before = set(SurveyResponse.objects.values_list("pk", flat=True))
    with _jobs_inline():
        _csat(conversations, rnd, now, stats)
        _relationship(rnd, now, stats)
        _reviews(rnd, now, stats)
        _close_old_loops(rnd, now, before)
    stats.follow_ups = (
        SurveyResponse.objects.filter(follow_up__isnull=False).exclude(pk__in=before).count()
    )
    stats.seconds = time.perf_counter() - started
    return stats


@contextmanager
def _jobs_inline():
    """Run the Huey jobs the answers queue (``sync_follow_up_task``) at once, where they
    find the follow-up already opened, instead of leaving hundreds of no-op jobs queued."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = previous


def _mark_sent(invitation, at: datetime) -> None:
    """Record the invitation as sent at ``at`` without emailing anybody.

    ``send_invitation`` would email it (and skip it when throttled or without a portal
    login); historic demo surveys were "sent" long ago, so only their status, send time and
    link expiry are set, as ``send_invitation`` sets them.
    """
    from rapport.feedback.actions.common import link_days
    from rapport.feedback.models import InvitationStatus

    invitation.status = InvitationStatus.SENT
    invitation.sent_at = at
    invitation.expires_at = at + timedelta(days=link_days())
    invitation.save(update_fields=["status", "sent_at", "expires_at"])


def _answer(invitation, score: int, comment: str, at: datetime, stats: FeedbackStats) -> None:
    """Answer (and comment) through the actions with the clock at ``at``.

    The follow-up of a low answer is opened here, by the action its queued job calls, so
    that it is opened at the answer's time (with the comment in its first note) even when
    the job runs later; the job then finds it opened and does nothing.
    """
    from rapport.feedback.actions import add_comment, record_answer, sync_follow_up

    with demo_clock(at), transaction.atomic():
        response = record_answer(invitation=invitation, score=score, now=at)
        stats.answers += 1
        if comment:
            add_comment(invitation=invitation, comment=comment)
            stats.comments += 1
        if response.is_low:
            sync_follow_up(response_id=response.pk, now=at)


# What the account manager or team lead did, written in their follow-up before solving it.
OUTCOMES = {
    "de": (
        "Kundin angerufen, entschuldigt und die Versandkosten erstattet.",
        "Mit dem Kunden telefoniert: Ersatzgerät ist unterwegs, er ist einverstanden.",
        "Rückruf gemacht, Ursache war ein Fehler im Lager; Gutschein über 10 Euro geschickt.",
        "Per E-Mail entschuldigt und die Reparatur beschleunigt.",
    ),
    "en": (
        "Called the customer, apologised and refunded the delivery fee.",
        "Spoke to the customer: a replacement is on its way and they are happy with that.",
        "Rang back; the cause was a warehouse mistake. Sent a 10 euro voucher.",
        "Apologised by email and had the repair moved up.",
    ),
}
# Follow-ups opened more than this many days ago are worked and solved in the demo.
LOOP_DAYS = 7


def _close_old_loops(rnd: random.Random, now: datetime, before: set[int]) -> None:
    """Work the demo's older follow-ups as their owners would: a note saying what was done,
    then solved; the survey sweep records the outcome on the answer."""
    from rapport.accounts.models import Role, User
    from rapport.feedback.actions import close_follow_up_loops
    from rapport.feedback.models import SurveyResponse
    from rapport.helpdesk.actions import add_internal_note, change_status
    from rapport.helpdesk.models import Status

    fallback = User.objects.filter(is_active=True, role=Role.MANAGER).order_by("pk").first()
    rows = (
        SurveyResponse.objects.filter(
            follow_up__isnull=False, follow_up_opened_at__lte=now - timedelta(days=LOOP_DAYS)
        )
        .exclude(pk__in=before)
        .select_related("follow_up", "follow_up__assignee")
        .order_by("pk")
    )
    for response in rows:
        worker = response.follow_up.assignee or fallback
        if worker is None:
            continue
        at = response.follow_up_opened_at + timedelta(hours=rnd.randint(2, 48))
        language = "de" if (response.follow_up.language or "").startswith("de") else "en"
        with demo_clock(at), transaction.atomic():
            add_internal_note(
                conversation=response.follow_up,
                author=worker,
                body_text=rnd.choice(OUTCOMES[language]),
            )
            change_status(conversation=response.follow_up, actor=worker, status=Status.SOLVED)
    with demo_clock(now):
        close_follow_up_loops(now=now)


def _answer_time(rnd: random.Random, sent: datetime) -> datetime:
    """Most answers come within hours of the email, a few days later."""
    hours = min(rnd.expovariate(1 / 8), 24 * 6)
    return sent + timedelta(minutes=2) + timedelta(hours=hours)


def _sentiment(kind: str, score: int) -> str:
    positive, negative = {"csat": (4, 2), "ces": (6, 3), "nps": (9, 6)}[kind]
    if score >= positive:
        return "positive"
    return "negative" if score <= negative else "neutral"


def _comment(rnd: random.Random, language: str, kind: str, score: int) -> str:
    pool = COMMENTS["de" if language == "de" else "en"][_sentiment(kind, score)]
    return rnd.choice(pool)


def _weighted(rnd: random.Random, weights) -> int:
    values, chances = zip(*weights, strict=True)
    return rnd.choices(values, weights=chances)[0]


def _csat(conversations, rnd: random.Random, now: datetime, stats: FeedbackStats) -> None:
    from rapport.feedback.actions import after_solve_kind, invite
    from rapport.feedback.actions.common import csat_delay
    from rapport.feedback.models import SurveyChannel, Trigger
    from rapport.sla.actions import customer_channel

    kind = after_solve_kind()
    sent = []
    for conversation in conversations:
        solved = conversation.solved_at
        channel = (
            SurveyChannel.EMAIL
            if customer_channel(conversation) == "email"
            else SurveyChannel.PORTAL
        )
        with demo_clock(solved):
            invitation = invite(
                customer=conversation.customer,
                kind=kind,
                trigger=Trigger.SOLVED,
                occasion=f"conversation:{conversation.pk}:{solved.isoformat()}",
                conversation=conversation,
                channel=channel,
                now=solved,
                delay=csat_delay(),
            )
        stats.invitations += 1
        if invitation.send_after <= now:  # else it waits for the sweep, as in production
            _mark_sent(invitation, invitation.send_after)
            sent.append(invitation)
    # The most recently sent invitation stays open, so that its link can be tried.
    for invitation in sent[:-1]:
        if rnd.random() >= ANSWER_SHARE:
            continue
        at = _answer_time(rnd, invitation.sent_at)
        if at >= min(now, invitation.expires_at):
            continue
        weights = CSAT_WEIGHTS if kind == "csat" else CES_WEIGHTS
        score = _weighted(rnd, weights)
        comment = _comment(rnd, invitation.language, kind, score)
        _answer(invitation, score, comment if rnd.random() < COMMENT_SHARE else "", at, stats)


def _relationship(rnd: random.Random, now: datetime, stats: FeedbackStats) -> None:
    """NPS for about 15% of the customers with orders, CES after self-service for a few."""
    from rapport.commerce.models import Order
    from rapport.customers.models import Customer
    from rapport.feedback.actions import invite
    from rapport.feedback.models import SurveyInvitation, SurveyKind, Trigger

    buyers = list(
        Customer.objects.filter(Exists(Order.objects.filter(customer=OuterRef("pk"))))
        .exclude(
            Exists(
                SurveyInvitation.objects.filter(
                    customer=OuterRef("pk"), trigger__in=[Trigger.SCHEDULE, Trigger.SELF_SERVICE]
                )
            )
        )
        .order_by("pk")
    )
    count = round(len(buyers) * NPS_CUSTOMER_SHARE)
    picked = rnd.sample(buyers, min(len(buyers), count + CES_CUSTOMERS))
    plans = [(SurveyKind.NPS, Trigger.SCHEDULE, NPS_WEIGHTS, c) for c in picked[:count]] + [
        (SurveyKind.CES, Trigger.SELF_SERVICE, CES_WEIGHTS, c) for c in picked[count:]
    ]
    for kind, trigger, weights, customer in plans:
        asked = now - timedelta(days=DAYS) + timedelta(seconds=rnd.uniform(0, (DAYS - 7) * 86400))
        occasion = (
            f"schedule:{customer.pk}:{asked.date().isoformat()}"
            if trigger == Trigger.SCHEDULE
            else f"assistant:demo:{customer.pk}:{asked.date().isoformat()}"
        )
        with demo_clock(asked):
            invitation = invite(
                customer=customer, kind=kind, trigger=trigger, occasion=occasion, now=asked
            )
        stats.invitations += 1
        if invitation.send_after > now:
            continue
        _mark_sent(invitation, invitation.send_after)
        at = _answer_time(rnd, invitation.sent_at)
        if at >= now:
            continue
        score = _weighted(rnd, weights)
        comment = ""
        if rnd.random() < NPS_COMMENT_SHARE:
            comment = _comment(rnd, invitation.language, kind, score)
        _answer(invitation, score, comment, at, stats)


def _reviews(rnd: random.Random, now: datetime, stats: FeedbackStats) -> None:
    """About 120 reviews over the last 90 days, a third by demo customers (matched by email)."""
    from rapport.customers.models import ContactKind, ContactPoint
    from rapport.reviews.actions import ingest_review
    from rapport.reviews.models import Review

    if Review.objects.filter(external_id__startswith="demo-").exists():
        return
    authors = list(
        ContactPoint.objects.filter(kind=ContactKind.EMAIL, is_primary=True)
        .select_related("customer")
        .order_by("pk")[:2000]
    )
    for index in range(REVIEWS):
        source, scale = _weighted(rnd, [((s, sc), w) for s, sc, w in SOURCES])
        tone = _weighted(rnd, REVIEW_TONES)
        point = rnd.choice(authors) if authors and rnd.random() < MATCHED_REVIEW_SHARE else None
        if point is not None and point.customer.language in ("de", "en"):
            language = point.customer.language
        else:
            language = "de" if rnd.random() < 0.6 else "en"
        title, text = rnd.choice([(t, x) for k, t, x in REVIEW_TEXTS[language] if k == tone])
        at = now - timedelta(seconds=rnd.uniform(3 * 3600, DAYS * 86400))
        if point is not None:
            customer = point.customer
            name = f"{customer.given_name} {customer.family_name[:1]}.".strip()
        else:
            name = rnd.choice(REVIEWERS)
        data = {
            "external_id": f"demo-{source}-{index + 1}",
            "rating": rnd.choice(RATINGS[scale][tone]),
            "title": title,
            "text": text,
            "author_name": name,
            "author_email": point.value if point is not None else "",
            "reviewed_at": at,
            "language": language,
        }
        # Imported an hour after it was written: created_at and the timeline are historic.
        with demo_clock(at + timedelta(hours=1)):
            result = ingest_review(source=source, data=data, scale=scale)
        stats.reviews += 1
        stats.matched_reviews += result.review.customer_id is not None
