"""Minimal headless-Chromium driver for testing self-contained HTML reports.

It speaks the Chrome DevTools Protocol (CDP) over ``--remote-debugging-pipe``:
the browser reads JSON commands from file descriptor 3 and writes JSON
responses/events to file descriptor 4, each message terminated by a NUL byte.
Why a pipe rather than the usual WebSocket endpoint:

* stdlib only -- no ``websockets``/``playwright``/``selenium`` to install; a
  pipe is just ``os.read``/``os.write`` (Debian's ``/usr/bin/python3`` plus the
  ``chromium`` package is all that is needed);
* no TCP port is opened, so nothing else on the machine can talk to the
  browser, there is no port to pick or race for, and parallel test runs
  cannot collide;
* the connection's lifetime is the process's lifetime: EOF on the pipe means
  the browser is gone.

Usage::

    with Browser() as b:
        result = b.open("/tmp/report.html")      # a path or a URL
        assert not result.console_errors
        assert not network_requests(result)
        assert not broken_images(b)
        b.screenshot("/tmp/report.png")

Debugging: ``python3 browser.py REPORT.html [SCREENSHOT.png]``.

Not thread-safe: use one ``Browser`` per thread.
"""

from __future__ import annotations

import base64
import fcntl
import json
import math
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

__all__ = [
    "Browser",
    "PageResult",
    "JavaScriptError",
    "network_requests",
    "broken_images",
    "find_chromium",
]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Flags: headless, no sandbox (we run as root in containers), and everything
# that makes Chromium phone home or do background work switched off.
_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-pipe",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--metrics-recording-only",
    "--disable-default-apps",
    "--no-pings",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-extensions",
    "--disable-component-extensions-with-background-pages",
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "DialMediaRouteProvider,CertificateTransparencyComponentUpdater,"
    "AutofillServerCommunication,InterestFeedContentSuggestions,"
    "CalculateNativeWinOcclusion,HttpsUpgrades",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-dev-shm-usage",
    "--password-store=basic",
    "--use-mock-keychain",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--noerrdialogs",
]


def find_chromium() -> str:
    """$CHROMIUM if set, else /usr/bin/chromium, else the first of a few names on $PATH."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in _CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError("no Chromium found (install Debian's 'chromium' or set $CHROMIUM)")


def _to_url(url_or_path: str) -> str:
    """Accept a URL or a filesystem path; paths become absolute file:// URLs."""
    s = str(url_or_path)
    if "://" in s or s.startswith(("data:", "about:", "blob:")):
        return s
    return pathlib.Path(s).resolve().as_uri()


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class JavaScriptError(RuntimeError):
    """An exception thrown by JavaScript run through Browser.evaluate()."""


@dataclass
class PageResult:
    """What happened while a page loaded (and, live, afterwards: later events
    of the same page -- e.g. during evaluate() -- are appended too)."""

    console_errors: list[str] = field(default_factory=list)
    console_messages: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)  # "URL (reason)"; includes HTTP >= 400
    url: str = ""  # the URL that was navigated to (file:// for paths)
    load_seconds: float = 0.0  # navigate -> load event, excluding the settle wait


def network_requests(result: PageResult, page_url: Optional[str] = None) -> list[str]:
    """Requests that are neither the page itself nor data:/blob:/about: URLs.

    A self-contained page must have none.  The page is result.url and, if
    given, page_url (a URL or a path).  Fragments are ignored when comparing.
    """
    pages = {_strip_fragment(result.url)}
    if page_url:
        pages.add(_strip_fragment(_to_url(page_url)))
        if "://" not in page_url and "#" in page_url:  # a path with a fragment
            pages.add(_strip_fragment(_to_url(page_url.split("#", 1)[0])))
    pages.discard("")
    return [
        u
        for u in result.requests
        if _strip_fragment(u) not in pages and not u.startswith(("data:", "blob:", "about:"))
    ]


