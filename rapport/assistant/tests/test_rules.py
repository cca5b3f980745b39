"""Hand-over rules: requests that need a person, and questions about a process that do not."""

import pytest

from rapport.assistant.rules import judge


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("Wo ist meine Bestellung NL-5528194?", "specific_order"),
        ("Can you tell me if order NL-4471902 has shipped yet?", "specific_order"),
        ("Status of order 12345678 please", "specific_order"),
        ("Was ist mit Bestellung Nr. 4471902 los?", "specific_order"),
        ("My order #9912345 never arrived", "specific_order"),
        ("Wo bleibt die Gutschrift für Fall VG-204311?", "complaint"),
        ("I want to complain about order NL-1234567, this is unacceptable", "complaint"),
        ("Ich fordere 500 Euro Schadensersatz, sonst schalte ich meinen Anwalt ein.", "legal"),
        ("Pay me €500 or I call my lawyer", "legal"),
        ("I will sue you if this is not fixed", "legal"),
        ("Ich werde euch verklagen!", "legal"),
        ("Ich erstatte Anzeige wegen Betrug", "legal"),
        ("I want a human", "asked_for_person"),
        ("Can I talk to a real person please?", "asked_for_person"),
        ("let me speak to an agent", "asked_for_person"),
        ("Ich möchte bitte mit einem Mitarbeiter sprechen.", "asked_for_person"),
        ("Ich will einen Menschen, keinen Bot!", "asked_for_person"),
        ("Kann ich mit einem echten Menschen reden?", "asked_for_person"),
        ("Ich würde mich gern als Werkstudent bei euch bewerben", "out_of_scope"),
        ("Habt ihr offene Stellen im Kundenservice?", "out_of_scope"),
        ("Are you hiring? I'd like to apply for a job in your warehouse", "out_of_scope"),
        ("Do you offer internships?", "out_of_scope"),
        ("We are a tech blog and would like to discuss a sponsorship", "out_of_scope"),
        ("Wer ist bei euch für Presseanfragen zuständig?", "out_of_scope"),
    ],
)
def test_requests_that_need_a_person_are_recognised(question, reason):
    verdict = judge(question)
    assert verdict is not None, question
    assert verdict.reason == reason
    assert verdict.phrase


@pytest.mark.parametrize(
    "question",
    [
        "How do I file a complaint?",
        "Wie reiche ich eine Beschwerde ein?",
        "Is there an arbitration board?",
        "Gibt es eine Schlichtungsstelle?",
        "How do I check my order status?",
        "Wie kann ich meine Bestellung verfolgen?",
        "I want to escalate this to someone senior. How?",
        "Can I swap the 128gb iPhone for the 256gb version?",
        "Ich habe 2300 Punkte gesammelt",
        "Call me back at +49 341 1234567",
        "Do you sell products for humans with disabilities?",
        "Is my data passed on to the police?",
        "Why was my forum post with an affiliate link removed?",
        "Wie bewerte ich einen Artikel, den ich gekauft habe?",
        "My job requires a laptop with a VAT invoice",
        "",
        "😀",
    ],
)
def test_questions_about_a_process_are_not_handed_over_by_the_rules(question):
    assert judge(question) is None
