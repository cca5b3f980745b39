import pytest

from rapport.mail.parsing import (
    NotAnEmail,
    clean_header,
    decode_bytes,
    html_to_text,
    message_ids,
    parse_message,
)


def test_text_labelled_latin1_with_windows_1252_characters_decodes_as_windows_1252():
    assert decode_bytes("„Preis“ 5 €".encode("cp1252"), "iso-8859-1") == "„Preis“ 5 €"


def test_utf8_labelled_latin1_decodes_as_utf8():
    assert decode_bytes("Grüße".encode(), "iso-8859-1") == "Grüße"


def test_latin1_labelled_utf8_falls_back_to_windows_1252():
    assert decode_bytes("Grüße".encode("latin-1"), "utf-8") == "Grüße"


def test_unknown_charset_label_falls_back_instead_of_failing():
    assert decode_bytes("Straße".encode(), "x-unknown-charset") == "Straße"


def test_header_value_loses_line_breaks_and_control_characters():
    assert clean_header("Hallo\r\nBcc: x@y\x00") == "Hallo Bcc: x@y"


def test_message_ids_keep_their_angle_brackets_in_order():
    assert message_ids("<a@x> junk <b@y>\r\n <c@z>") == ["<a@x>", "<b@y>", "<c@z>"]


def test_bare_message_id_gets_angle_brackets():
    parsed = parse_message(b"From: a@example.org\r\nMessage-ID: bare@example.org\r\n\r\nx")
    assert parsed.message_id == "<bare@example.org>"


def test_html_to_text_skips_scripts_and_marks_quotes():
    text = html_to_text("<p>Neu</p><script>evil()</script><blockquote><p>Alt</p></blockquote>")
    assert text == "Neu\n\n> Alt"


def test_bytes_without_headers_are_not_an_email():
    with pytest.raises(NotAnEmail):
        parse_message(b"\x00\x01\x02\x03 plain garbage without structure")


def test_forwarded_message_does_not_lend_its_headers_to_the_outer_mail():
    raw = (
        b"From: outer@example.org\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n'
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: inner@example.org\r\nMessage-ID: <inner@x>\r\n"
        b"In-Reply-To: <ours@x>\r\nSubject: Inner\r\n\r\ninner body\r\n--b--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.from_address == "outer@example.org"
    assert parsed.message_id == "" and parsed.in_reply_to == []
    assert parsed.text == "see below"
    assert [a.filename for a in parsed.attachments] == ["Inner.eml"]
    assert b"inner body" in parsed.attachments[0].content


def test_sender_written_without_angle_brackets_is_still_read():
    parsed = parse_message(b"From: Anna Schmidt anna@example.org\r\nSubject: x\r\n\r\nbody")
    assert (parsed.from_name, parsed.from_address) == ("Anna Schmidt", "anna@example.org")


def test_encoded_display_name_with_a_comma_stays_one_sender():
    parsed = parse_message(b"From: =?utf-8?q?M=C3=BCller=2C_J=C3=BCrgen?= <j@example.de>\r\n\r\nx")
    assert (parsed.from_name, parsed.from_address) == ("Müller, Jürgen", "j@example.de")


def test_message_is_read_leniently_when_strict_parsing_fails(monkeypatch):

    from rapport.mail import parsing

    original = parsing._Walker._part

    def strict_fails(self, part, *, depth):
        if part.policy is parsing.READ_POLICY:
            raise IndexError("header parser bug")
        return original(self, part, depth=depth)

    monkeypatch.setattr(parsing._Walker, "_part", strict_fails)
    parsed = parse_message(
        b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nText"
    )
    assert (parsed.from_name, parsed.subject, parsed.text) == ("Jürgen", "Grüße", "Text")
    assert "LenientParse" in parsed.defects


def test_date_without_time_zone_is_read_as_utc():
    parsed = parse_message(b"From: a@example.org\r\nDate: Mon, 4 May 2026 10:12:00 -0000\r\n\r\nx")
    assert parsed.date.isoformat() == "2026-05-04T10:12:00+00:00"
