"""Administration of the mail channel: mailboxes, and every received email with its state.

Received emails are read-only: an administrator sees why one failed or was quarantined,
reads its raw source, and replays it after a fix. Nothing here deletes mail.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rapport.mail.models import InboundEmail, InboundStatus, Mailbox

RAW_PREVIEW_BYTES = 64 * 1024


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "email_address",
            "team",
            "is_active",
            "host",
            "port",
            "use_ssl",
            "username",
            "password",
            "folder",
        ]

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if not password and self.instance.pk:
            return Mailbox.objects.get(pk=self.instance.pk).password
        return password


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "email_address", "host", "folder", "is_active", "last_polled_at")
    list_filter = ("is_active",)
    search_fields = ("name", "email_address", "host", "username")
    readonly_fields = ("uid_validity", "last_uid", "last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("name", "email_address", "team", "is_active")}),
        (_("Server"), {"fields": ("host", "port", "use_ssl", "username", "password", "folder")}),
        (_("State"), {"fields": ("last_polled_at", "last_error", "uid_validity", "last_uid")}),
    )
    actions = ("poll_now",)

    @admin.action(description=_("Fetch new mail now"))
    def poll_now(self, request, queryset):
        from rapport.mail.imap import poll_mailbox

        for mailbox in queryset:
            result = poll_mailbox(mailbox)
            if not result.claimed:
                self.message_user(
                    request,
                    _("%(name)s is being read by a worker right now.") % {"name": mailbox.name},
                    messages.WARNING,
                )
            elif result.error:
                self.message_user(
                    request,
                    _("%(name)s: %(error)s") % {"name": mailbox.name, "error": result.error},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(name)s: %(count)d new message.",
                        "%(name)s: %(count)d new messages.",
                        result.stored,
                    )
                    % {"name": mailbox.name, "count": result.stored},
                    messages.SUCCESS,
                )


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "header_message_id",
        "envelope_from",
        "source",
        "mailbox",
        "status",
        "attempts",
    )
    list_filter = ("status", "source", "mailbox")
    search_fields = ("header_message_id", "envelope_from", "sha256")
    date_hierarchy = "received_at"
    list_select_related = ("mailbox",)
    ordering = ("-received_at", "-id")
    actions = ("replay",)
    fields = (
        "status",
        "reason",
        "attempts",
        "source",
        "mailbox",
        "envelope_from",
        "envelope_to",
        "header_message_id",
        "size",
        "sha256",
        "received_at",
        "processed_at",
        "message",
        "raw_source",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("raw source"))
    def raw_source(self, obj: InboundEmail) -> str:
        if not obj.raw:
            return ""
        try:
            with obj.raw.open("rb") as handle:
                data = handle.read(RAW_PREVIEW_BYTES + 1)
        except OSError as exc:
            return _("The stored file cannot be read: %(error)s") % {"error": exc}
        text = data[:RAW_PREVIEW_BYTES].decode("utf-8", "replace")
        if len(data) > RAW_PREVIEW_BYTES:
            text += "\n" + str(_("[… shortened; %(size)d bytes in all]") % {"size": obj.size})
        return text

    @admin.action(description=_("Process again"))
    def replay(self, request, queryset):
        from rapport.mail.actions import replay_inbound

        finished = (InboundStatus.PROCESSED, InboundStatus.DUPLICATE)
        replayable = list(queryset.exclude(status__in=finished))
        done = sum(replay_inbound(inbound=inbound).status in finished for inbound in replayable)
        self.message_user(
            request,
            _("%(done)d of %(total)d emails processed; the others keep their reason.")
            % {"done": done, "total": len(replayable)},
            messages.SUCCESS if done == len(replayable) else messages.WARNING,
        )
