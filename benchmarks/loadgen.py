"""Open many Streamlit sessions at once over the app's own websocket, as browsers do, and time them.

A browser that opens a Streamlit page fetches the HTML, opens ``/_stcore/stream`` (subprotocol
``streamlit``) and sends one ``BackMsg.rerun_script`` naming the page (``page_name`` = the page's
url path, ``page_script_hash`` empty on a fresh session) and the query string; the server streams
``ForwardMsg`` deltas and ends the run with ``script_finished``. This client does exactly that, with
no browser, so hundreds of sessions fit on a laptop:

* ``open``: HTML GET (keeps any cookie the proxy sets, so the websocket carries the same one), then
  websocket connect + ``rerun_script``; timed from connect until ``script_finished``;
* widgets: every element with an ``id`` in the deltas is a widget (the id embeds the user key);
  ``submit_form`` fills the widgets of a form the way the frontend would encode them
  (radio/selectbox: the option's label; pills/segmented control: a list of labels; text: a string)
  and presses its submit button (``trigger_value``), all in one ``rerun_script.widget_states``;
* fragments: a ``ForwardMsg.auto_rerun`` (``st.fragment(run_every=...)``) makes the client send the
  same ``rerun_script`` with ``fragment_id`` and ``is_auto_rerun`` every interval, like the frontend's
  ``setInterval``; used to keep the projector's live panel refreshing during a burst.

Everything is bounded by timeouts; nothing loops forever. Used by ``benchmarks/burst.py`` and by the
cluster test; run alone for a quick look:

    .venv/bin/python benchmarks/loadgen.py --url http://127.0.0.1:8501 --page questionnaire -n 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

STICKY_COOKIE = "atlas_sticky"

# ------------------------------------------------------------------------------------------ http


async def http_get(
    url: str, cookie: str | None = None, timeout: float = 30.0
) -> tuple[int, dict[str, list[str]]]:
    """A minimal HTTP/1.1 GET (status, headers), enough to fetch the page and its cookies."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close", "Accept: text/html"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers


def cookies_from(headers: dict[str, list[str]]) -> dict[str, str]:
    out = {}
    for value in headers.get("set-cookie", []):
        name, _, rest = value.partition("=")
        out[name.strip()] = rest.split(";", 1)[0].strip()
    return out


# ------------------------------------------------------------------------------------------ client


def _has_field(proto: Any, name: str) -> bool:
    return name in proto.DESCRIPTOR.fields_by_name


@dataclass
class Widget:
    id: str
    type: str
    proto: Any
    form_id: str

    @property
    def user_key(self) -> str:
        """The key the script gave the widget: Streamlit embeds it in the id (``$$ID-<hash>-<key>``)."""
        if self.id.startswith("$$ID-"):
            return self.id.split("-", 2)[2]
        return ""


@dataclass
class RunResult:
    seconds: float
    status: str
    texts: list[str] = field(default_factory=list)


