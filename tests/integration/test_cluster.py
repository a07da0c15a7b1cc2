"""Several app processes behind nginx (scripts/cluster.sh) on loopback, sharing PostgreSQL.

Checks the recipe of docs/workshop.md end to end: the cookie that nginx sets on the first HTML
request is the key the websocket that follows is routed by (same process), one client address
(a venue's NAT) still spreads over the processes, workshop state is shared through the database,
and every questionnaire submitted through the proxy is stored exactly once.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.databases import private_schema

sys.path.insert(0, str(REPO / "benchmarks"))

import loadgen

pytestmark = pytest.mark.postgres
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
PROCESSES = 2
LOG_RE = re.compile(r"^\S+ (\S+) (\S+) (\d+) upstream=(\S+) sticky=(\S+) cookie=\"([^\"]*)\"")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A private schema, so the cluster's tables never mix with other tests or real data."""
    with private_schema("t_cluster") as (url, schema):
        yield f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="module")
def cluster(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    assert Path(NGINX).exists() or shutil.which("nginx"), "nginx is not installed (./dev test installs it)"
    directory = tmp_path_factory.mktemp("cluster")
    port = _free_port()
    env = {**os.environ, "ATLAS_DATABASE_URL": pg_url, "PYTHON": sys.executable,
           "ATLAS_RESEARCHER_SECRET": "cluster-test-secret"}
    script = str(REPO / "scripts" / "cluster.sh")
    start = [script, "start", "-n", str(PROCESSES), "-p", str(port), "-d", str(directory),
             "-b", str(_free_port() + 300)]
    subprocess.run(start, cwd=REPO, env=env, check=True, timeout=180, capture_output=True)
    try:
        yield f"http://127.0.0.1:{port}", directory
    finally:
        subprocess.run([script, "stop", "-d", str(directory)], cwd=REPO, env=env, timeout=60,
                       capture_output=True)


def _log(directory: Path) -> list[tuple[str, str, int, str, str, str]]:
    rows = []
    for line in (directory / "access.log").read_text().splitlines():
        match = LOG_RE.match(line)
        if match:
            method, uri, status, upstream, sticky, cookie = match.groups()
            rows.append((method, uri, int(status), upstream, sticky, cookie))
    return rows


def _engine(pg_url: str):
    from components import storage

    return storage.make_engine(pg_url)


def test_health_through_the_proxy_and_every_process_is_up(cluster: tuple[str, Path]) -> None:
    url, directory = cluster
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as resp:
        assert resp.read().decode().strip() == "ok"
    status = subprocess.run([str(REPO / "scripts" / "cluster.sh"), "status", "-d", str(directory)],
                            capture_output=True, text=True, timeout=30)
    assert status.returncode == 0, status.stdout
    assert status.stdout.count(": ok") == PROCESSES


def test_the_websocket_follows_the_cookie_of_the_first_page(cluster: tuple[str, Path]) -> None:
    url, directory = cluster
    before = len(_log(directory))

    async def scenario() -> list[loadgen.StreamlitClient]:
        clients, times, errors = await loadgen.open_many(url, "lifecycle", "lang=en", 40, timeout=120)
        await asyncio.gather(*(c.close() for c in clients))
        assert not errors, errors[:3]
        return clients

    clients = _run_async(scenario())
    assert all(c.cookie and c.cookie.startswith(f"{loadgen.STICKY_COOKIE}=") for c in clients)
    rows = _log(directory)[before:]
    by_key: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for _method, uri, _status, upstream, sticky, cookie in rows:
        if uri == "/lifecycle":
            assert cookie == "-", "the first request carries no cookie yet"
            by_key[sticky]["page"].add(upstream)
        elif uri == "/_stcore/stream":
            assert cookie == sticky, "the websocket carries the cookie the page set"
            by_key[sticky]["stream"].add(upstream)
    assert len(by_key) == 40
    for routes in by_key.values():
        assert len(routes["page"]) == 1 and routes["page"] == routes["stream"], routes
    # All 40 came from 127.0.0.1, like a room behind one NAT address, yet they spread.
    spread = Counter(next(iter(r["stream"])) for r in by_key.values())
    assert len(spread) == PROCESSES, spread
    assert min(spread.values()) >= 40 // PROCESSES // 3, spread


def test_a_workshop_through_the_proxy_stores_every_submission_once(
    cluster: tuple[str, Path], pg_url: str
) -> None:
    from components import storage
    from components import workshop as ws

    url, directory = cluster
    engine = _engine(pg_url)
    code = ws.create_session(engine).code
    ws.apply_action(engine, code, "open")
    before = len(_log(directory))
    n = 24

    async def room(count: int, seed: int) -> list[loadgen.FormWalk]:
        query = f"session={code}&lang=en"
        clients, _times, errors = await loadgen.open_many(url, "questionnaire", query, count)
        assert not errors, errors[:3]
        walks = await asyncio.gather(*(
            loadgen.walk_form(c, random.Random(seed + i), think=0.05, prefix="survey.", max_steps=10)
            for i, c in enumerate(clients)))
        await asyncio.gather(*(c.close() for c in clients))
        return walks

    walks = _run_async(room(n, 1))
    assert all(w.finished and not w.error for w in walks), [w.error for w in walks]
    rows = storage.fetch_responses(engine, session_code=code)
    assert len(rows) == n and len({r["response_id"] for r in rows}) == n
    streams = Counter(u for _m, uri, _s, u, _k, _c in _log(directory)[before:] if uri == "/_stcore/stream")
    assert len(streams) == PROCESSES, streams  # both processes served phones of the same workshop

    # Closing is seen by every process: late phones on either one are refused, nothing is stored.
    ws.apply_action(engine, code, "close")
    late = _run_async(room(6, 100))
    assert all(w.error == "form did not end" for w in late)
    assert all(any("has closed" in t for t in w.last_texts) for w in late)
    assert storage.count_responses(engine, session_code=code) == n
    engine.dispose()


def _run_async(coro):
    """``asyncio.run`` in a thread of its own: Playwright's sync API, used by the browser tests of
    the same pytest process, leaves an event loop running on the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
