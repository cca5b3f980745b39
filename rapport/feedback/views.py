"""The customer's survey page, reached through the signed link of an invitation."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rapport.feedback import letters, queries
from rapport.feedback.actions import (
    SurveyError,
    add_comment,
    invitation_from_token,
    record_answer,
)
from rapport.feedback.models import SCALES, SurveyChannel, SurveyInvitation, SurveyResponse

ERROR_STATUS = {"invalid_link": 400, "gone": 404, "expired": 410, "not_sent": 404}


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """Show the question (with the score chosen in the email), record answers and comments."""
    try:
        invitation = invitation_from_token(token)
    except SurveyError as error:
        return render(
            request,
            "feedback/unavailable.html",
            {"message": error.message, "code": error.code},
            status=ERROR_STATUS.get(error.code, 400),
        )
    with translation.override(invitation.language or None):
        error = ""
        if request.method == "POST":
            try:
                if request.POST.get("action") == "comment":
                    add_comment(invitation=invitation, comment=request.POST.get("comment", ""))
                    return redirect(f"{request.path}?commented=1")
                record_answer(
                    invitation=invitation, score=request.POST.get("score"), channel="email"
                )
                return redirect(f"{request.path}?answered=1")
            except SurveyError as problem:
                if problem.code == "expired":
                    return render(
                        request,
                        "feedback/unavailable.html",
                        {"message": problem.message, "code": problem.code},
                        status=410,
                    )
                error = problem.message
        response = SurveyResponse.objects.filter(invitation=invitation).first()
        chosen = _score(request.GET.get("score"), invitation.kind)
        context = {
            "invitation": invitation,
            "question": letters.question(invitation),
            "why": letters.why(invitation),
            "choices": letters.choices(invitation),
            "response": response,
            "chosen": chosen,
            # The score in the link is recorded by the page's script (a POST), so a mail
            # scanner that opens links never answers for the customer.
            "submit_chosen": chosen is not None and (response is None or response.score != chosen),
            "answered": "answered" in request.GET,
            "commented": "commented" in request.GET,
            "error": error,
        }
        return render(request, "feedback/answer.html", context, status=400 if error else 200)


def _score(value, kind) -> int | None:
    low, high = SCALES[kind]
    try:
        score = int(value)
    except (TypeError, ValueError):
        return None
    return score if low <= score <= high else None


@require_POST
def portal_answer(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Record a score or comment given on the customer's own conversation page in the portal."""
    from rapport.portal.queries import portal_customer

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("portal:login"))
    customer = portal_customer(request.user)
    if customer is None:
        raise PermissionDenied
    try:
        invitation = queries.portal_invitation(customer, invitation_id)
    except SurveyInvitation.DoesNotExist:
        raise Http404 from None
    try:
        if request.POST.get("action") == "comment":
            add_comment(invitation=invitation, comment=request.POST.get("comment", ""))
            messages.success(request, _("Thank you for your comment."))
        else:
            record_answer(
                invitation=invitation,
                score=request.POST.get("score"),
                channel=SurveyChannel.PORTAL,
            )
            messages.success(request, _("Thank you: your answer is saved."))
    except SurveyError as problem:
        messages.error(request, problem.message)
    if invitation.conversation_id:
        return redirect("portal:conversation", conversation_id=invitation.conversation_id)
    return redirect("portal:home")
