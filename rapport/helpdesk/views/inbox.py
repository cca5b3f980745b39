"""The agent inbox: views, filters, search, pages, and bulk actions on checked conversations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from rapport.accounts.models import Team
from rapport.customers.models import Tag
from rapport.helpdesk import actions, queries
from rapport.helpdesk.actions import HelpdeskError
from rapport.helpdesk.forms import BulkForm, InboxFilterForm, assignable_users
from rapport.helpdesk.models import Channel
from rapport.helpdesk.views.access import helpdesk_required

TAG_CHOICES_LIMIT = 300
VIEW_LABELS = {
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "breaching": _("Breaching soon"),
    "team": _("By team"),
    "channel": _("By channel"),
    "all": _("All open"),
    "solved": _("Solved"),
}


def _views(teams):
    """Return the inbox's navigation: (key, label, query string) per view, teams and channels."""
    items = [(key, VIEW_LABELS[key], f"?view={key}") for key in ("mine", "unassigned", "breaching")]
    team_items = [("team", team.name, f"?view=team&team={team.pk}", team.pk) for team in teams]
    channel_items = [
        ("channel", label, f"?view=channel&channel={value}", value)
        for value, label in Channel.choices
    ]
    tail = [(key, VIEW_LABELS[key], f"?view={key}") for key in ("all", "solved")]
    return items, team_items, channel_items, tail


@helpdesk_required
def inbox(request):
    """List conversations of one view with filters and search; htmx gets only the results."""
    user = request.user
    users = list(assignable_users().only("id", "username", "first_name", "last_name"))
    tags = list(Tag.objects.order_by("name").values_list("name", flat=True)[:TAG_CHOICES_LIMIT])
    data = request.GET.copy()
    data.setdefault("view", "mine")
    form = InboxFilterForm(data, users=users, tags=tags)
    view = "mine"
    team_id = None
    channel = ""
    if form.is_valid():
        view = form.cleaned_data["view"] or "mine"
        team_id = form.cleaned_data["team"]
        channel = request.GET.get("channel", "") if view == "channel" else ""
        qs, order = queries.inbox_queryset(
            user,
            view=view,
            team_id=team_id,
            channel=channel if channel in Channel.values else "",
            filters=form.filters() if view != "channel" else _without(form.filters(), "channel"),
            query=form.cleaned_data["q"],
        )
        page = queries.inbox_page(
            qs,
            order=order,
            cursor=form.cleaned_data["cursor"] or None,
            count_cap=queries.SEARCH_COUNT_CAP
            if form.cleaned_data["q"]
            else queries.INBOX_COUNT_CAP,
        )
    else:
        page = queries.inbox_page(queries.visible_conversations(user).none())
    teams = list(user.teams.all()) if user.role == "agent" else list(Team.objects.order_by("name"))
    main_views, team_views, channel_views, tail_views = _views(teams)
    context = {
        "form": form,
        "page": page,
        "view": view,
        "view_label": VIEW_LABELS.get(view, ""),
        "team_id": team_id,
        "channel": channel,
        "main_views": main_views,
        "team_views": team_views,
        "channel_views": channel_views,
        "tail_views": tail_views,
        "users": users,
        "bulk_form": BulkForm(users=users),
        "filtered": any(form.data.get(k) for k in ("q", "status", "priority", "assignee", "tag")),
        "now": timezone.now(),
        "nav": "inbox",
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "helpdesk/_inbox_results.html", context)
    return render(request, "helpdesk/inbox.html", context)


def _without(filters: dict, name: str) -> dict:
    return {k: v for k, v in filters.items() if k != name}


def _back(request, form_next: str):
    if form_next and url_has_allowed_host_and_scheme(
        form_next, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(form_next)
    return redirect("helpdesk:inbox")


@require_POST
@helpdesk_required
def bulk(request):
    """Apply one action to every checked conversation the user may see."""
    users = list(assignable_users())
    form = BulkForm(request.POST, users=users)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request, request.POST.get("next", ""))
    data = form.cleaned_data
    conversations = list(
        queries.visible_conversations(request.user)
        .filter(pk__in=data["ids"])
        .select_related("customer")
        .order_by("created_at", "id")
    )
    action = data["action"]
    done = 0
    failed: list[str] = []
    if action == "merge":
        target, sources = conversations[0] if conversations else None, conversations[1:]
        for source in sources:
            try:
                actions.merge_conversations(source=source, target=target, actor=request.user)
                done += 1
            except HelpdeskError as exc:
                failed.append(f"{source.number}: {exc.message}")
    else:
        assignee = None
        if action == "assign":
            assignee = next((u for u in users if str(u.pk) == data["assignee"]), None)
        for conversation in conversations:
            try:
                _apply(action, conversation, request.user, data, assignee)
                done += 1
            except (HelpdeskError, ValidationError) as exc:
                failed.append(f"{conversation.number}: {getattr(exc, 'message', exc)}")
    if done:
        messages.success(
            request,
            ngettext("%(count)s conversation changed.", "%(count)s conversations changed.", done)
            % {"count": done},
        )
    for line in failed:
        messages.error(request, line)
    return _back(request, data.get("next", ""))


def _apply(action, conversation, user, data, assignee) -> None:
    if action == "assign_me":
        actions.assign_conversation(conversation=conversation, actor=user, assignee=user)
    elif action == "assign":
        actions.assign_conversation(conversation=conversation, actor=user, assignee=assignee)
    elif action == "status":
        actions.change_status(conversation=conversation, actor=user, status=data["status"])
    elif action == "priority":
        actions.set_priority(conversation=conversation, actor=user, priority=data["priority"])
    elif action == "tag":
        actions.add_tags(conversation=conversation, actor=user, names=[data["tag"]])
