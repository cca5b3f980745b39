"""Seed a few shared reply templates with German (formal and informal) and English variants."""

from django.db import migrations

TEMPLATES = [
    {
        "name": "Thanks, we are on it",
        "set_status": "open",
        "variants": {
            ("de", "formal"): (
                "{{ customer.greeting }},\n\n"
                "vielen Dank für Ihre Nachricht. Wir kümmern uns um Ihr Anliegen "
                "({{ conversation.number }}) und melden uns so bald wie möglich bei Ihnen.\n\n"
                "Mit freundlichen Grüßen\n{{ agent.first_name }}"
            ),
            ("de", "informal"): (
                "{{ customer.greeting }},\n\n"
                "danke für deine Nachricht! Wir kümmern uns um dein Anliegen "
                "({{ conversation.number }}) und melden uns so bald wie möglich bei dir.\n\n"
                "Viele Grüße\n{{ agent.first_name }}"
            ),
            ("en", ""): (
                "{{ customer.greeting }},\n\n"
                "Thank you for your message. We are looking into your request "
                "({{ conversation.number }}) and will get back to you as soon as possible.\n\n"
                "Kind regards\n{{ agent.first_name }}"
            ),
        },
    },
    {
        "name": "Order status",
        "set_status": "pending",
        "add_tags": "order",
        "variants": {
            ("de", "formal"): (
                "{{ customer.greeting }},\n\n"
                "Ihre Bestellung {{ order.number }} ist auf dem Weg. "
                "Bitte geben Sie uns Bescheid, falls sie nicht in den nächsten Tagen ankommt.\n\n"
                "Mit freundlichen Grüßen\n{{ agent.first_name }}"
            ),
            ("de", "informal"): (
                "{{ customer.greeting }},\n\n"
                "deine Bestellung {{ order.number }} ist auf dem Weg. "
                "Sag uns bitte Bescheid, falls sie nicht in den nächsten Tagen ankommt.\n\n"
                "Viele Grüße\n{{ agent.first_name }}"
            ),
            ("en", ""): (
                "{{ customer.greeting }},\n\n"
                "Your order {{ order.number }} is on its way. "
                "Please let us know if it has not arrived within the next few days.\n\n"
                "Kind regards\n{{ agent.first_name }}"
            ),
        },
    },
    {
        "name": "Solved, anything else?",
        "set_status": "solved",
        "variants": {
            ("de", "formal"): (
                "{{ customer.greeting }},\n\n"
                "wir haben Ihr Anliegen gelöst. Sollten Sie noch Fragen haben, antworten Sie "
                "einfach auf diese Nachricht.\n\n"
                "Mit freundlichen Grüßen\n{{ agent.first_name }}"
            ),
            ("de", "informal"): (
                "{{ customer.greeting }},\n\n"
                "wir haben dein Anliegen gelöst. Wenn du noch Fragen hast, antworte einfach "
                "auf diese Nachricht.\n\n"
                "Viele Grüße\n{{ agent.first_name }}"
            ),
            ("en", ""): (
                "{{ customer.greeting }},\n\n"
                "We have solved your request. If you have any further questions, simply reply "
                "to this message.\n\n"
                "Kind regards\n{{ agent.first_name }}"
            ),
        },
    },
]


def seed(apps, schema_editor):
    ReplyTemplate = apps.get_model("helpdesk", "ReplyTemplate")
    ReplyTemplateVariant = apps.get_model("helpdesk", "ReplyTemplateVariant")
    for spec in TEMPLATES:
        if ReplyTemplate.objects.filter(name=spec["name"], owner=None).exists():
            continue
        template = ReplyTemplate.objects.create(
            name=spec["name"],
            set_status=spec.get("set_status", ""),
            add_tags=spec.get("add_tags", ""),
        )
        for (language, formality), body in spec["variants"].items():
            ReplyTemplateVariant.objects.create(
                template=template, language=language, formality=formality, body=body
            )


def unseed(apps, schema_editor):
    ReplyTemplate = apps.get_model("helpdesk", "ReplyTemplate")
    ReplyTemplate.objects.filter(owner=None, name__in=[t["name"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0002_inbox_indexes_routing_and_reply_templates")]

    operations = [migrations.RunPython(seed, unseed)]
