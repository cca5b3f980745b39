"""The German catalogue is complete and its compiled form matches it."""

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def load(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as f:
        po = read_po(f)
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as f:
        mo = read_mo(f)
    return po, mo


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def plain(value):
    return value if isinstance(value, str) or value is None else tuple(value)


def test_every_german_message_is_translated_and_none_is_fuzzy():
    po, _mo = load("de")
    missing = [
        m.id
        for m in po
        if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    assert missing == []
    assert len(po) > 500


def test_compiled_german_catalogue_matches_the_source():
    po, mo = load("de")
    compiled = {
        (text(m.context), m.id if isinstance(m.id, str) else m.id[0]): m.string for m in mo if m.id
    }
    for message in po:
        if not message.id:
            continue
        key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
        assert plain(compiled.get(key)) == plain(message.string), (
            f"run `make messages`: {key} is stale in django.mo"
        )