_BROKEN_IMAGES_JS = r"""
(async () => {
  const out = [];
  const cut = (s, n = 120) => { s = String(s); return s.length > n ? s.slice(0, n) + '...' : s; };
  const where = (el) => {
    const bits = [el.tagName.toLowerCase()];
    if (el.id) bits.push('#' + el.id);
    const alt = el.getAttribute('alt'); if (alt) bits.push('alt=' + JSON.stringify(cut(alt, 60)));
    const lazy = el.getAttribute('loading'); if (lazy) bits.push('loading=' + lazy);
    return bits.join(' ');
  };
  const withTimeout = (p, ms) => Promise.race([p, new Promise((_, rej) =>
      setTimeout(() => rej(new Error('timed out after ' + ms + ' ms')), ms))]);
  for (const img of Array.from(document.images)) {
    const src = img.currentSrc || img.getAttribute('src') || '';
    if (!img.complete) out.push('<' + where(img) + '> not complete: ' + cut(src));
    else if (img.naturalWidth === 0) out.push('<' + where(img) + '> naturalWidth 0: ' + cut(src));
  }
  const svgImages = Array.from(document.querySelectorAll('svg image'));
  await Promise.all(svgImages.map(async (el) => {
    const href = el.getAttribute('href')
        || el.getAttributeNS('http://www.w3.org/1999/xlink', 'href')
        || (el.href && el.href.baseVal) || '';
    if (!href) { out.push('<svg ' + where(el) + '> has no href'); return; }
    let abs;
    try { abs = new URL(href, document.baseURI).href; } catch (e) { abs = href; }
    const probe = new Image();
    probe.src = abs;
    try {
      await withTimeout(probe.decode(), 10000);
      if (probe.naturalWidth === 0 && !/^data:image\/svg|\.svg($|[?#])/i.test(abs))
        out.push('<svg ' + where(el) + '> decodes to zero width: ' + cut(href));
    } catch (e) {
      out.push('<svg ' + where(el) + '> does not decode (' + cut(e && e.message || e, 80) + '): ' + cut(href));
    }
  }));
  return out;
})()
"""


def broken_images(browser: "Browser") -> list[str]:
    """Descriptions of every broken image on the browser's current page.

    An HTML <img> is broken when it is not complete or has naturalWidth 0
    (lazy images that never loaded count as incomplete -- the description
    says loading=lazy).  An SVG <image> is broken when its href, loaded into
    a fresh Image(), fails to decode().
    """
    value = browser.evaluate(_BROKEN_IMAGES_JS)
    return list(value or [])


def _format_preview(pre: dict) -> str:
    props = []
    for p in pre.get("properties", []):
        v = p.get("value", p.get("type", "?"))
        if p.get("type") == "string":
            v = json.dumps(v)
        props.append(v if pre.get("subtype") == "array" else f"{p.get('name')}: {v}")
    if pre.get("overflow"):
        props.append("...")
    if pre.get("subtype") == "array":
        return "[" + ", ".join(props) + "]"
    return "{" + ", ".join(props) + "}"


def _format_remote_object(obj: dict) -> str:
    if "value" in obj:
        v = obj["value"]
        return v if isinstance(v, str) else json.dumps(v)
    if "unserializableValue" in obj:
        return str(obj["unserializableValue"])
    pre = obj.get("preview")
    if pre and pre.get("type") == "object" and pre.get("subtype") in (None, "array"):
        return _format_preview(pre)
    if "description" in obj:
        return str(obj["description"])
    return str(obj.get("type", "?"))


def _location(url: Optional[str], line: Optional[int]) -> str:
    if not url:
        return ""
    short = url if len(url) <= 200 else url[:200] + "..."
    return f" ({short}:{line + 1})" if line is not None else f" ({short})"


class _Page:
    """Per-target state: the CDP session id and the PageResult being filled."""

    def __init__(self, target_id: str, session_id: str, result: PageResult):
        self.target_id = target_id
        self.session_id = session_id
        self.result = result
        self.request_urls: dict[str, str] = {}
        self.loader_id: Optional[str] = None  # of the pending navigation
        self.committed_loader: Optional[str] = None  # last main-frame document
        self.loaded_loaders: set = set()  # documents whose load event fired
        self.crashed = False

    @property
    def loaded(self) -> bool:
        return self.loader_id is not None and self.loader_id in self.loaded_loaders


