"""Serve Rapport with its background worker: the embedded default that ``make run`` uses.

HTTP and WebSockets (the live chat) share one port: uvicorn runs ``rapport.asgi:application``.
"""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

# WebSocket frames larger than this are refused by the server (chat messages are small).
WS_MAX_SIZE = 1024 * 1024


class Command(BaseCommand):
    help = "Serve Rapport on HOST:PORT (uvicorn, HTTP and WebSockets) and run one Huey worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--threads",
            type=int,
            default=8,
            help="Threads for blocking work such as database calls (ASGI_THREADS).",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )
        parser.add_argument(
            "--smtp-port",
            type=int,
            default=0,
            help="Also receive email for the support addresses on this port (SMTP listener "
            "on HOST; 0: off).",
        )

    def handle(self, *args, host, port, threads, no_worker, smtp_port, **options):
        import uvicorn

        # asgiref sizes its thread pool from this; it must be set before the app is loaded.
        os.environ.setdefault("ASGI_THREADS", str(max(1, threads)))
        from rapport.asgi import application

        worker = None
        if not no_worker:
            worker = subprocess.Popen(
                [sys.executable, "-m", "rapport", "run_huey", "--workers", "2"]
            )
            self.stdout.write(f"Background worker started (pid {worker.pid}).")
        smtpd = None
        if smtp_port:
            smtpd = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rapport",
                    "mail",
                    "smtpd",
                    "--host",
                    host,
                    "--port",
                    str(smtp_port),
                ]
            )
            addresses = ", ".join(settings.HELPDESK_SUPPORT_ADDRESSES)
            self.stdout.write(
                f"Receiving email for {addresses} on smtp://{host}:{smtp_port} (pid {smtpd.pid})."
            )

        def stop(signum, frame):
            raise KeyboardInterrupt

        server = uvicorn.Server(
            uvicorn.Config(
                application,
                host=host,
                port=port,
                lifespan="off",
                log_level="warning",
                ws_max_size=WS_MAX_SIZE,
                # Chat frames are small: compressing each one costs more CPU than it saves.
                ws_per_message_deflate=False,
                server_header=False,
                proxy_headers=bool(settings.SECURE_PROXY_SSL_HEADER),
            )
        )
        self.stdout.write(
            f"Rapport is serving on http://{host}:{port}/ (database: {settings.DATABASES['default']['NAME']})"
        )
        # uvicorn handles SIGINT and SIGTERM itself (it closes connections, then returns) and
        # raises the signal again afterwards: this handler turns SIGTERM into a clean stop.
        signal.signal(signal.SIGTERM, stop)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            for child in (worker, smtpd):
                if child is None:
                    continue
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
