"""Creating, editing and closing initiatives: who may, and what is refused."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rapport.improvement.actions import close_initiative, create_initiative, update_initiative
from rapport.improvement.models import Direction, Initiative, InitiativeStatus


def fields(cast, **changes):
    data = {
        "title": "Fewer waits on the phone",
        "problem": "Callers hang up.",
        "hypothesis": "A call-back option keeps them.",
        "action": "Offer call-backs after two minutes.",
        "owner": cast.manager,
        "kpi": "csat",
        "start_date": date(2026, 10, 16),
    }
    data.update(changes)
    return data


def errors_of(cast, actor=None, **changes) -> dict:
    with pytest.raises(ValidationError) as raised:
        create_initiative(actor=actor or cast.manager, **fields(cast, **changes))
    assert not Initiative.objects.exists()
    return raised.value.message_dict


def test_a_manager_creates_an_initiative(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast, filters={"channel": "email"}))
    assert initiative.status == InitiativeStatus.PLANNED
    assert initiative.filters == {"channel": "email"}
    assert initiative.created_by == cast.manager


def test_an_initiative_on_response_time_improves_downwards_by_default(cast):
    initiative = create_initiative(
        actor=cast.admin, **fields(cast, kpi="first_response_time_calendar_median")
    )
    assert initiative.direction == Direction.DOWN


def test_an_agent_may_not_create_an_initiative(cast):
    with pytest.raises(PermissionDenied):
        create_initiative(actor=cast.agent, **fields(cast))
    assert not Initiative.objects.exists()


def test_an_unknown_kpi_is_refused(cast):
    assert "kpi" in errors_of(cast, kpi="happiness")


def test_an_end_before_the_start_is_refused(cast):
    assert "end_date" in errors_of(cast, end_date=date(2026, 10, 1))


def test_an_owner_who_is_not_staff_is_refused(cast):
    assert "owner" in errors_of(cast, owner=cast.portal_user)


def test_a_missing_owner_and_empty_texts_are_refused_together(cast):
    errors = errors_of(cast, owner=None, title="  ", problem="")
    assert {"owner", "title", "problem"} <= set(errors)


def test_an_unknown_slice_dimension_is_refused(cast):
    assert "filters" in errors_of(cast, filters={"colour": "blue"})


def test_a_slice_with_a_team_that_does_not_exist_is_refused(cast):
    assert "filters" in errors_of(cast, filters={"team": 99999})


def test_a_slice_with_an_unknown_channel_is_refused(cast):
    assert "filters" in errors_of(cast, filters={"channel": "pigeon"})


def test_a_window_beyond_a_year_is_refused(cast):
    assert "window_days" in errors_of(cast, window_days=400)


def test_an_unknown_status_and_direction_are_refused(cast):
    errors = errors_of(cast, status="dreaming", direction="sideways")
    assert {"status", "direction"} <= set(errors)


def test_a_start_date_that_is_not_a_date_is_refused(cast):
    assert "start_date" in errors_of(cast, start_date="soon")


def test_editing_replaces_the_fields_and_a_bad_edit_changes_nothing(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast))
    update_initiative(
        actor=cast.manager, initiative=initiative, **fields(cast, title="Call-backs", kpi="nps")
    )
    initiative.refresh_from_db()
    assert (initiative.title, initiative.kpi) == ("Call-backs", "nps")
    with pytest.raises(ValidationError):
        update_initiative(
            actor=cast.manager, initiative=initiative, **fields(cast, title="", kpi="nope")
        )
    initiative.refresh_from_db()
    assert (initiative.title, initiative.kpi) == ("Call-backs", "nps")


def test_closing_marks_the_initiative_done_with_an_end_date(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast, status="running"))
    closed = close_initiative(
        actor=cast.manager, initiative=initiative, end_date=date(2026, 11, 15)
    )
    assert closed.status == InitiativeStatus.DONE
    assert closed.end_date == date(2026, 11, 15)
    assert closed.closed_at is not None


def test_closing_an_initiative_before_its_start_ends_it_on_the_start_date(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast, start_date=date(2099, 1, 1)))
    closed = close_initiative(
        actor=cast.manager, initiative=initiative, status=InitiativeStatus.ABANDONED
    )
    assert closed.end_date == date(2099, 1, 1)


def test_closing_twice_or_as_running_is_refused(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast))
    with pytest.raises(ValidationError):
        close_initiative(actor=cast.manager, initiative=initiative, status="running")
    close_initiative(actor=cast.manager, initiative=initiative, end_date=date(2026, 11, 1))
    with pytest.raises(ValidationError):
        close_initiative(actor=cast.manager, initiative=initiative)


def test_closing_with_an_end_before_the_start_is_refused(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast))
    with pytest.raises(ValidationError):
        close_initiative(actor=cast.manager, initiative=initiative, end_date=date(2026, 1, 1))
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.PLANNED


def test_an_agent_may_not_close_an_initiative(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast))
    with pytest.raises(PermissionDenied):
        close_initiative(actor=cast.agent, initiative=initiative)


def test_reopening_a_closed_initiative_clears_its_closing_time(cast):
    initiative = create_initiative(actor=cast.manager, **fields(cast))
    close_initiative(actor=cast.manager, initiative=initiative, end_date=date(2026, 11, 1))
    reopened = update_initiative(
        actor=cast.manager, initiative=initiative, **fields(cast, status="running")
    )
    assert reopened.closed_at is None


def test_the_demo_creates_two_initiatives_once(cast):
    from rapport.improvement.demo import load_demo_initiatives

    assert len(load_demo_initiatives(today=date(2026, 11, 20))) == 2
    assert load_demo_initiatives(today=date(2026, 11, 20)) == []
    assert set(Initiative.objects.values_list("owner", flat=True)) == {cast.manager.pk}


def test_rapport_demo_adds_the_two_initiatives_after_the_feedback(db, settings, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("demo", "--if-empty", "--customers", "20", "--seed", "3", stdout=out)
    assert Initiative.objects.count() == 2
    assert "Improvement initiatives: 2 examples" in out.getvalue()
    assert out.getvalue().index("Surveys and reviews:") < out.getvalue().index("Improvement")
