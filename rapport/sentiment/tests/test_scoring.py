"""Sentiment scoring: labels, rules, explanations, odd input and the measured quality."""

import pytest

from bench.sentiment import evaluate, load
from rapport.sentiment.scoring import Label, Phrase, Sentiment, analyze


def words(result: Sentiment) -> set[str]:
    return {phrase.text.lower() for phrase in result.phrases}


def test_german_praise_is_positive():
    assert analyze("Super Service, sehr freundlich und schnell!", language="de").label == "positive"


def test_german_complaint_is_negative():
    result = analyze("Die Lieferung kam kaputt an, total enttäuscht.", language="de")
    assert result.label == "negative"


def test_german_plain_question_is_neutral():
    result = analyze("Wie lange dauert die Lieferung nach Österreich?", language="de")
    assert result.label == "neutral"


def test_german_question_about_damage_is_neutral():
    result = analyze("Was passiert, wenn mein Paket beschädigt ankommt?", language="de")
    assert result.label == "neutral"


def test_english_praise_is_positive():
    assert analyze("Great shop, really helpful staff!", language="en").label == "positive"


def test_english_complaint_is_negative():
    result = analyze("My order arrived broken and nobody answers my emails.", language="en")
    assert result.label == "negative"


def test_english_plain_question_is_neutral():
    result = analyze("Can you please tell me when my order will ship?", language="en")
    assert result.label == "neutral"


def test_german_nicht_schlecht_is_mildly_positive():
    result = analyze("Nicht schlecht.", language="de")
    assert 0 < result.score < 0.5


def test_english_not_bad_is_mildly_positive():
    result = analyze("Not bad.", language="en")
    assert 0 < result.score < 0.6


def test_german_nicht_zufrieden_is_negative():
    assert analyze("Ich bin nicht zufrieden.", language="de").label == "negative"


def test_english_not_happy_is_negative():
    assert analyze("I am not happy with this.", language="en").label == "negative"


def test_german_negation_after_the_verb_counts():
    assert analyze("Das Gerät funktioniert leider nicht.", language="de").label == "negative"


def test_german_kein_problem_is_not_negative():
    assert analyze("Kein Problem!", language="de").label != "negative"


def test_german_clause_after_aber_weighs_more():
    result = analyze(
        "Die Lieferung war langsam, aber die Qualität ist hervorragend.", language="de"
    )
    assert result.label == "positive"


def test_english_clause_after_but_weighs_more():
    result = analyze("The delivery was slow, but the quality is excellent.", language="en")
    assert result.label == "positive"


def test_german_intensifier_strengthens_the_score():
    plain = analyze("Das Essen war gut.", language="de").score
    boosted = analyze("Das Essen war sehr gut.", language="de").score
    assert boosted > plain > 0


def test_german_dampener_weakens_the_score():
    plain = analyze("Die Verpackung war schlecht.", language="de").score
    dampened = analyze("Die Verpackung war etwas schlecht.", language="de").score
    assert plain < dampened < 0


def test_german_all_caps_and_exclamation_marks_strengthen_the_score():
    plain = analyze("Das ist schlecht.", language="de").score
    loud = analyze("Das ist SCHLECHT!!!", language="de").score
    assert loud < plain < 0


def test_emoji_alone_carry_sentiment():
    assert analyze("Paket ist da 😍👍", language="de").label == "positive"
    assert analyze("parcel still not here 😡", language="en").label == "negative"


def test_german_umlauts_spelt_out_match():
    assert analyze("Ich bin enttaeuscht.", language="de").label == "negative"
    assert analyze("Eine einzige Enttäuschung.", language="de").label == "negative"


def test_german_compound_ending_in_a_lexicon_word_matches():
    assert analyze("Schon wieder eine Lieferverzögerung.", language="de").label == "negative"


def test_german_fixed_phrases_count_as_a_whole():
    result = analyze("Nie wieder bei diesem Shop.", language="de")
    assert result.label == "negative"
    assert "nie wieder" in words(result)
    assert analyze("Gerne wieder!", language="de").label == "positive"
    assert analyze("Kann mich nicht beklagen.", language="de").label == "positive"


