"""The ``rapport`` command: Django's management utility with Rapport's settings."""

import os
import sys


def main() -> None:
    """Run a management command, like ``manage.py``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
