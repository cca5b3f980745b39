"""Real mail servers for the transport tests: an SMTP relay (aiosmtpd) and Dovecot IMAP.

Both listen on 127.0.0.1 on free ports. Dovecot is Debian's (``dovecot-imapd``, installed by
``scripts/system-deps``), started once per test session with a throw-away configuration.
"""

import contextlib
import email
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")
IMAP_USER = "support"
IMAP_PASSWORD = "imap-test-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 10.0, process=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


# --- The SMTP relay outbound mail goes through ---------------------------------------------


@dataclass
class Relay:
    """An SMTP server that keeps what it receives, or answers with a chosen refusal."""

    port: int = 0
    envelopes: list = field(default_factory=list)
    # Set to "451 4.7.1 ..." or "550 5.1.1 ..." to refuse recipients (or the data).
    rcpt_reply: str = ""
    data_reply: str = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 OK: queued"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=policy.default)
            for e in self.envelopes
        ]

    def message_with_id(self, message_id: str) -> email.message.EmailMessage:
        found = [m for m in self.messages if m["Message-ID"] == message_id]
        assert len(found) == 1, f"{message_id} in {[m['Message-ID'] for m in self.messages]}"
        return found[0]


@pytest.fixture
def smtp_relay(settings):
    """Start an SMTP relay on loopback and send Django's mail through it."""
    relay = Relay(port=free_port())
    controller = Controller(relay, hostname="127.0.0.1", port=relay.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = relay.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield relay
    finally:
        controller.stop()


# --- Rapport's own SMTP listener ------------------------------------------------------------


@pytest.fixture
def start_smtp_listener(transactional_db):
    """Return a function that starts Rapport's SMTP listener on a free port (stopped after)."""
    from rapport.mail.smtp_listener import listener

    started = []

    def start():
        port = free_port()
        controller = listener("127.0.0.1", port)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


# --- Dovecot ---------------------------------------------------------------------------------


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    log: Path

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=5)
        client.login(self.user, self.password)
        return client

    def new_folder(self) -> str:
        """Create and return a fresh folder, so each test reads its own messages."""
        name = f"T{uuid.uuid4().hex[:12]}"
        with self.client() as client:
            client.create_folder(name)
        return name

    def append(self, folder: str, raw: bytes, flags=()) -> None:
        with self.client() as client:
            client.append(folder, raw, flags=flags)

    def recreate(self, folder: str) -> None:
        """Delete and create ``folder`` again: the server gives it a new UIDVALIDITY."""
        with self.client() as client:
            client.delete_folder(folder)
            client.create_folder(folder)


def _dovecot_config(root: Path, port: int) -> tuple[str, str]:
    """Return (dovecot.conf, passwd-file line) for a server run by the current user."""
    if os.geteuid() == 0:
        # Dovecot refuses mail access as root: mail belongs to nobody; the daemons run as
        # the users Debian's package creates.
        internal, login = "dovecot", "dovenull"
        mail_uid, mail_gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        internal_group = "dovecot"
    else:
        internal = login = pwd.getpwuid(os.getuid()).pw_name
        internal_group = grp.getgrgid(os.getgid()).gr_name
        mail_uid, mail_gid = os.getuid(), os.getgid()
    home = root / "mail" / IMAP_USER
    home.mkdir(parents=True)
    for path in (root / "mail", home):
        os.chown(path, mail_uid, mail_gid)
    conf = f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = rapport-test-{port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
# A wrong password is answered at once (no brute-force penalty on loopback in tests).
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
auth_mechanisms = plain login
log_path = {root}/dovecot.log
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth-worker {{
  user = {internal}
}}
"""
    user_line = f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{mail_uid}:{mail_gid}::{home}::\n"
    return conf, user_line


@pytest.fixture(scope="session")
def dovecot():
    """Run a real Dovecot IMAP server on loopback for the test session."""
    if not os.access(DOVECOT, os.X_OK):
        pytest.fail(
            f"{DOVECOT} is missing: run `make test` (scripts/system-deps installs Debian's "
            "dovecot-imapd) or `apt-get install dovecot-imapd`"
        )
    # Not under pytest's tmp dir: its parents are private to us, and Dovecot's own users
    # must reach the password file and the maildir.
    root = Path(tempfile.mkdtemp(prefix="rapport-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    conf, user_line = _dovecot_config(root, port)
    (root / "dovecot.conf").write_text(conf)
    (root / "users").write_text(user_line)
    (root / "users").chmod(0o644)
    output = open(root / "stdout.log", "wb")  # noqa: SIM115 - closed after the process
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=output,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port, process=process):
            logs = "".join(
                p.read_text(errors="replace")
                for p in (root / "stdout.log", root / "dovecot.log")
                if p.exists()
            )
            pytest.fail(f"Dovecot did not start on 127.0.0.1:{port}:\n{logs}")
        yield Dovecot("127.0.0.1", port, IMAP_USER, IMAP_PASSWORD, root / "dovecot.log")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_mailbox(db, dovecot):
    """Return a Mailbox reading a fresh folder of the Dovecot test server."""
    from rapport.mail.models import Mailbox

    folder = dovecot.new_folder()
    return Mailbox.objects.create(
        name=f"Support {folder}",
        email_address="support@localhost",
        host=dovecot.host,
        port=dovecot.port,
        use_ssl=False,
        username=dovecot.user,
        password=dovecot.password,
        folder=folder,
    )
