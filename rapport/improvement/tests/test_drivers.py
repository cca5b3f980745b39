"""The drivers: which tags, topics and phrases stand behind low answers, ranked."""

from datetime import date
from decimal import Decimal

import pytest

from rapport.customers.models import Tag
from rapport.feedback.models import SurveyKind
from rapport.improvement.queries import DriverError, driver_records, drivers, phrase_key
from rapport.improvement.tests.conftest import at
from rapport.kb.models import Article, Category, CategoryName
from rapport.metrics.periods import Period
from rapport.reviews.models import Review
from rapport.sentiment.scoring import analyze

OCTOBER = Period.from_dates(date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def tagged(cast, conversation, answer):
    """Six answered conversations; three scored low, two of those tagged "delivery".

    delivery: 2 of 3 low, 2 of 6 answered -> lift 2.0
    billing:  1 of 3 low, 3 of 6 answered -> lift 0.67
    """
    delivery, billing = Tag.objects.create(name="delivery"), Tag.objects.create(name="billing")
    rows = [
        ([delivery], "email", SurveyKind.CSAT, 1),
        ([delivery], "email", SurveyKind.CSAT, 2),
        ([billing], "chat", SurveyKind.NPS, 3),
        ([billing], "chat", SurveyKind.CSAT, 5),
        ([billing], "email", SurveyKind.CSAT, 4),
        ([], "chat", SurveyKind.NPS, 10),
    ]
    built = []
    for tags, channel, kind, score in rows:
        talk = conversation(tags=tags, channel=channel)
        answer(kind, score, conversation=talk)
        built.append(talk)
    return built


def test_the_tag_most_frequent_behind_low_answers_comes_first_with_its_lift(cast, tagged):
    found = drivers(cast.manager, OCTOBER)
    assert (found.low_conversations, found.answered_conversations) == (3, 6)
    assert [row.label for row in found.tags] == ["delivery", "billing"]
    delivery, billing = found.tags
    assert (delivery.low, delivery.answered) == (2, 2)
    assert delivery.lift == pytest.approx(2.0)
    assert billing.lift == pytest.approx((1 / 3) / (3 / 6))


def test_channels_are_ranked_as_topics(cast, tagged):
    channels = drivers(cast.manager, OCTOBER).topics["channel"]
    assert [row.value for row in channels] == ["email", "chat"]
    assert channels[0].lift == pytest.approx((2 / 3) / (3 / 6))


def test_the_help_centre_category_of_an_article_written_from_a_conversation_is_a_topic(
    cast, tagged
):
    category = Category.objects.create(slug="shipping")
    CategoryName.objects.create(category=category, language="en", name="Shipping")
    Article.objects.create(slug="late-parcels", category=category, source_conversation=tagged[0])
    categories = drivers(cast.manager, OCTOBER).topics["category"]
    assert [(row.label, row.low) for row in categories] == [("Shipping", 1)]


def test_an_agent_counts_only_the_conversations_they_may_see(cast, tagged):
    tagged[0].team = cast.team_b
    tagged[0].save()
    found = drivers(cast.agent, OCTOBER)
    assert found.low_conversations == 2
    assert {row.label: row.low for row in found.tags}["delivery"] == 1


def test_answers_outside_the_period_are_not_counted(cast, tagged):
    november = Period.from_dates(date(2026, 11, 1), date(2026, 11, 30))
    assert drivers(cast.manager, november).tags == []


def test_phrases_of_low_comments_detractors_and_negative_reviews_are_counted(cast, answer):
    late = {"label": "negative", "phrases": [["zu spät", -2.0], ["freundlich", 1.5]]}
    answer(SurveyKind.CSAT, 1, comment="Freundlich, aber zu spät.", comment_sentiment=late)
    answer(SurveyKind.NPS, 4, comment="Zu spät!", comment_sentiment={"phrases": [["Zu spät", -2]]})
    answer(SurveyKind.CSAT, 5, comment="Zu spät, egal.", comment_sentiment=late)  # not low
    Review.objects.create(
        source="google",
        external_id="1",
        rating=Decimal("1.0"),
        text="Rude staff",
        reviewed_at=at(10, 3),
        sentiment="negative",
        sentiment_phrases=[{"text": "rude", "weight": -2.5}, {"text": "zu spät", "weight": -1}],
    )
    found = drivers(cast.manager, OCTOBER)
    rows = {row.key: row for row in found.phrases}
    assert found.phrases[0].key == "zu spät"
    assert (rows["zu spät"].csat, rows["zu spät"].nps, len(rows["zu spät"].reviews)) == (1, 1, 1)
    assert rows["rude"].count == 1
    assert "freundlich" not in rows
    assert found.texts == {"csat": 1, "nps": 1, "reviews": 1}


def test_a_comment_never_scored_is_judged_now(cast, answer):
    text = "The delivery was terribly late and the support was useless."
    answer(SurveyKind.CSAT, 1, comment=text, language="en", comment_sentiment={})
    expected = {phrase_key(p.text) for p in analyze(text, language="en").phrases if p.weight < 0}
    assert expected
    assert {row.key for row in drivers(cast.manager, OCTOBER).phrases} == expected


def test_a_positive_review_with_a_good_rating_is_not_a_driver(cast):
    Review.objects.create(
        source="google",
        external_id="2",
        rating=Decimal("5.0"),
        text="Great",
        reviewed_at=at(10, 3),
        sentiment="positive",
        sentiment_phrases=[{"text": "not bad", "weight": -0.5}],
    )
    assert drivers(cast.manager, OCTOBER).phrases == []


def test_the_records_behind_a_tag_are_the_low_answers_of_its_conversations(cast, tagged):
    delivery = Tag.objects.get(name="delivery")
    found = driver_records(cast.manager, OCTOBER, "tag", str(delivery.pk))
    assert sorted(r.score for r in found.answers) == [1, 2]


def test_the_records_behind_a_phrase_include_its_reviews(cast, answer):
    answer(SurveyKind.CSAT, 2, comment="zu spät", comment_sentiment={"phrases": [["zu spät", -2]]})
    review = Review.objects.create(
        source="shop",
        external_id="3",
        rating=Decimal("2.0"),
        reviewed_at=at(10, 3),
        sentiment="negative",
        sentiment_phrases=[{"text": "Zu  spät", "weight": -1}],
    )
    found = driver_records(cast.manager, OCTOBER, "phrase", "ZU SPÄT")
    assert [r.score for r in found.answers] == [2]
    assert list(found.reviews) == [review]


def test_a_driver_of_an_unknown_kind_or_a_bad_id_is_refused(cast):
    with pytest.raises(DriverError):
        driver_records(cast.manager, OCTOBER, "colour", "blue")
    with pytest.raises(DriverError):
        driver_records(cast.manager, OCTOBER, "tag", "abc")
    with pytest.raises(DriverError):
        driver_records(cast.manager, OCTOBER, "channel", "pigeon")
