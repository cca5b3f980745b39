"""``rapport assistant answer --jsonl``: one line out per question, bad lines named."""

import json

import pytest
from django.core.management import CommandError, call_command

from rapport.assistant import retrieval
from rapport.kb import actions as kb_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpcentre(db):
    retrieval.forget()
    kb_actions.save_translation(
        actor=None,
        slug="password-reset",
        language="en",
        title="Forgotten password",
        body="Click 'Forgot password' on the sign-in page. The reset link is valid for 30 minutes.",
        keywords=["forgot password", "reset link"],
        publish=True,
    )
    yield
    retrieval.forget()


def run(tmp_path, lines, *extra):
    source = tmp_path / "questions.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "answers.jsonl"
    call_command("assistant", "answer", "--jsonl", str(source), "--output", str(output), *extra)
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def test_each_question_gets_one_line_with_articles_and_handoff(tmp_path, helpcentre):
    rows = run(
        tmp_path,
        [
            json.dumps({"id": "q1", "lang": "en", "question": "I forgot my password"}),
            json.dumps({"id": "q2", "lang": "de", "question": "Wo ist Bestellung NL-5528194?"}),
        ],
    )
    assert [r["id"] for r in rows] == ["q1", "q2"]
    assert set(rows[0]) == {"id", "articles", "handoff"}
    assert rows[0]["articles"][0] == "password-reset"
    assert rows[0]["handoff"] is False
    assert rows[1]["handoff"] is True
    assert all(len(r["articles"]) <= 5 for r in rows)


def test_bad_lines_are_named_and_the_others_answered(tmp_path, helpcentre, capsys):
    rows = run(
        tmp_path,
        [
            "not json",
            json.dumps({"id": "no-question"}),
            json.dumps(["a", "list"]),
            json.dumps({"id": "ok", "lang": "en", "question": "reset link"}),
            json.dumps({"id": "odd", "lang": 5, "question": "x"}),
            "",
            json.dumps({"id": "bin", "lang": "xx", "question": "\u0000\u00ff"}),
        ],
    )
    assert [r["id"] for r in rows] == ["ok", "bin"]
    err = capsys.readouterr().err
    for number in (1, 2, 3, 5):
        assert f"line {number}:" in err
    assert "line 4" not in err


def test_explain_adds_reason_confidence_and_passage(tmp_path, helpcentre):
    (row,) = run(
        tmp_path,
        [json.dumps({"id": 7, "lang": "en", "question": "forgot password"})],
        "--explain",
    )
    assert row["id"] == 7
    assert row["reason"] == "answered"
    assert "Forgot password" in row["passage"]


def test_a_missing_input_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("assistant", "answer", "--jsonl", str(tmp_path / "missing.jsonl"))
