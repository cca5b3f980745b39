"""The conversation page: access, the cross-channel thread, the composer, collisions, controls."""

import time

import pytest
from django.core.cache import cache

from rapport.factories import UserFactory
from rapport.helpdesk import actions
from rapport.helpdesk.actions import IncomingAttachment
from rapport.helpdesk.models import (
    CallOutcome,
    Channel,
    Conversation,
    ConversationLink,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.helpdesk.tests.helpers import conversation_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def url(conversation, action=""):
    return f"/helpdesk/{conversation.pk}/" + (f"{action}/" if action else "")


def test_agent_cannot_open_another_teams_conversation(agent_client, cast):
    foreign = conversation_for(cast.customer, team=cast.team_b)
    assert agent_client.get(url(foreign)).status_code == 404
    assert (
        agent_client.post(url(foreign, "reply"), {"body": "x", "channel": "email"}).status_code
        == 404
    )
    assert agent_client.post(url(foreign, "note"), {"body": "x"}).status_code == 404


def test_marketer_and_portal_customer_cannot_open_a_conversation(client, cast):
    conversation = conversation_for(cast.customer)
    for user in (cast.marketer, cast.portal_user):
        client.force_login(user)
        assert client.get(url(conversation)).status_code == 403


def test_page_shows_the_whole_history_from_every_channel(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a, text="First by email")
    actions.receive_message(
        customer=cast.customer,
        channel=Channel.CHAT,
        conversation=conversation,
        body_text="Then chat",
    )
    actions.log_call(
        customer=cast.customer,
        agent=cast.agent,
        conversation=conversation,
        direction="inbound",
        duration_seconds=125,
        outcome=CallOutcome.ANSWERED,
        notes="Called about the parcel",
    )
    content = agent_client.get(url(conversation)).content.decode()
    for text in (
        "First by email",
        "Then chat",
        "Called about the parcel",
        "Live chat",
        "Phone",
        "2:05",
    ):
        assert text in content


def test_internal_notes_are_marked_as_notes(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    actions.add_internal_note(conversation=conversation, author=cast.agent, body_text="Secret hint")
    content = agent_client.get(url(conversation)).content.decode()
    assert 'class="msg dir-note' in content
    assert "Secret hint" in content


def test_html_body_is_shown_in_a_sandboxed_frame_and_never_inline(agent_client, cast):
    conversation = conversation_for(
        cast.customer,
        team=cast.team_a,
        text="Plain part",
        body_html="<p>Hello <b>there</b></p><script>alert(1)</script>",
    )
    content = agent_client.get(url(conversation)).content.decode()
    assert 'sandbox=""' in content
    assert 'srcdoc="&lt;p&gt;Hello &lt;b&gt;there&lt;/b&gt;&lt;/p&gt;' in content
    assert "<script>alert(1)" not in content
    assert "alert(1)" not in content


def test_quoted_original_is_behind_show_full_message(agent_client, cast):
    conversation = conversation_for(
        cast.customer,
        team=cast.team_a,
        text="Thanks!\n\nOn Monday Support wrote:\n> old text",
        display_text="Thanks!",
    )
    content = agent_client.get(url(conversation)).content.decode()
    assert "Show full message" in content
    assert "&gt; old text" in content


def test_attachment_downloads_only_for_those_who_may_see_the_conversation(client, cast):
    conversation = conversation_for(
        cast.customer,
        team=cast.team_a,
        attachments=[IncomingAttachment(filename="invoice.html", content=b"<script>x</script>")],
    )
    attachment = conversation.messages.get(direction=Direction.INBOUND).attachments.get()
    client.force_login(cast.agent)
    response = client.get(f"/helpdesk/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"<script>x</script>"
    client.force_login(cast.other_agent)
    assert client.get(f"/helpdesk/attachments/{attachment.pk}/").status_code == 404
    client.force_login(cast.portal_user)
    assert client.get(f"/helpdesk/attachments/{attachment.pk}/").status_code == 403


def test_customer_sidebar_shows_preferences_local_time_orders_and_other_conversations(
    agent_client, cast
):
    from rapport.factories import OrderFactory

    cast.customer.time_zone = "America/New_York"
    cast.customer.preferred_channel = "chat"
    cast.customer.is_vip = True
    cast.customer.account_manager = cast.manager
    cast.customer.save()
    OrderFactory(customer=cast.customer, number="ORD-4711")
    older = conversation_for(cast.customer, team=cast.team_a, subject="Older question")
    conversation = conversation_for(cast.customer, team=cast.team_a)
    content = agent_client.get(url(conversation)).content.decode()
    for text in ("America/New_York", "Local time", "ORD-4711", "Older question", "VIP", "chat"):
        assert text in content
    assert f"/helpdesk/{older.pk}/" in content


def test_conversation_page_query_count_is_bounded(
    agent_client, cast, django_assert_max_num_queries
):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    for i in range(6):
        actions.add_internal_note(conversation=conversation, author=cast.agent, body_text=f"n{i}")
    with django_assert_max_num_queries(30) as captured:
        agent_client.get(url(conversation))
    before = len(captured.captured_queries)
    for i in range(10):
        actions.add_internal_note(conversation=conversation, author=cast.agent, body_text=f"m{i}")
    with django_assert_max_num_queries(before):
        agent_client.get(url(conversation))


def test_sla_panel_and_chat_console_are_included(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    response = agent_client.get(url(conversation))
    names = {t.name for t in response.templates}
    assert {"sla/_panel.html", "chat/_agent_console.html"} <= names


# --- Composer ----------------------------------------------------------------------------------


def page_state(client, conversation):
    form = client.get(url(conversation)).context["reply_form"]
    return {k: form.initial[k] for k in ("loaded_at", "last_outbound", "channel")}


def test_reply_is_sent_on_the_chosen_channel_and_counts_handling_time(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    state = page_state(agent_client, conversation)
    state["loaded_at"] = int(time.time()) - 90
    response = agent_client.post(
        url(conversation, "reply"),
        {**state, "body": "We are on it.", "channel": "portal", "status": "pending"},
    )
    assert response.status_code == 302
    reply = Message.objects.get(conversation=conversation, body_text="We are on it.")
    assert reply.direction == Direction.OUTBOUND and reply.channel == Channel.PORTAL
    assert reply.author == cast.agent
    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    assert 90 <= conversation.handling_seconds <= 120


def test_default_reply_channel_is_where_the_customer_last_wrote(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a, channel=Channel.PORTAL)
    assert page_state(agent_client, conversation)["channel"] == Channel.PORTAL
    # A chat without a visitor in it (no live session) is answered by email.
    chat = conversation_for(cast.customer, team=cast.team_a, channel=Channel.CHAT)
    assert page_state(agent_client, chat)["channel"] == Channel.EMAIL


def test_empty_reply_is_refused_and_nothing_is_sent(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    before = Message.objects.count()
    state = page_state(agent_client, conversation)
    response = agent_client.post(
        url(conversation, "reply"), {**state, "body": "  ", "channel": "email"}
    )
    assert response.status_code == 400
    assert Message.objects.count() == before


def test_handling_time_from_a_stale_page_is_capped(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    state = page_state(agent_client, conversation)
    state["loaded_at"] = int(time.time()) - 10 * 24 * 3600
    agent_client.post(
        url(conversation, "note"), {"body": "Checked", "loaded_at": state["loaded_at"]}
    )
    conversation.refresh_from_db()
    assert conversation.handling_seconds == 3600


def test_note_with_mention_is_kept_as_an_internal_note(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    agent_client.post(url(conversation, "note"), {"body": "@manager please check"})
    note = Message.objects.get(conversation=conversation, direction=Direction.NOTE)
    assert note.data["mentions"] == [cast.manager.pk]
    assert note.delivery_status == ""


def test_log_a_call_records_duration_and_outcome(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    agent_client.post(
        url(conversation, "call"),
        {
            "direction": "outbound",
            "minutes": "3",
            "seconds": "20",
            "outcome": "callback",
            "notes": "Will call back",
        },
    )
    call = Message.objects.get(conversation=conversation, kind=MessageKind.CALL)
    assert call.data["call"] == {
        "direction": "outbound",
        "duration_seconds": 200,
        "outcome": "callback",
    }
    conversation.refresh_from_db()
    assert conversation.handling_seconds == 200


def test_call_with_a_negative_duration_is_refused(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    response = agent_client.post(
        url(conversation, "call"),
        {"direction": "inbound", "minutes": "-1", "outcome": "answered"},
        follow=True,
    )
    assert response.status_code == 200
    assert not Message.objects.filter(conversation=conversation, kind=MessageKind.CALL).exists()


# --- Collision ---------------------------------------------------------------------------------


def test_reply_after_a_colleagues_reply_needs_confirmation(agent_client, cast):
    conversation = conversation_for(cast.customer)  # no team: both agents see it
    state = page_state(agent_client, conversation)
    actions.send_reply(
        conversation=conversation, author=cast.other_agent, body_text="Already answered"
    )
    response = agent_client.post(
        url(conversation, "reply"), {**state, "body": "My answer", "channel": "email"}
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "A colleague replied while you were writing." in content
    assert "Already answered" in content
    assert "My answer" in content  # the draft is kept
    assert not Message.objects.filter(body_text="My answer").exists()
    form = response.context["reply_form"]
    confirmed = {
        "body": "My answer",
        "channel": "email",
        "loaded_at": state["loaded_at"],
        "last_outbound": form.data["last_outbound"],
        "confirm": "on",
    }
    assert agent_client.post(url(conversation, "reply"), confirmed).status_code == 302
    assert Message.objects.filter(body_text="My answer").exists()


def test_own_earlier_reply_is_no_collision(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    state = page_state(agent_client, conversation)
    actions.send_reply(conversation=conversation, author=cast.agent, body_text="First")
    response = agent_client.post(
        url(conversation, "reply"), {**state, "body": "Second", "channel": "email"}
    )
    assert response.status_code == 302


def test_presence_shows_who_else_is_viewing_and_new_replies(client, cast):
    conversation = conversation_for(cast.customer)
    client.force_login(cast.other_agent)
    client.get(url(conversation))
    client.force_login(cast.agent)
    since = page_state(client, conversation)["last_outbound"]
    actions.send_reply(conversation=conversation, author=cast.other_agent, body_text="Hi")
    content = client.get(url(conversation, "presence") + f"?since={since}").content.decode()
    assert "Also viewing" in content
    assert cast.other_agent.get_full_name() in content
    assert "New reply since you opened this page" in content


# --- Controls ----------------------------------------------------------------------------------


def test_controls_change_status_priority_assignee_team_and_tags_with_events(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    agent_client.post(
        url(conversation, "update"),
        {
            "status": "on_hold",
            "priority": "high",
            "assignee": str(cast.agent.pk),
            "team": str(cast.team_a.pk),
            "tags": "billing, refund",
        },
    )
    conversation.refresh_from_db()
    assert conversation.status == Status.ON_HOLD
    assert conversation.priority == "high"
    assert conversation.assignee == cast.agent
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["billing", "refund"]
    kinds = set(conversation.events.filter(actor=cast.agent).values_list("kind", flat=True))
    assert {EventKind.STATUS, EventKind.PRIORITY, EventKind.ASSIGNEE, EventKind.TAGS} <= kinds


def test_assign_to_me_and_solve_buttons(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    agent_client.post(url(conversation, "assign-me"))
    agent_client.post(url(conversation, "solve"))
    conversation.refresh_from_db()
    assert conversation.assignee == cast.agent
    assert conversation.status == Status.SOLVED


def test_merge_into_another_conversation_by_number(agent_client, cast):
    source = conversation_for(cast.customer, team=cast.team_a)
    target = conversation_for(cast.customer, team=cast.team_a)
    response = agent_client.post(url(source, "merge"), {"target": target.number})
    assert response["Location"] == f"/helpdesk/{target.pk}/"
    source.refresh_from_db()
    assert source.merged_into_id == target.pk


def test_merge_into_an_invisible_conversation_is_refused(agent_client, cast):
    source = conversation_for(cast.customer, team=cast.team_a)
    foreign = conversation_for(cast.customer, team=cast.team_b)
    agent_client.post(url(source, "merge"), {"target": foreign.number})
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_link_related_conversation(agent_client, cast):
    one = conversation_for(cast.customer, team=cast.team_a)
    two = conversation_for(cast.other_customer, team=cast.team_a)
    agent_client.post(url(one, "link"), {"target": f"#{two.pk}"})
    assert ConversationLink.objects.filter(source=one, target=two).exists()
    assert f"/helpdesk/{two.pk}/" in agent_client.get(url(one)).content.decode()


def test_threading_reason_is_shown_and_the_message_can_be_split_off(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    joined = actions.receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=conversation,
        subject="Another topic",
        body_text="Something else entirely",
        thread_reason={"reason": "subject token", "matched": conversation.number},
    ).message
    content = agent_client.get(url(conversation)).content.decode()
    assert "Threaded here because:" in content
    assert "subject token" in content
    response = agent_client.post(url(conversation, "split"), {"message": joined.pk})
    joined.refresh_from_db()
    assert joined.conversation_id != conversation.pk
    assert response["Location"] == f"/helpdesk/{joined.conversation_id}/"
    assert conversation.events.filter(kind=EventKind.SPLIT).exists()


def test_customer_360_page_lists_the_customers_conversations(client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a, subject="Broken zipper")
    hidden = conversation_for(cast.customer, team=cast.team_b, subject="Billing secret")
    client.force_login(cast.agent)
    section = conversations_section(client.get(f"/customers/{cast.customer.pk}/"))
    assert "Broken zipper" in section
    assert f"/helpdesk/{conversation.pk}/" in section
    assert "Billing secret" not in section
    assert f"/helpdesk/{hidden.pk}/" not in section
    client.force_login(cast.marketer)
    response = client.get(f"/customers/{cast.customer.pk}/")
    assert response.status_code == 200
    assert conversations_section(response) == ""


def conversations_section(response) -> str:
    content = response.content.decode()
    start = content.find('id="conversations"')
    if start < 0:
        return ""
    return content[start : content.find("</section>", start)]


def test_conversation_page_has_the_shortcut_help(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    content = agent_client.get(url(conversation)).content.decode()
    assert 'id="shortcut-help"' in content
    assert 'id="assign-me-form"' in content and 'id="solve-form"' in content


def test_unavailable_colleague_can_still_be_assigned_by_hand(client, cast):
    away = UserFactory(username="away", role="agent", is_available=False)
    away.teams.add(cast.team_a)
    conversation = conversation_for(cast.customer, team=cast.team_a)
    client.force_login(cast.manager)
    client.post(
        url(conversation, "update"),
        {
            "status": "new",
            "priority": "normal",
            "assignee": str(away.pk),
            "team": str(cast.team_a.pk),
            "tags": "",
        },
    )
    assert Conversation.objects.get(pk=conversation.pk).assignee == away


def test_colleagues_to_mention_are_active_staff_matching_the_prefix(client, cast):
    from rapport.accounts.models import Role
    from rapport.factories import UserFactory

    UserFactory(username="agnes", first_name="Agnes", last_name="Roth", role=Role.AGENT)
    UserFactory(username="agatha", role=Role.AGENT, is_active=False)
    UserFactory(username="agent-customer", role=Role.CUSTOMER)
    UserFactory(username="agneta", role=Role.MARKETER)  # not in the helpdesk
    client.force_login(cast.agent)
    response = client.get("/helpdesk/colleagues/?q=ag")
    assert [c["username"] for c in response.json()["colleagues"]] == ["agent", "agnes"]
    by_surname = client.get("/helpdesk/colleagues/?q=rot").json()["colleagues"]
    assert by_surname == [{"username": "agnes", "name": "Agnes Roth"}]


def test_colleagues_are_not_listed_to_customers_or_strangers(client, cast):
    assert client.get("/helpdesk/colleagues/?q=a").status_code == 302
    client.force_login(cast.portal_user)
    assert client.get("/helpdesk/colleagues/?q=a").status_code == 403
