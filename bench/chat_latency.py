"""Chat delivery latency: 200 concurrent chats over real WebSockets on loopback.

``python -m bench.chat_latency`` (or ``measure()``) migrates a fresh database (SQLite under
``var/bench/chat`` unless ``DATABASE_URL`` is given), starts ``rapport serve`` (uvicorn,
``rapport.asgi``) on a free loopback port, starts ``chats`` chats through the widget's API,
opens one visitor socket and one agent console socket per chat, and lets each chat exchange
``messages_per_chat`` messages each way at a human pace: before each message a pause drawn
from ``pause`` (default 4-12 s, so each side of a chat writes about every 16 s and 200 chats
make about 25 messages a second). Latency is end to end, measured in this process with one clock: from the moment a
frame is sent on one socket until the stored message's frame arrives on the other (visitor ->
agent: stored through ``receive_message``; agent -> visitor: stored through ``send_reply``
and delivered by the chat sender after the commit). Target: p95 under 200 ms.

Environment: ``BENCH_CHAT_DIR`` (default var/bench/chat), ``DATABASE_URL``.
"""

import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 200.0
SETUP_AGENT = """
from django.contrib.sessions.backends.db import SessionStore
from rapport.accounts.models import User
user = User.objects.create_user("bench-agent", password="x", role="admin", first_name="Bench")
store = SessionStore()
store["_auth_user_id"] = str(user.pk)
store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
store["_auth_user_hash"] = user.get_session_auth_hash()
store.create()
print(store.session_key)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)

    return {
        "count": len(ordered),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "max_ms": round(ordered[-1], 1) if ordered else None,
        "mean_ms": round(statistics.fmean(ordered), 1) if ordered else None,
    }


def _environment(workdir: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HUEY_IMMEDIATE")}
    env["RAPPORT_VAR_DIR"] = str(workdir)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    # The benchmark is one client address sending far more than one visitor would.
    env["CHAT_STARTS_PER_ADDRESS"] = "1000000"
    env["CHAT_RATE_LIMIT_MESSAGES"] = "1000000"
    env["LOG_LEVEL"] = "WARNING"
    return env


def _rapport(args: list[str], env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "rapport", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return result.stdout


def _post_json(url: str, data: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("rapport serve stopped before answering")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("rapport serve did not answer in time")


async def _run_chats(
    base: str, session_key: str, chats: int, messages_per_chat: int, seed: int, pause
):
    from websockets.asyncio.client import connect

    rng = random.Random(seed)
    ws_base = base.replace("http://", "ws://")
    loop = asyncio.get_running_loop()
    sent: dict[str, float] = {}
    to_agent: list[float] = []
    to_visitor: list[float] = []
    arrived: dict[str, asyncio.Event] = {}

    async def start(number: int) -> dict:
        return await loop.run_in_executor(
            None,
            _post_json,
            base + "/chat/api/start",
            {
                "name": f"Visitor {number}",
                "email": f"visitor{number}@bench.example",
                "question": f"Question of chat {number}",
                "lang": "en",
            },
        )

    started = []
    for offset in range(0, chats, 20):  # 20 chats at a time through the HTTP API
        started += await asyncio.gather(*(start(n) for n in range(offset, min(chats, offset + 20))))

    async def reader(sock, samples: list[float], key_of):
        async for raw in sock:
            frame = json.loads(raw)
            if frame.get("type") != "message":
                continue
            key = key_of(frame)
            if key in sent and key in arrived and not arrived[key].is_set():
                samples.append((time.perf_counter() - sent[key]) * 1000)
                arrived[key].set()

    visitors, agents, readers = [], [], []
    for number, chat in enumerate(started):
        visitor = await connect(ws_base + "/ws/chat/visitor/", max_size=2**20)
        await visitor.send(json.dumps({"type": "hello", "token": chat["token"], "last_id": 0}))
        conversation_id = int(chat["number"].rsplit("-", 1)[1])
        agent = await connect(
            f"{ws_base}/ws/chat/agent/{conversation_id}/",
            additional_headers={"Origin": base, "Cookie": f"sessionid={session_key}"},
            max_size=2**20,
        )
        visitors.append(visitor)
        agents.append(agent)
        readers.append(
            asyncio.create_task(reader(agent, to_agent, lambda f: f.get("client_id") or ""))
        )
        readers.append(asyncio.create_task(reader(visitor, to_visitor, lambda f: f["body"])))
        if number % 50 == 49:
            await asyncio.sleep(0)

    async def converse(number: int):
        await asyncio.sleep(rng.uniform(0, pause[1]))
        for index in range(messages_per_chat):
            await asyncio.sleep(rng.uniform(*pause))
            key = f"v-{number}-{index}"
            arrived[key] = asyncio.Event()
            sent[key] = time.perf_counter()
            await visitors[number].send(
                json.dumps({"type": "message", "body": f"visitor {key}", "client_id": key})
            )
            await asyncio.wait_for(arrived[key].wait(), 60)
            await asyncio.sleep(rng.uniform(*pause))
            body = f"agent a-{number}-{index}"
            arrived[body] = asyncio.Event()
            sent[body] = time.perf_counter()
            await agents[number].send(json.dumps({"type": "message", "body": body}))
            await asyncio.wait_for(arrived[body].wait(), 60)

    began = time.perf_counter()
    await asyncio.gather(*(converse(n) for n in range(chats)))
    elapsed = time.perf_counter() - began
    for task in readers:
        task.cancel()
    for sock in visitors + agents:
        await sock.close()
    return to_agent, to_visitor, elapsed


def measure(
    chats: int = 200,
    messages_per_chat: int = 5,
    *,
    pause: tuple[float, float] = (4.0, 12.0),
    seed: int = 20240601,
) -> dict:
    """Run the chat benchmark and return latency percentiles in milliseconds."""
    workdir = Path(os.environ.get("BENCH_CHAT_DIR", ROOT / "var" / "bench" / "chat"))
    database_url = os.environ.get("DATABASE_URL")
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    env = _environment(workdir, database_url)
    if database_url:
        _rapport(["flush", "--noinput"], env)
    _rapport(["migrate", "--noinput", "-v", "0"], env)
    session_key = _rapport(["shell", "-c", SETUP_AGENT], env).strip().splitlines()[-1]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "rapport", "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--no-worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(base, server)
        to_agent, to_visitor, elapsed = asyncio.run(
            _run_chats(base, session_key, chats, messages_per_chat, seed, pause)
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    both = to_agent + to_visitor
    result = {
        "chats": chats,
        "messages_per_chat": messages_per_chat,
        "database": "postgresql" if database_url and "postgres" in database_url else "sqlite",
        "pause_seconds": list(pause),
        "seconds": round(elapsed, 1),
        "messages_per_second": round(len(both) / elapsed, 1) if elapsed else None,
        "visitor_to_agent": _summary(to_agent),
        "agent_to_visitor": _summary(to_visitor),
        "all": _summary(both),
        "target_p95_ms": TARGET_P95_MS,
    }
    result["p50_ms"] = result["all"]["p50_ms"]
    result["p95_ms"] = result["all"]["p95_ms"]
    result["max_ms"] = result["all"]["max_ms"]
    result["meets_target"] = result["p95_ms"] is not None and result["p95_ms"] < TARGET_P95_MS
    return result


if __name__ == "__main__":
    chats = int(os.environ.get("BENCH_CHATS", "200"))
    per_chat = int(os.environ.get("BENCH_CHAT_MESSAGES", "5"))
    low, high = (float(x) for x in os.environ.get("BENCH_CHAT_PAUSE", "4,12").split(","))
    print(json.dumps(measure(chats, per_chat, pause=(low, high)), indent=2))