class Browser:
    """A headless Chromium controlled over CDP through a pipe.  Context manager."""

    def __init__(
        self,
        executable: Optional[str] = None,
        timeout: float = 60.0,
        window: tuple[int, int] = (1400, 1000),
    ):
        self.executable = executable or find_chromium()
        self.timeout = float(timeout)
        self.window = (int(window[0]), int(window[1]))
        self._next_id = 0
        self._buf = bytearray()
        self._scan = 0  # how much of _buf is known to contain no NUL
        self._responses: dict[int, dict] = {}
        self._ignored: set = set()  # ids of commands whose answers nobody waits for
        self._page: Optional[_Page] = None
        self._closed = False
        self._proc: Optional[subprocess.Popen] = None
        self._to_browser = self._from_browser = -1

        self._tmpdir = tempfile.mkdtemp(prefix="cdp-chromium-")
        self._profile = os.path.join(self._tmpdir, "profile")
        os.mkdir(self._profile)
        self._log_path = os.path.join(self._tmpdir, "chromium.log")
        try:
            self._launch()
            self.version = self.send("Browser.getVersion")
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ process

    def _launch(self) -> None:
        cmd_r, cmd_w = os.pipe()  # we write commands, browser reads fd 3
        msg_r, msg_w = os.pipe()  # browser writes fd 4, we read
        # After creating four descriptors, fds 3 and 4 are certainly open in
        # this process, so pass_fds=(3, 4) is valid and subprocess's own error
        # pipe cannot be 3 or 4.  preexec_fn runs before close_fds, so the
        # remapped 3 and 4 survive into the exec'd browser.

        def remap() -> None:  # runs in the child between fork and exec
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(msg_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.close(a)
            os.close(b)

        argv = [
            self.executable,
            *_FLAGS,
            f"--user-data-dir={self._profile}",
            f"--window-size={self.window[0]},{self.window[1]}",
            "about:blank",
        ]
        log = open(self._log_path, "ab")
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(3, 4),
                close_fds=True,
                preexec_fn=remap,
                start_new_session=True,  # own process group: clean kill of helpers
            )
        except BaseException:
            os.close(cmd_w)
            os.close(msg_r)
            raise
        finally:
            log.close()
            os.close(cmd_r)
            os.close(msg_w)
        self._to_browser, self._from_browser = cmd_w, msg_r
        self._finalizer = weakref.finalize(
            self, _cleanup, self._proc, cmd_w, msg_r, self._tmpdir
        )

    def _stderr_tail(self, n: int = 4000) -> str:
        try:
            with open(self._log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - n))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def _died(self, what: str) -> RuntimeError:
        code = self._proc.poll() if self._proc else None
        if code is None and self._proc:
            try:
                code = self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        return RuntimeError(
            f"chromium {what} (exit code {code}); {self.executable}\n"
            f"--- stderr tail ---\n{self._stderr_tail()}"
        )

    # ------------------------------------------------------------------ protocol

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._to_browser, view)
            except BrokenPipeError:
                raise self._died("closed its command pipe") from None
            view = view[n:]

    def _read_message(self, deadline: float) -> Optional[dict]:
        """Next message from the browser, or None when the deadline passes."""
        while True:
            nul = self._buf.find(b"\0", self._scan)
            if nul >= 0:
                raw = bytes(self._buf[:nul])
                del self._buf[: nul + 1]
                self._scan = 0
                return json.loads(raw)
            self._scan = len(self._buf)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], min(remaining, 1.0))
            if not ready:
                if self._proc.poll() is not None:
                    raise self._died("exited")
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise self._died("closed its message pipe")
            self._buf += chunk

    def _pump(self, deadline: float, until: Callable[[], bool]) -> bool:
        """Process messages until until() is true (True) or the deadline (False)."""
        while not until():
            msg = self._read_message(deadline)
            if msg is None:
                return until()
            if "id" in msg:
                if msg["id"] in self._ignored:
                    self._ignored.discard(msg["id"])
                else:
                    self._responses[msg["id"]] = msg
            else:
                self._on_event(msg)
        return True

    def send(
        self,
        method: str,
        params: Optional[dict] = None,
        session_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> dict:
        """Send one CDP command and wait for its result (raises on CDP errors)."""
        if self._closed:
            raise RuntimeError("browser is closed")
        self._next_id += 1
        mid = self._next_id
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session_id:
            msg["sessionId"] = session_id
        self._write(json.dumps(msg).encode() + b"\0")
        t = self.timeout if timeout is None else timeout
        if not self._pump(time.monotonic() + t, lambda: mid in self._responses):
            raise TimeoutError(f"CDP command {method} got no answer within {t:g} s")
        resp = self._responses.pop(mid)
        if "error" in resp:
            err = resp["error"]
            raise RuntimeError(f"CDP {method} failed: {err.get('message')} {err.get('data', '')}".rstrip())
        return resp.get("result", {})

    def _on_event(self, msg: dict) -> None:
        page = self._page
        if page is None or msg.get("sessionId") != page.session_id:
            return
        method = msg.get("method")
        p = msg.get("params", {})
        r = page.result
        if method == "Runtime.consoleAPICalled":
            text = " ".join(_format_remote_object(a) for a in p.get("args", []))
            frames = (p.get("stackTrace") or {}).get("callFrames") or []
            loc = _location(frames[0].get("url"), frames[0].get("lineNumber")) if frames else ""
            kind = p.get("type", "log")
            r.console_messages.append(f"console.{kind}: {text}{loc}")
            if kind in ("error", "assert"):
                r.console_errors.append(f"console.{kind}: {text}{loc}")
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            exc = d.get("exception") or {}
            text = exc.get("description") or d.get("text", "exception")
            line = f"uncaught exception: {text}{_location(d.get('url'), d.get('lineNumber'))}"
            r.console_messages.append(line)
            r.console_errors.append(line)
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            line = f"log.{e.get('level')} [{e.get('source')}]: {e.get('text')}{_location(e.get('url'), e.get('lineNumber'))}"
            r.console_messages.append(line)
            if e.get("level") == "error":
                r.console_errors.append(line)
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if p.get("request", {}).get("urlFragment"):
                url += p["request"]["urlFragment"]
            page.request_urls[p.get("requestId")] = url
            r.requests.append(url)
        elif method == "Network.responseReceived":
            resp = p.get("response", {})
            status = resp.get("status") or 0
            if status >= 400:
                r.failed_requests.append(f"{resp.get('url')} (HTTP {status})")
        elif method == "Network.loadingFailed":
            url = page.request_urls.get(p.get("requestId"), f"<request {p.get('requestId')}>")
            why = p.get("errorText") or ""
            if p.get("blockedReason"):
                why += f" blocked:{p['blockedReason']}"
            if p.get("canceled"):
                why += " canceled"
            r.failed_requests.append(f"{url} ({why.strip()})")
        elif method == "Page.frameNavigated":
            frame = p.get("frame", {})
            if not frame.get("parentId"):
                page.committed_loader = frame.get("loaderId")
        elif method == "Page.loadEventFired":
            page.loaded_loaders.add(page.committed_loader)
        elif method == "Page.javascriptDialogOpening":
            r.console_messages.append(f"dialog.{p.get('type')}: {p.get('message')}")
            self._write(
                json.dumps(
                    {
                        "id": self._alloc_id(),
                        "method": "Page.handleJavaScriptDialog",
                        "params": {"accept": True},
                        "sessionId": page.session_id,
                    }
                ).encode()
                + b"\0"
            )
        elif method == "Inspector.targetCrashed":
            page.crashed = True

    def _alloc_id(self) -> int:
        self._next_id += 1
        self._ignored.add(self._next_id)
        return self._next_id

    # ------------------------------------------------------------------ API

    def open(self, url: str, settle: float = 0.5) -> PageResult:
        """Open url (or a filesystem path) in a fresh tab and wait for its load event.

        Replaces the previous page.  Raises TimeoutError if the load event does
        not come within the browser's timeout, RuntimeError if the navigation
        fails outright (e.g. file not found) or the page crashes.
        """
        url = _to_url(url)
        self._close_page()
        target_id = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session_id = self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        page = _Page(target_id, session_id, PageResult(url=url))
        self._page = page
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method, session_id=session_id)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.window[0], "height": self.window[1], "deviceScaleFactor": 1, "mobile": False},
            session_id=session_id,
        )
        start = time.monotonic()
        nav = self.send("Page.navigate", {"url": url}, session_id=session_id)
        if nav.get("errorText"):
            raise RuntimeError(f"navigation to {url} failed: {nav['errorText']}")
        # The load event that counts is the one of the document this
        # navigation created (matched by loaderId), not about:blank's.
        page.loader_id = nav.get("loaderId")
        if page.loader_id is None:  # same-document navigation: no load event
            page.loader_id = page.committed_loader
            page.loaded_loaders.add(page.loader_id)
        deadline = start + self.timeout
        ok = self._pump(deadline, lambda: page.loaded or page.crashed)
        if page.crashed:
            raise RuntimeError(f"page crashed while loading {url}\n{self._stderr_tail()}")
        if not ok:
            raise TimeoutError(f"timed out after {self.timeout:g} s waiting for the load event of {url}")
        page.result.load_seconds = time.monotonic() - start
        if settle > 0:  # late console messages, timers run from onload, ...
            self._pump(time.monotonic() + settle, lambda: False)
        return page.result

    def _require_page(self) -> _Page:
        if self._page is None:
            raise RuntimeError("no page open; call open() first")
        return self._page

    def evaluate(self, expression: str, timeout: Optional[float] = None) -> Any:
        """Evaluate JS in the current page; awaits promises; returns the value (JSON-able).

        Raises JavaScriptError with the exception's text if it throws/rejects.
        """
        page = self._require_page()
        res = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session_id=page.session_id,
            timeout=timeout,
        )
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            exc = d.get("exception") or {}
            text = exc.get("description") or (exc.get("value") if "value" in exc else None) or d.get("text")
            raise JavaScriptError(f"JavaScript error: {text}")
        return res.get("result", {}).get("value")

    def screenshot(self, path: str, full_page: bool = True) -> str:
        """Save a PNG of the current page (whole document if full_page) to path; returns path."""
        page = self._require_page()
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            m = self.send("Page.getLayoutMetrics", session_id=page.session_id)
            size = m.get("cssContentSize") or m["contentSize"]
            width = max(1, math.ceil(size["width"]))
            height = max(1, math.ceil(size["height"]))
            params.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            )
        data = self.send("Page.captureScreenshot", params, session_id=page.session_id)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return str(path)

    def _close_page(self) -> None:
        page, self._page = self._page, None
        if page is not None:
            try:
                self.send("Target.closeTarget", {"targetId": page.target_id}, timeout=10)
            except (RuntimeError, TimeoutError):
                pass

    def close(self) -> None:
        """Browser.close, then terminate/kill after a timeout; remove the temp profile."""
        if self._closed:
            return
        proc = self._proc
        if proc is not None and proc.poll() is None and self._to_browser >= 0:
            try:
                msg = {"id": self._alloc_id(), "method": "Browser.close", "params": {}}
                os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
            except OSError:
                pass
        self._closed = True
        fin = getattr(self, "_finalizer", None)
        if fin is not None:
            fin()
        else:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _live_group_members(pgid: int) -> bool:
    """Whether any non-zombie process is in process group pgid."""
    try:
        names = os.listdir("/proc")
    except OSError:  # no /proc: fall back to "the group exists"
        try:
            os.killpg(pgid, 0)
            return True
        except (ProcessLookupError, PermissionError):
            return False
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()  # state ppid pgrp ...
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _cleanup(proc: subprocess.Popen, cmd_w: int, msg_r: int, tmpdir: str) -> None:
    """Wait for the browser to exit (terminate, then kill its process group), close pipes, rm dir."""
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    # Helpers (zygote, renderers, crashpad) share the process group: give them
    # a moment to follow the browser out, then make sure none linger.
    # (Exited helpers are re-parented; until their new parent reaps them they
    # are zombies, which still count as group members, so look at /proc.)
    deadline = time.monotonic() + 2
    while _live_group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _live_group_members(proc.pid):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for fd in (cmd_w, msg_r):
        try:
            os.close(fd)
        except OSError:
            pass
    for _ in range(10):  # a dying helper may still write into the profile
        shutil.rmtree(tmpdir, ignore_errors=True)
        if not os.path.exists(tmpdir):
            break
        time.sleep(0.2)


def _main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(f"usage: {argv[0]} PAGE.html|URL [SCREENSHOT.png]", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    with Browser() as b:
        t1 = time.monotonic()
        res = b.open(argv[1])
        t2 = time.monotonic()
        print(f"chromium: {b.version.get('product')}  (launch {t1 - t0:.2f} s, open {t2 - t1:.2f} s, "
              f"load event after {res.load_seconds:.2f} s)")
        print(f"url: {res.url}")
        for name in ("console_messages", "console_errors", "requests", "failed_requests"):
            items = getattr(res, name)
            print(f"{name} ({len(items)}):")
            for item in items:
                print("   ", item if len(item) <= 300 else item[:300] + "...")
        net = network_requests(res)
        broken = broken_images(b)
        print(f"network_requests ({len(net)}):")
        for u in net:
            print("   ", u)
        print(f"broken_images ({len(broken)}):")
        for d in broken:
            print("   ", d)
        if len(argv) > 2:
            b.screenshot(argv[2])
            print(f"screenshot: {argv[2]}")
    return 1 if (res.console_errors or net or broken) else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