def test_german_polite_sign_off_does_not_colour_a_request():
    text = "Bitte senden Sie mir eine Rechnung. Vielen Dank im Voraus und liebe Grüße"
    assert analyze(text, language="de").label == "neutral"


def test_german_ironic_opener_with_a_complaint_is_negative():
    assert analyze("Toll, schon wieder zu spät.", language="de").label == "negative"


def test_trailing_not_takes_the_praise_back():
    assert analyze("Really helpful support. Not.", language="en").label == "negative"
    assert analyze("Wirklich großartiger Service. Nicht.", language="de").label == "negative"


def test_english_ironic_opener_with_a_complaint_is_negative():
    assert analyze("Oh fantastic, my package is lost again.", language="en").label == "negative"


def test_conditional_clause_weighs_less():
    factual = analyze("Mein Paket kam beschädigt an.", language="de").score
    conditional = analyze("Ich frage, falls mein Paket beschädigt ankommt.", language="de").score
    assert factual < conditional <= 0


def test_impatient_question_stays_negative():
    assert analyze("Wie oft denn noch?", language="de").label == "negative"
    assert analyze("How many times do I have to ask?", language="en").label == "negative"


def test_english_negated_neutral_verb_is_negative():
    assert analyze("The parcel never arrived.", language="en").label == "negative"


def test_english_thanks_for_nothing_is_negative():
    result = analyze("Thanks for nothing.", language="en")
    assert result.label == "negative"
    assert "thanks for nothing" in words(result)


def test_explanation_names_the_words_that_carried_the_score():
    result = analyze("Der Versand war schnell, aber die Ware ist leider defekt.", language="de")
    assert result.label == "negative"
    assert {"defekt", "schnell"} <= words(result)
    strongest = result.phrases[0]
    assert isinstance(strongest, Phrase)
    assert strongest.text == "defekt" and strongest.weight < 0


def test_english_explanation_names_the_words_that_carried_the_score():
    result = analyze("Terrible support, the charger is broken.", language="en")
    assert {"terrible", "broken"} <= words(result)
    assert all(phrase.weight < 0 for phrase in result.phrases)


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", None, b"\x00\xff\xfe binary", "\x00\x01\x02", 12345, "🙂" * 3, "x" * 50_000],
)
def test_odd_input_never_raises_and_gives_a_sentiment(text):
    result = analyze(text, language="de")
    assert result.label in Label.values
    assert -1.0 <= result.score <= 1.0


@pytest.mark.parametrize("text", ["", "   ", None, "\x00\x01", "?!?", "1234 5678"])
def test_empty_or_meaningless_input_is_neutral(text):
    result = analyze(text)
    assert (result.label, result.score, result.phrases) == ("neutral", 0.0, ())


def test_very_long_text_is_cut_and_scored_quickly():
    result = analyze("Das Produkt ist wirklich toll. " * 2000, language="de")
    assert result.label == "positive"


def test_unknown_language_is_detected_from_the_text():
    result = analyze("Der Kundendienst war unfreundlich und die Lieferung kam viel zu spät.")
    assert (result.language, result.label) == ("de", "negative")
    result = analyze("The support team was rude and the delivery came far too late.")
    assert (result.language, result.label) == ("en", "negative")


def test_short_text_in_an_unknown_language_falls_back_to_a_language():
    result = analyze("Mega Service, danke!", language="fr")
    assert result.language in ("de", "en")
    assert result.label == "positive"


def test_label_choices_have_translatable_names():
    assert [choice for choice, _name in Label.choices] == ["negative", "neutral", "positive"]
    assert str(Label.NEGATIVE.label) == "Negative"


@pytest.mark.parametrize("language", ["de", "en"])
def test_macro_f1_on_the_test_split_reaches_the_target(language):
    figures = evaluate(load(language, "test"))[language]
    assert figures["n"] == 200
    assert figures["macro_f1"] >= 0.75
