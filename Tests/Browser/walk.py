"""Drives `pals explore` in headless Chromium over the DevTools protocol.

Usage: walk.py EXPLORER_URL CHROMIUM [SCREENSHOT.png]
       walk.py --report REPORT.html CHROMIUM

EXPLORER_URL serves the README's (4,2) counterexample (`pals explore FILE`).
The walk loads the page, checks that it opened the file at round 0, presses
`j` three times as a user would, and checks after each step that the diagram
changed, that it has one row per process and one arrow per delivered message,
and at the end that the two decisions differ and UniformAgreement is shown
violated; then `k` goes back a round. Any console error or uncaught exception
fails the walk. Prints one line per check; exits 1 on the first failure.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket  # PyPI websocket-client, installed by .ci/setup


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="pals-chromium-")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             "--user-data-dir=" + self.profile, "--window-size=1400,1100", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                fail("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10))
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.errors = []
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.call("Log.enable")

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    fail(f"{method}: {message['error']}")
                return message.get("result", {})
            self.event(message)

    def event(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(params["entry"].get("text", "log error"))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            fail(f"script error in {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.05)
        fail(f"timed out waiting for {what}")

    def close(self):
        try:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


STATE = """(() => {
  const rows = [...document.querySelectorAll('#diagram svg g.process')].length;
  const delivered = document.querySelectorAll('#diagram svg .msg.delivered').length;
  const dropped = document.querySelectorAll('#diagram svg .msg.dropped').length;
  const ua = document.querySelector('#properties tr[data-property="UniformAgreement"] .status');
  const decisions = [...document.querySelectorAll('#processes tr[data-process]')].map(r => r.children[r.children.length - 2].textContent);
  return {hash: location.hash, where: document.getElementById('where').textContent,
          error: document.getElementById('error').textContent, svg: document.getElementById('diagram').innerHTML,
          rows, delivered, dropped, ua: ua ? ua.textContent : null, decisions,
          opened: document.getElementById('opened').textContent};
})()"""


def report(path, chromium):
    """Opens an HTML report from disk: no console error, no request leaves the file, an SVG diagram is there."""
    browser = Browser(chromium)
    try:
        browser.call("Network.enable")
        browser.call("Page.navigate", url="file://" + os.path.abspath(path))
        browser.wait_for("document.readyState === 'complete'", "the report to load")
        svgs = browser.evaluate("document.querySelectorAll('svg').length")
        if not svgs:
            fail(f"{path}: no SVG diagram")
        requests = browser.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        if requests:
            fail(f"{path} fetched {requests}")
        browser.evaluate("1")
        if browser.errors:
            fail(f"{path}: console errors: {browser.errors}")
        print(f"ok: {path}: {svgs} diagram(s), no requests, no console errors")
    finally:
        browser.close()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--report":
        report(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    url, chromium = sys.argv[1], sys.argv[2]
    screenshot = sys.argv[3] if len(sys.argv) > 3 else None
    browser = Browser(chromium)
    try:
        browser.call("Page.navigate", url=url)
        browser.wait_for("document.getElementById('where') && document.getElementById('where').textContent === 'round 0 of 3'",
                         "the opened counterexample at round 0")
        s = browser.evaluate(STATE)
        if "counterexample" not in s["opened"]:
            fail(f"the page does not say which file it opened: {s['opened']!r}")
        print("ok: opened", s["opened"].strip()[:80])
        if s["rows"] != 4:
            fail(f"{s['rows']} process rows in the diagram, expected 4")
        # After round k: 12 messages a round between distinct processes, less
        # those the opened pattern drops in rounds ≤ k (it has no crash).
        params = urllib.parse.parse_qs(s["hash"][1:], keep_blank_values=True)
        drops = [int(d.split(":")[0]) for d in params.get("d", [""])[0].split(",") if d]
        if params.get("c", [""])[0]:
            fail("the walk expects a counterexample without crashes")
        expected_delivered = {k: 12 * k - sum(1 for r in drops if r <= k) for k in range(4)}
        previous = s["svg"]
        for k in (1, 2, 3):
            browser.evaluate("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'j'}))")
            browser.wait_for(f"document.getElementById('where').textContent === 'round {k} of 3'", f"round {k}")
            s = browser.evaluate(STATE)
            if s["error"]:
                fail(f"the page shows an error at round {k}: {s['error']}")
            if s["svg"] == previous:
                fail(f"stepping to round {k} did not change the diagram")
            previous = s["svg"]
            if s["rows"] != 4 or s["delivered"] != expected_delivered[k]:
                fail(f"round {k}: {s['rows']} rows and {s['delivered']} arrows, expected 4 and {expected_delivered[k]}")
            print(f"ok: round {k}: 4 rows, {s['delivered']} delivered arrows, {s['dropped']} dropped, UniformAgreement {s['ua']}")
            if k < 3 and s["ua"] != "pending":
                fail(f"UniformAgreement is {s['ua']} before the last round")
        if s["ua"] != "violated":
            fail(f"UniformAgreement is {s['ua']!r} at the end of the counterexample")
        if len(set(s["decisions"])) < 2:
            fail(f"the decisions do not differ: {s['decisions']}")
        print("ok: decisions", s["decisions"], "— UniformAgreement violated")
        if "k=3" not in s["hash"]:
            fail(f"the address does not encode the state: {s['hash']}")
        if screenshot:
            shot = browser.call("Page.captureScreenshot", format="png")
            import base64
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            print("ok: screenshot", screenshot)
        browser.evaluate("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k'}))")
        browser.wait_for("document.getElementById('where').textContent === 'round 2 of 3'", "going back to round 2")
        print("ok: back to round 2")
        # Drain pending events, then judge the console.
        browser.evaluate("1")
        if browser.errors:
            fail(f"console errors: {browser.errors}")
        print("ok: no console errors")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
