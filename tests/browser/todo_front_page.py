#!/usr/bin/env python3
"""Drives the todo service's front page in headless Chromium over the DevTools protocol.

    todo_front_page.py BASE_URL USERNAME PASSWORD

Through the page, as a person would: signs up, adds an item with the page's form and sees it
appear (the page shows an item when the list's feed says it was made, not when its own POST
returns); then another client adds an item over HTTP and the page shows it, live; then ticking
the item's box marks it done on the server. Fails on any exception the page throws.

Each wait polls the page's DOM every 100 ms, with a hang guard of 20 s: it ends as soon as
the page shows what is waited for.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websockets

GUARD_SECONDS = 20.0


class Cdp:
    """A DevTools protocol session on one page: commands by id, events recorded."""

    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0
        self.exceptions = []

    async def send(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        await self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                described = details.get("exception", {}).get("description") or details.get("text")
                self.exceptions.append(described)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression):
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def until(self, what, expression):
        deadline = time.monotonic() + GUARD_SECONDS
        while time.monotonic() < deadline:
            if await self.evaluate(expression):
                return
            await asyncio.sleep(0.1)
        text = await self.evaluate("document.body.innerText")
        raise AssertionError(f"the page never showed {what}; it shows:\n{text}")


def http(base, method, path, token=None, body=None, form=None):
    headers = {}
    data = None
    if token:
        headers["authorization"] = f"Bearer {token}"
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode()
    if form is not None:
        headers["content-type"] = "application/x-www-form-urlencoded"
        data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=GUARD_SECONDS) as response:
        return json.loads(response.read() or b"null")


def start_chromium(profile):
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
        "--no-proxy-server",
        # Nothing leaves the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
    ]
    chromium = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Chromium writes the port it chose to this file once it listens.
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if chromium.poll() is not None:
            raise RuntimeError(f"chromium exited with {chromium.returncode}")
        try:
            with open(port_file) as file:
                port = int(file.readline().strip())
            break
        except (FileNotFoundError, ValueError):
            time.sleep(0.1)
    else:
        raise RuntimeError("chromium did not open its DevTools port within 60 s")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
        targets = json.loads(response.read())
    page = next(target for target in targets if target["type"] == "page")
    return chromium, page["webSocketDebuggerUrl"]


async def drive(base, username, password, socket_url):
    async with websockets.connect(socket_url, max_size=None) as socket:
        cdp = Cdp(socket)
        await cdp.send("Runtime.enable")
        await cdp.send("Page.enable")
        await cdp.send("Page.navigate", url=base + "/")
        await cdp.until("the sign-in form", "!!document.getElementById('signin-form')")

        # Sign up through the page; it signs in and opens the first list with its feed.
        await cdp.evaluate(
            f"document.getElementById('username').value = {json.dumps(username)};"
            f"document.getElementById('password').value = {json.dumps(password)};"
            "document.getElementById('signup-button').click(); true"
        )
        await cdp.until(
            "the list, its feed open",
            "!document.getElementById('app').hidden && document.body.dataset.feed === 'open'",
        )

        shown = (
            "[...document.querySelectorAll('#items li span')]"
            ".some((span) => span.textContent === {title})"
        )
        # Add an item with the page's form: it appears once the feed reports it.
        await cdp.evaluate(
            "document.getElementById('new-item').value = 'milk';"
            "document.getElementById('add-item').click(); true"
        )
        await cdp.until("the item added in the page", shown.format(title=json.dumps("milk")))

        # Another client adds an item: the page shows it without being asked.
        token = http(
            base, "POST", "/v1/token", form={"username": username, "password": password}
        )["access_token"]
        list_id = await cdp.evaluate("listId")
        http(base, "POST", f"/v1/lists/{list_id}/items", token=token, body={"title": "bread"})
        await cdp.until("the item another client added", shown.format(title=json.dumps("bread")))

        # Tick milk in the page: the server has it done, and the page shows it so.
        await cdp.evaluate(
            "[...document.querySelectorAll('#items li')]"
            ".find((row) => row.querySelector('span').textContent === 'milk')"
            ".querySelector('input').click(); true"
        )
        await cdp.until(
            "milk done",
            "[...document.querySelectorAll('#items li.done span')]"
            ".some((span) => span.textContent === 'milk')",
        )
        page = http(base, "GET", f"/v1/lists/{list_id}/items?done=true", token=token)
        titles = [item["title"] for item in page["items"]]
        assert titles == ["milk"], f"the server's done items: {titles}"

        error = await cdp.evaluate("document.getElementById('error').textContent")
        assert not error, f"the page shows an error: {error}"
        assert not cdp.exceptions, f"the page threw: {cdp.exceptions}"


def main():
    base, username, password = sys.argv[1:4]
    profile = tempfile.mkdtemp(prefix="todo-chromium-")
    chromium = None
    try:
        chromium, socket_url = start_chromium(profile)
        asyncio.run(asyncio.wait_for(drive(base, username, password, socket_url), 120))
    finally:
        if chromium is not None:
            chromium.terminate()
            try:
                chromium.wait(10)
            except subprocess.TimeoutExpired:
                chromium.kill()
                chromium.wait()
        shutil.rmtree(profile, ignore_errors=True)
    print("the front page signed up, added an item, showed another client's, and ticked one")


if __name__ == "__main__":
    main()
