"""Open a local HTML file in headless Chromium and record what a reader's browser would see.

A minimal Chrome DevTools Protocol client (websocket-client): it starts Debian's ``chromium``
with a throw-away profile and networking pointed at a dead proxy, loads the page, and returns

* every console message and uncaught exception (``Runtime``/``Log`` domains),
* every request the page made other than to the file itself or an inline ``data:`` URL,
* the layout width against the viewport (a table wider than the page shows up here), and
* a full-page PNG screenshot.

``media="print"`` emulates print media (CDP ``Emulation.setEmulatedMedia``) before loading, so
the page's print CSS applies, and fires the page's ``beforeprint`` handlers, as a browser does
when it prints; ``open_details`` then counts the ``<details>`` left closed.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    url: str
    console: list[dict] = field(default_factory=list)  # {"level", "text"}
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # URLs other than the page / data:
    scroll_width: int = 0
    viewport_width: int = 0
    page_height: int = 0
    screenshot: bytes = b""
    media: str = "screen"
    closed_details: int = 0  # <details> elements still closed (after beforeprint in print media)

    @property
    def errors(self) -> list[str]:
        bad = [
            f"console.{c['level']}: {c['text']}"
            for c in self.console
            if c["level"] in ("error", "warning", "assert")
        ]
        return bad + [f"exception: {e}" for e in self.exceptions]


class _Cdp:
    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ev in self.events:
                if ev.get("method") == method:
                    return ev
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def close(self):
        self.ws.close()


def visit(
    path: Path, width: int = 1280, height: int = 900, settle: float = 0.5, media: str = "screen"
) -> PageVisit:
    """Load ``path`` (a local HTML file) in headless Chromium; see the module docstring."""
    if media not in ("screen", "print"):
        raise ValueError(f"media must be screen or print, got {media!r}")
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed (tools/install.sh installs it)")
    url = Path(path).resolve().as_uri()
    profile = tempfile.mkdtemp(prefix="holobiont-chromium-")
    cmd = [
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--proxy-server=127.0.0.1:9",  # any network request fails fast, and is still recorded
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cdp = None
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t["type"] == "page")
        cdp = _Cdp(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.call(f"{domain}.enable")
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        if media == "print":
            cdp.call("Emulation.setEmulatedMedia", media="print")
        cdp.events.clear()
        cdp.call("Page.navigate", url=url)
        cdp.wait_for("Page.loadEventFired")
        if media == "print":  # what a browser does before printing
            cdp.call(
                "Runtime.evaluate", expression="window.dispatchEvent(new Event('beforeprint'))"
            )
        time.sleep(settle)
        closed = cdp.call(
            "Runtime.evaluate",
            expression="document.querySelectorAll('details:not([open])').length",
            returnByValue=True,
        )["result"]["value"]
        metrics = cdp.call(
            "Runtime.evaluate",
            expression="JSON.stringify([document.documentElement.scrollWidth, "
            "window.innerWidth, document.documentElement.scrollHeight])",
            returnByValue=True,
        )
        scroll_w, view_w, page_h = json.loads(metrics["result"]["value"])
        shot = cdp.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": page_h, "scale": 1},
        )
        result = PageVisit(
            url,
            scroll_width=scroll_w,
            viewport_width=view_w,
            page_height=page_h,
            media=media,
            closed_details=closed,
        )
        result.screenshot = base64.b64decode(shot["data"])
        for ev in cdp.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
                result.console.append({"level": p["type"], "text": text})
            elif m == "Log.entryAdded":
                result.console.append({"level": p["entry"]["level"], "text": p["entry"]["text"]})
            elif m == "Runtime.exceptionThrown":
                result.exceptions.append(p["exceptionDetails"].get("text", "exception"))
            elif m == "Network.requestWillBeSent":
                req = p["request"]["url"]
                if req != url and not req.startswith("data:"):
                    result.requests.append(req)
        return result
    finally:
        if cdp is not None:
            cdp.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
