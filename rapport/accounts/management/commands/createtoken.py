from django.core.management.base import BaseCommand, CommandError

from rapport.accounts.actions import create_api_token
from rapport.accounts.models import User


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, username, name, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {username!r}.") from None
        _token, raw = create_api_token(user=user, name=name)
        self.stdout.write(raw)
