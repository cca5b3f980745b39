"""The customer portal and the public contact form: thin views over portal actions and queries."""

import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rapport.feedback.queries import conversation_survey_panel
from rapport.helpdesk.actions import HelpdeskError
from rapport.helpdesk.models import Attachment, Conversation
from rapport.portal import actions, queries
from rapport.portal.forms import (
    CONSENT_TEXT,
    ContactForm,
    MagicLinkForm,
    PasswordLoginForm,
    ReplyForm,
    RequestForm,
)
from rapport.portal.throttle import hit

logger = logging.getLogger(__name__)
PAGE_SIZE = 20


def portal_login_required(view):
    """Send visitors to the portal sign-in; refuse signed-in staff (the portal is for customers)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        customer = queries.portal_customer(request.user)
        if customer is None:
            raise PermissionDenied
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapper


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _within_limits(request, scope: str, email: str, *, factor: int = 1) -> bool:
    limit = settings.PORTAL_CONTACT_RATE_LIMIT * factor
    by_ip = hit(f"{scope}:ip", _client_ip(request), limit=limit)
    by_email = hit(f"{scope}:email", email.strip().lower(), limit=limit)
    return by_ip and by_email


# --- Sign-in ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request):
    if queries.portal_customer(request.user) is not None:
        return redirect("portal:home")
    link_form = MagicLinkForm(prefix="link")
    password_form = PasswordLoginForm(prefix="pw")
    status = 200
    if request.method == "POST" and "link-email" in request.POST:
        link_form = MagicLinkForm(request.POST, prefix="link")
        if link_form.is_valid():
            email = link_form.cleaned_data["email"]
            if not _within_limits(request, "magic", email):
                link_form.add_error(None, _("Too many requests. Please try again in an hour."))
                status = 429
            else:
                actions.request_magic_link(email=email)
                return redirect("portal:link_sent")
    elif request.method == "POST":
        password_form = PasswordLoginForm(request.POST, prefix="pw")
        if password_form.is_valid() and not _within_limits(
            request, "password", password_form.cleaned_data["email"], factor=4
        ):
            password_form.add_error(None, _("Too many attempts. Please try again in an hour."))
            status = 429
        elif password_form.is_valid():
            user = actions.portal_user_for_login(email=password_form.cleaned_data["email"])
            authenticated = (
                authenticate(
                    request,
                    username=user.username,
                    password=password_form.cleaned_data["password"],
                )
                if user is not None
                else None
            )
            if authenticated is not None:
                login(request, authenticated)
                return redirect(_next_url(request))
            password_form.add_error(None, _("The email address or the password is not right."))
    return render(
        request,
        "portal/login.html",
        {"link_form": link_form, "password_form": password_form},
        status=status,
    )


def _next_url(request) -> str:
    target = request.GET.get("next", "")
    if target.startswith("/portal/") and not target.startswith("//"):
        return target
    return reverse("portal:home")


def link_sent(request):
    return render(request, "portal/link_sent.html", {"minutes": settings.PORTAL_MAGIC_LINK_MINUTES})


@require_http_methods(["GET", "POST"])
def magic_link(request, token: str):
    """Show a button that signs in (GET never uses up the link: mail scanners open links)."""
    if request.method == "POST":
        user = actions.redeem_magic_link(raw_token=token)
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if user.language:
                translation.activate(user.language)
            return redirect("portal:home")
    elif actions.peek_magic_link(raw_token=token):
        return render(request, "portal/magic_link.html", {"token": token})
    return render(request, "portal/magic_link_invalid.html", status=400)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("portal:login")


@portal_login_required
@require_http_methods(["GET", "POST"])
def set_password(request):
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.set_portal_password(user=request.user, password=form.cleaned_data["new_password1"])
        login(request, request.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your password was saved."))
        return redirect("portal:home")
    return render(request, "portal/set_password.html", {"form": form})


# --- Conversations ---------------------------------------------------------------------------


@portal_login_required
def home(request):
    page = Paginator(queries.portal_conversations(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/home.html", {"page": page, "customer": request.customer})


def _load(request, conversation_id) -> Conversation:
    try:
        return queries.portal_conversation(request.user, conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None


@portal_login_required
def conversation_detail(request, conversation_id: int):
    conversation = _load(request, conversation_id)
    return _render_conversation(request, conversation, ReplyForm())


def _render_conversation(request, conversation, form, status=200):
    return render(
        request,
        "portal/conversation.html",
        {
            "conversation": conversation,
            "thread": queries.portal_messages(conversation),
            "form": form,
            "company": settings.HELPDESK_COMPANY_NAME,
            "survey": conversation_survey_panel(request.customer, conversation),
        },
        status=status,
    )


@portal_login_required
@require_POST
def reply(request, conversation_id: int):
    conversation = _load(request, conversation_id)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.reply_in_portal(
                customer=request.customer,
                user=request.user,
                conversation=conversation,
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["attachment"],
            )
        except (HelpdeskError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you, your reply was sent."))
            return redirect("portal:conversation", conversation_id=conversation.pk)
    return _render_conversation(request, conversation, form, status=400)


@portal_login_required
@require_http_methods(["GET", "POST"])
def new_request(request):
    form = RequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = actions.submit_portal_request(
                customer=request.customer,
                user=request.user,
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["attachment"],
            )
        except (HelpdeskError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Thank you. Your request has the number %(number)s.")
                % {"number": conversation.number},
            )
            return redirect("portal:conversation", conversation_id=conversation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/new_request.html", {"form": form}, status=status)


@portal_login_required
def attachment(request, attachment_id: int):
    try:
        item = queries.portal_attachment(request.user, attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The public contact form -----------------------------------------------------------------

CONTACT_SESSION_KEY = "portal_contact_number"


@require_http_methods(["GET", "POST"])
def contact(request):
    form = ContactForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if request.POST.get("website"):
            logger.warning(
                "contact form honeypot filled from %s; submission dropped", _client_ip(request)
            )
            request.session.pop(CONTACT_SESSION_KEY, None)
            return redirect("portal:contact_thanks")
        if form.is_valid():
            data = form.cleaned_data
            if not _within_limits(request, "contact", data["email"]):
                form.add_error(
                    None,
                    _("You have sent too many messages. Please try again in an hour."),
                )
                status = 429
            else:
                conversation = actions.submit_contact_form(
                    name=data["name"],
                    email=data["email"],
                    subject=data["subject"],
                    text=data["text"],
                    consent_text=str(CONSENT_TEXT),
                    language=translation.get_language() or "",
                )
                request.session[CONTACT_SESSION_KEY] = conversation.number
                return redirect("portal:contact_thanks")
    return render(request, "portal/contact.html", {"form": form}, status=status)


def contact_thanks(request):
    number = request.session.pop(CONTACT_SESSION_KEY, None)
    return render(request, "portal/contact_thanks.html", {"number": number})