class StreamlitClient:
    """One simulated browser tab."""

    def __init__(self, base_url: str, page: str = "", query: str = "", timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.page = page
        self.query = query
        self.timeout = timeout
        self.cookie: str | None = None
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.values: dict[str, WidgetState] = {}
        self.auto_reruns: dict[str, float] = {}
        self.fragment_runs: list[float] = []
        self.ws: Any = None
        self._auto_task: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    # -- connection -------------------------------------------------------------------------------
    async def fetch_html(self) -> float:
        t0 = time.perf_counter()
        url = f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")
        status, headers = await http_get(url, self.cookie, self.timeout)
        if status != 200:
            raise RuntimeError(f"GET {url}: HTTP {status}")
        jar = cookies_from(headers)
        if jar:
            self.cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        return time.perf_counter() - t0

    async def open(self) -> RunResult:
        """Connect and run the page; timed from connect until ``script_finished``."""
        t0 = time.perf_counter()
        ws_url = "ws" + self.base_url[len("http") :] + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await asyncio.wait_for(
            websockets.connect(
                ws_url,
                subprotocols=["streamlit"],
                additional_headers=headers,
                max_size=None,
                open_timeout=self.timeout,
                ping_interval=None,
            ),
            self.timeout,
        )
        result = await self._run(ClientState(query_string=self.query, page_name=self.page))
        result.seconds = time.perf_counter() - t0
        return result

    async def close(self) -> None:
        if self._auto_task:
            self._auto_task.cancel()
        if self.ws is not None:
            await self.ws.close()

    # -- runs -------------------------------------------------------------------------------------
    def _state(self, extra: list[WidgetState] | None = None, fragment_id: str = "") -> ClientState:
        cs = ClientState(
            query_string=self.query,
            page_script_hash=self.page_script_hash,
            page_name=self.page,
            fragment_id=fragment_id,
            is_auto_rerun=bool(fragment_id),
        )
        merged = {k: v for k, v in self.values.items() if k in self.widgets}
        for state in extra or []:
            merged[state.id] = state
        cs.widget_states.widgets.extend(merged.values())
        return cs

    async def _run(self, state: ClientState) -> RunResult:
        async with self._lock:
            if not state.fragment_id:
                self.widgets = {}  # a full run redraws the page: only its widgets exist afterwards
            t0 = time.perf_counter()
            msg = BackMsg()
            msg.rerun_script.CopyFrom(state)
            await self.ws.send(msg.SerializeToString())
            texts: list[str] = []
            deadline = time.monotonic() + self.timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no script_finished")
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
                fwd = ForwardMsg()
                fwd.ParseFromString(raw)
                kind = fwd.WhichOneof("type")
                if kind == "new_session":
                    self.page_script_hash = fwd.new_session.page_script_hash
                elif kind == "navigation" and fwd.navigation.page_script_hash:
                    # st.navigation apps name the page that actually ran here; reruns must send it.
                    self.page_script_hash = fwd.navigation.page_script_hash
                elif kind == "delta":
                    self._on_delta(fwd, texts)
                elif kind == "auto_rerun":
                    self.auto_reruns[fwd.auto_rerun.fragment_id] = fwd.auto_rerun.interval
                elif kind == "stop_auto_rerun":
                    self.auto_reruns.pop(fwd.stop_auto_rerun.fragment_id, None)
                elif kind == "script_finished":
                    status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                    if status == "FINISHED_EARLY_FOR_RERUN":
                        continue
                    return RunResult(time.perf_counter() - t0, status, texts)

    def _on_delta(self, fwd: ForwardMsg, texts: list[str]) -> None:
        delta = fwd.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(element, kind)
        if kind in ("markdown", "alert", "text", "heading"):
            texts.append(getattr(proto, "body", "") or getattr(proto, "text", ""))
        widget_id = getattr(proto, "id", "") if _has_field(proto, "id") else ""
        if widget_id:
            self.widgets[widget_id] = Widget(widget_id, kind, proto, getattr(proto, "form_id", ""))

    async def rerun(self, extra: list[WidgetState] | None = None) -> RunResult:
        return await self._run(self._state(extra))

    # -- fragments --------------------------------------------------------------------------------
    def start_auto_reruns(self, stop_at: float) -> None:
        """Refresh every ``run_every`` fragment like the browser does, until ``stop_at`` (monotonic)."""

        async def loop() -> None:
            while time.monotonic() < stop_at and self.auto_reruns:
                fragment_id, interval = next(iter(self.auto_reruns.items()))
                await asyncio.sleep(interval)
                if time.monotonic() >= stop_at:
                    return
                result = await self._run(self._state(fragment_id=fragment_id))
                self.fragment_runs.append(result.seconds)

        self._auto_task = asyncio.create_task(loop())

    # -- forms ------------------------------------------------------------------------------------
    def find(self, predicate: Callable[[Widget], bool]) -> list[Widget]:
        return [w for w in self.widgets.values() if predicate(w)]


def fill_value(widget: Widget, rng: random.Random, text: str = "") -> WidgetState | None:
    """The state the frontend would send after a person answered this widget (None: leave it)."""
    state = WidgetState(id=widget.id)
    proto = widget.proto
    if widget.type == "radio" or widget.type == "selectbox":
        options = list(proto.options)
        if not options:
            return None
        state.string_value = rng.choice(options)
    elif widget.type == "button_group":
        options = [o.content for o in proto.options]
        if not options:
            return None
        state.string_array_value.data[:] = [rng.choice(options)]
    elif widget.type in ("text_area", "text_input"):
        if not text:
            return None
        state.string_value = text
    elif widget.type == "checkbox":
        state.bool_value = True
    elif widget.type == "number_input":
        low = widget.proto.min if widget.proto.has_min else 0
        high = widget.proto.max if widget.proto.has_max else low + 10
        value = rng.uniform(low, min(high, low + 20))
        state.double_value = float(round(value)) if widget.proto.data_type == 0 else value
    elif widget.type == "slider":
        state.double_array_value.data[:] = [rng.uniform(proto.min, proto.max)]
    else:
        return None
    return state


def press(widget: Widget) -> WidgetState:
    return WidgetState(id=widget.id, trigger_value=True)


@dataclass
class FormWalk:
    """What happened while a client walked a multi-step form to its end."""

    runs: list[float] = field(default_factory=list)
    steps: int = 0
    finished: bool = False
    last_texts: list[str] = field(default_factory=list)
    error: str | None = None


FORWARD_KEYS = ("submit", "next", "start")
"""Buttons that move a form forward, by the end of their user key, in the order they are preferred."""


async def walk_form(
    client: StreamlitClient, rng: random.Random, think: float = 0.2, max_steps: int = 15, prefix: str = ""
) -> FormWalk:
    """Fill every input on screen, press the forward button, repeat until none is left.

    A person answers widget by widget over minutes, each click a small rerun; here the answers of
    one screen arrive together with the press of its forward button (one rerun per screen), so the
    walk fits a short burst. Answers are random but valid for the widget (option labels, numbers
    within bounds, ticked boxes); text boxes are left empty. Only widgets whose user key starts with
    ``prefix`` are touched (not the page's language switch).
    """
    walk = FormWalk()
    for _ in range(max_steps):
        forward = None
        for suffix in FORWARD_KEYS:
            forward = next((w for w in client.widgets.values() if w.type == "button"
                            and w.user_key.startswith(prefix) and w.user_key.endswith(suffix)), None)
            if forward is not None:
                break
        if forward is None:
            walk.finished = walk.steps > 0
            return walk
        states = [s for w in client.widgets.values() if w.type != "button" and w.user_key.startswith(prefix)
                  and (s := fill_value(w, rng)) is not None]
        for state in states:
            client.values[state.id] = state
        await asyncio.sleep(think)
        result = await client.rerun([press(forward)])
        walk.runs.append(result.seconds)
        walk.steps += 1
        walk.last_texts = result.texts
    walk.error = "form did not end"
    return walk


# ------------------------------------------------------------------------------------------ burst


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": max(values) if values else None,
        "mean": statistics.fmean(values) if values else None,
    }


