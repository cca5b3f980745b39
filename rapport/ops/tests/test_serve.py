"""`rapport serve`: one port for HTTP and WebSockets (uvicorn), a worker beside it, clean stop."""

import json
import os
import re
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from types import SimpleNamespace

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie that its parent has not reaped yet is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def served(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "HUEY_IMMEDIATE", "REDIS_URL")
    }
    env["RAPPORT_VAR_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "rapport", "migrate", "-v", "0"], env=env, check=True, timeout=120
    )
    port, smtp_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rapport",
            "serve",
            "--port",
            str(port),
            "--smtp-port",
            str(smtp_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                break
        except OSError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", smtp_port), timeout=2).close()
            break
        except OSError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
    yield SimpleNamespace(process=process, base=base, smtp_port=smtp_port, var=tmp_path)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def test_serve_answers_http_and_websockets_on_one_port_and_stops_its_worker(served):
    from websockets.sync.client import connect

    process, base = served.process, served.base
    with urllib.request.urlopen(base + "/chat/widget.js", timeout=5) as response:
        assert response.status == 200
    with connect(base.replace("http", "ws") + "/ws/chat/visitor/") as sock:
        sock.send(json.dumps({"type": "hello", "token": "rcv_not-a-real-token"}))
        frame = json.loads(sock.recv(timeout=5))
    assert frame["code"] == "invalid_token"

    process.send_signal(signal.SIGTERM)
    output, _unused = process.communicate(timeout=30)
    assert process.returncode == 0, output
    worker_pid = int(re.search(r"worker started \(pid (\d+)\)", output).group(1))
    deadline = time.monotonic() + 15
    while alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(worker_pid)


def wait_for(query, database, *, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as db:
            rows = db.execute(query).fetchall()
        if rows:
            return rows
        time.sleep(0.3)
    raise AssertionError(f"nothing for {query!r} after {timeout} s")


def test_mail_to_the_support_address_becomes_an_acknowledged_conversation(served):
    """The walk-through of `make run`: write to the support address, see the acknowledgement."""
    mail = EmailMessage()
    mail["From"] = "Erika Mustermann <erika@example.org>"
    mail["To"] = "support@localhost"
    mail["Subject"] = "Bestellung nicht angekommen"
    mail["Message-ID"] = "<walkthrough-1@example.org>"
    mail.set_content("Hallo, meine Bestellung 4711 ist noch nicht da.\n\nViele Grüße\nErika")
    with smtplib.SMTP("127.0.0.1", served.smtp_port, timeout=10) as smtp:
        smtp.send_message(mail)

    database = served.var / "rapport.sqlite3"
    (conversation_id,) = wait_for(
        "SELECT conversation_id FROM helpdesk_message WHERE external_id = "
        "'<walkthrough-1@example.org>'",
        database,
    )[0]
    acknowledgement = wait_for(
        "SELECT body_text, delivery_status FROM helpdesk_message "
        f"WHERE conversation_id = {conversation_id} AND kind = 'system' AND delivery_status = 'sent'",
        database,
    )[0]
    assert f"RAP-{conversation_id}" in acknowledgement[0]
    sent = "".join(path.read_text() for path in (served.var / "mail").glob("*.log"))
    assert "erika@example.org" in sent
    assert f"[RAP-{conversation_id}]" in sent
    served.process.send_signal(signal.SIGTERM)
    served.process.communicate(timeout=30)
