"""Serve Rapport with its background worker: the embedded default that ``make run`` uses."""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rapport on HOST:PORT (waitress) and run one Huey worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )

    def handle(self, *args, host, port, threads, no_worker, **options):
        from waitress import serve

        from rapport.wsgi import application

        worker = None
        if not no_worker:
            worker = subprocess.Popen(
                [sys.executable, "-m", "rapport", "run_huey", "--workers", "2"]
            )
            self.stdout.write(f"Background worker started (pid {worker.pid}).")

        def stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Rapport is serving on http://{host}:{port}/ (database: {settings.DATABASES['default']['NAME']})"
        )
        try:
            serve(application, host=host, port=port, threads=threads, ident="Rapport")
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
