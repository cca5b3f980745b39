"""Sign-in related pages, personal preferences and API tokens."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from rapport.accounts.access import staff_required
from rapport.accounts.actions import create_api_token, revoke_api_token, update_preferences
from rapport.accounts.forms import PreferencesForm, TokenForm
from rapport.accounts.models import ApiToken


@staff_required
def preferences(request):
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                update_preferences(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        form.add_error(field, error)
            else:
                translation.activate(
                    request.user.language or translation.get_language_from_request(request)
                )
                messages.success(request, _("Your preferences were saved."))
                return redirect("accounts:preferences")
    else:
        form = PreferencesForm(
            initial={"language": request.user.language, "time_zone": request.user.time_zone}
        )
    return render(request, "accounts/preferences.html", {"form": form})


@require_POST
def switch_language(request):
    """Switch the interface language; a signed-in user keeps it as their preference."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@staff_required
def tokens(request):
    new_raw = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            _token, new_raw = create_api_token(user=request.user, name=form.cleaned_data["name"])
            form = TokenForm()
    else:
        form = TokenForm()
    user_tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request, "accounts/tokens.html", {"form": form, "tokens": user_tokens, "new_raw": new_raw}
    )


@staff_required
@require_POST
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    revoke_api_token(token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