async def open_many(
    base_url: str, page: str, query: str, n: int, *, http_first: bool = True, timeout: float = 60.0
) -> tuple[list[StreamlitClient], list[float], list[str]]:
    """Open ``n`` sessions at once; returns the open clients, their open latencies, and errors."""

    async def one() -> tuple[StreamlitClient, float]:
        client = StreamlitClient(base_url, page, query, timeout)
        if http_first:
            await client.fetch_html()
        result = await client.open()
        if result.status != "FINISHED_SUCCESSFULLY":
            raise RuntimeError(result.status)
        return client, result.seconds

    results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    clients, times, errors = [], [], []
    for item in results:
        if isinstance(item, BaseException):
            errors.append(f"{type(item).__name__}: {item}")
        else:
            clients.append(item[0])
            times.append(item[1])
    return clients, times, errors


async def _main(args: argparse.Namespace) -> None:
    clients, times, errors = await open_many(args.url, args.page, args.query, args.n)
    await asyncio.gather(*(c.close() for c in clients))
    print(json.dumps({"open": summary(times), "errors": errors[:5], "n_errors": len(errors)}, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--page", default="")
    parser.add_argument("--query", default="")
    parser.add_argument("-n", type=int, default=20)
    asyncio.run(_main(parser.parse_args()))
