"""Reply templates: list, create and edit (personal for agents, shared for managers), and fill in."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rapport.helpdesk import macros
from rapport.helpdesk.forms import ReplyTemplateForm, VariantFormSet
from rapport.helpdesk.models import ReplyTemplate
from rapport.helpdesk.views.access import helpdesk_required, load_conversation


@helpdesk_required
def template_list(request):
    templates = list(
        macros.usable_templates(request.user).select_related("owner").prefetch_related("variants")
    )
    editable = set(macros.editable_templates(request.user).values_list("pk", flat=True))
    return render(
        request,
        "helpdesk/template_list.html",
        {"templates": templates, "editable": editable, "nav": "inbox"},
    )


def _save(request, template: ReplyTemplate | None):
    can_share = macros.can_edit_shared(request.user)
    instance = template or ReplyTemplate(owner=request.user)
    form = ReplyTemplateForm(request.POST or None, instance=instance, can_share=can_share)
    formset = VariantFormSet(request.POST or None, instance=instance, prefix="variants")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            if can_share:
                saved.owner = None if form.cleaned_data["shared"] else (saved.owner or request.user)
            saved.save()
            formset.instance = saved
            formset.save()
        messages.success(request, _("The template was saved."))
        return redirect("helpdesk:templates")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "helpdesk/template_form.html",
        {
            "form": form,
            "formset": formset,
            "template": template,
            "placeholders": macros.PLACEHOLDERS,
            "nav": "inbox",
        },
        status=status,
    )


@helpdesk_required
def template_create(request):
    return _save(request, None)


@helpdesk_required
def template_edit(request, template_id: int):
    template = macros.editable_templates(request.user).filter(pk=template_id).first()
    if template is None:
        raise Http404
    return _save(request, template)


@require_POST
@helpdesk_required
def template_delete(request, template_id: int):
    template = macros.editable_templates(request.user).filter(pk=template_id).first()
    if template is None:
        raise Http404
    template.delete()
    messages.success(request, _("The template was deleted."))
    return redirect("helpdesk:templates")


@require_GET
@helpdesk_required
def template_render(request, conversation_id, template_id: int):
    """Return the template filled in for this conversation (JSON for the composer's script)."""
    conversation = load_conversation(request, conversation_id)
    template = macros.usable_templates(request.user).filter(pk=template_id).first()
    if template is None:
        raise Http404
    rendered = macros.render_template(template, conversation=conversation, agent=request.user)
    return JsonResponse(
        {
            "id": template.pk,
            "body": rendered.body,
            "language": rendered.variant.language if rendered.variant else "",
            "formality": rendered.variant.formality if rendered.variant else "",
            "status": template.set_status,
            "priority": template.set_priority,
            "tags": template.tag_list(),
        }
    )
