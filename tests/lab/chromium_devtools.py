"""Headless Chromium driven over its DevTools protocol on a pipe (``--remote-debugging-pipe``), standard library only.

Why not basic authentication in the URL: Chromium sends such credentials for the top document only, so every
stylesheet, script, image and frame of a page behind a login is refused (401). A person logs in once in the
browser's dialog and the browser answers every later challenge of that server itself; this driver does the same:
each 401 challenge of a request is answered once with the login (``Fetch.continueWithAuth``), a second challenge of
the same request (the login was refused) is cancelled, as a person would press Cancel. Every response is recorded,
so a test sees what each URL of the page (frames and subresources included) answered.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")
# Every document of the page (the top one and each frame, recursively): its URL, HTML, the stylesheets it links
# with their rule counts (a refused or missing stylesheet has none), and the document itself for computed styles.
DOCUMENTS = """(() => {
  const out = [];
  const walk = (win) => {
    const doc = win.document;
    out.push({url: doc.URL, name: win.name, html: doc.documentElement ? doc.documentElement.outerHTML : "",
              sheets: [...doc.styleSheets].map(s => ({href: s.href, rules: s.cssRules.length}))});
    for (let i = 0; i < win.frames.length; i++) walk(win.frames[i]);
  };
  walk(window);
  return out;
})()"""


class DevToolsError(RuntimeError):
    """Chromium answered a command with an error, or not in time."""


@dataclass
class Visit:
    """What one page load showed: each URL's final HTTP status, the documents, the screenshot (PNG)."""

    statuses: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    challenges: int = 0
    documents: list[dict[str, Any]] = field(default_factory=list)
    screenshot: bytes = field(default=b"", repr=False)

    def document(self, ending: str) -> dict[str, Any]:
        """The document whose URL path ends with ``ending`` (e.g. ``side.php``)."""
        for document in self.documents:
            if document["url"].split("?")[0].endswith(ending):
                return document
        raise AssertionError(f"no document {ending} among {[d['url'] for d in self.documents]}")


class Browser:
    """One person's Chromium: :meth:`visit` loads a page in a new tab. Like a person's browser it keeps a login
    that worked and sends it along with later requests to the same server, so one person, one browser."""

    def __init__(self, process: subprocess.Popen, commands: int, answers: int, login: tuple[str, str]) -> None:
        self._process, self._commands, self._answers, self._login = process, commands, answers, login
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise DevToolsError("no answer from Chromium in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise DevToolsError(f"Chromium closed its DevTools pipe (exit {self._process.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        """Send one command and return its result; events arriving meanwhile are kept for :meth:`_event`."""
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def _event(self, deadline: float) -> dict[str, Any]:
        return self._events.pop(0) if self._events else self._receive(deadline)

    def visit(self, url: str, timeout: float = 60) -> Visit:
        """Load ``url`` in a new tab until its load event (frames and subresources loaded), answering each
        authentication challenge with the login once; then its documents and a screenshot."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method, params in (("Page.enable", {}), ("Network.enable", {}),
                               ("Fetch.enable", {"handleAuthRequests": True})):
            self.call(method, params, session)
        seen = Visit()
        answered: set[str] = set()
        urls: dict[str, str] = {}
        self._send("Page.navigate", {"url": url}, session)
        deadline = time.monotonic() + timeout
        while True:
            event = self._event(deadline)
            method, params = event.get("method"), event.get("params", {})
            if event.get("sessionId") != session:
                if "error" in event:
                    raise DevToolsError(f"Page.navigate: {event['error']}")
                continue
            if method == "Fetch.requestPaused":
                self._send("Fetch.continueRequest", {"requestId": params["requestId"]}, session)
            elif method == "Fetch.authRequired":
                seen.challenges += 1
                first = params["requestId"] not in answered
                answered.add(params["requestId"])
                response = ({"response": "ProvideCredentials", "username": self._login[0],
                             "password": self._login[1]}
                            if first else {"response": "CancelAuth"})
                self._send("Fetch.continueWithAuth", {"requestId": params["requestId"],
                                                      "authChallengeResponse": response}, session)
            elif method == "Network.requestWillBeSent":
                urls[params["requestId"]] = params["request"]["url"]
            elif method == "Network.responseReceived":
                seen.statuses[params["response"]["url"]] = params["response"]["status"]
            elif method == "Network.loadingFailed":
                seen.failed[urls.get(params["requestId"], params["requestId"])] = params["errorText"]
            elif method == "Page.loadEventFired":
                break
        seen.documents = self.call("Runtime.evaluate", {"expression": DOCUMENTS, "returnByValue": True},
                                   session)["result"]["value"]
        shot = self.call("Page.captureScreenshot", {"format": "png"}, session)
        seen.screenshot = base64.b64decode(shot["data"])
        self.call("Target.closeTarget", {"targetId": target})
        return seen


def _above_4(fd: int) -> int:
    """``fd`` moved to a number above 4, so placing the pipe on fds 3 and 4 cannot overwrite it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@contextmanager
def chromium(user: str, password: str) -> Iterator[Browser]:
    """``user``'s headless Chromium with a fresh profile, its DevTools pipe on fds 3 (commands) and 4 (answers)."""
    to_browser, commands = map(_above_4, os.pipe())
    answers, from_browser = map(_above_4, os.pipe())
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        # bash places the pipe ends on fds 3 and 4, where Chromium expects them, and closes the originals.
        script = f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser} {to_browser}<&- {from_browser}>&-'
        process = subprocess.Popen(
            ["bash", "-c", script, CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        try:
            yield Browser(process, commands, answers, (user, password))
        finally:
            os.close(commands)
            os.close(answers)
            try:
                process.wait(timeout=10)  # a closed pipe makes Chromium exit
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
