import pytest

from rapport.mail.quotes import strip_quotes

CASES = {
    "german_attribution": (
        "Passt, danke.\n\nAm 3. Mai 2026 um 10:12 schrieb Anna <a@b.de>:\n> alter Text",
        "Passt, danke.",
    ),
    "english_attribution_wrapped": (
        "Thanks!\n\nOn Mon, 4 May 2026 at 10:12, Anna Schmidt <\nanna@example.org> wrote:\n\n> old",
        "Thanks!",
    ),
    "thunderbird_german": (
        "Ja.\n\nAnna Schmidt <anna@example.org> schrieb am 03.05.2026 um 10:12:\n> Frage?",
        "Ja.",
    ),
    "outlook_german_divider": (
        "Neu.\n\n-----Ursprüngliche Nachricht-----\nVon: x\nGesendet: y\nAn: z\nBetreff: q\n\nalt",
        "Neu.",
    ),
    "outlook_english_divider": ("New.\n\n-----Original Message-----\nFrom: x\n\nold", "New."),
    "outlook_header_block": (
        "Neu.\n\nVon: Support <s@x>\nGesendet: Montag\nAn: Anna\nBetreff: Re\n\nalt",
        "Neu.",
    ),
    "signature_dashes": ("Body\n-- \nAnna\n+49 30 123", "Body"),
    "german_closing": ("Text hier.\n\nViele Grüße\nAnna", "Text hier."),
    "english_closing": ("Text here.\n\nBest regards,\nAnna", "Text here."),
    "iphone_de": ("Kurz.\n\nVon meinem iPhone gesendet", "Kurz."),
    "iphone_en": ("Short.\n\nSent from my iPhone", "Short."),
    "interleaved_answers_kept": ("> q1\na1\n> q2\na2", "> q1\na1\n> q2\na2"),
    "only_quote_keeps_everything": ("> nur Zitat", "> nur Zitat"),
    "forward_kept": (
        "FYI\n\n---------- Forwarded message ---------\nFrom: x <x@y>\nDate: today\nSubject: s\nTo: me\n\nfwd text",
        "FYI\n\n---------- Forwarded message ---------\nFrom: x <x@y>\nDate: today\nSubject: s\nTo: me\n\nfwd text",
    ),
    "ordinary_sentence_with_wrote_kept": (
        "As my colleague wrote:\nplease call back.",
        "As my colleague wrote:\nplease call back.",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_strip_quotes_shows_only_the_new_part(name):
    text, expected = CASES[name]
    assert strip_quotes(text) == expected
