"""The load the proof drives through nginx, and the webhook receiver it counts deliveries with.

Each client is a thread with its own user, token, list and keep-alive connection. At a fixed
rate it creates an item (with an `Idempotency-Key`, the item's title being the key, so the
database shows whether a create was made twice), reads a page of its list, or reads one of
its items. Every request is recorded with the phase it began in, its status and its latency.
Nothing is retried by the client: what nginx cannot hide is counted as an error.
"""

import http.client
import http.server
import json
import random
import threading
import time
import urllib.parse
import uuid
import zlib

from hosts import Failure


class Record:
    __slots__ = ("phase", "kind", "status", "latency", "error", "key", "item_id")

    def __init__(self, phase, kind, status, latency, error=None, key=None, item_id=None):
        self.phase = phase
        self.kind = kind
        self.status = status
        self.latency = latency
        self.error = error
        self.key = key
        self.item_id = item_id

    @property
    def ok(self):
        return self.error is None and self.status is not None and 200 <= self.status < 300


class Client:
    """One user's connection to nginx."""

    def __init__(self, host, port, name):
        self.host = host
        self.port = port
        self.name = name
        self.connection = None
        self.token = None
        self.list_id = None
        self.items = []

    def request(self, method, path, body=None, headers=None):
        """(status, parsed JSON or None); raises OSError / HTTPException on a transport error."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=20)
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return response.status, parsed

    def setup(self):
        """Signs up, signs in and makes a list (through nginx, before the phases)."""
        password = "correct horse battery"
        status, body = self.request(
            "POST", "/v1/users",
            json.dumps({"username": self.name, "password": password}),
            {"Content-Type": "application/json"},
        )
        if status != 201:
            raise Failure(f"sign-up of {self.name}: {status} {body}")
        form = urllib.parse.urlencode(
            {"grant_type": "password", "username": self.name, "password": password})
        status, body = self.request(
            "POST", "/v1/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            raise Failure(f"sign-in of {self.name}: {status} {body}")
        self.token = body["access_token"]
        status, body = self.request(
            "POST", "/v1/lists", json.dumps({"title": f"{self.name}'s list"}),
            {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        )
        if status != 201:
            raise Failure(f"list of {self.name}: {status} {body}")
        self.list_id = body["id"]

    def one(self, phase, rng):
        """One request of the mix: half creates, a quarter page reads, a quarter item reads."""
        draw = rng.random()
        base = f"/v1/lists/{self.list_id}/items"
        if draw < 0.5 or not self.items:
            key = str(uuid.uuid4())
            kind, method, path = "create", "POST", base
            body = json.dumps({"title": key})
            headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        elif draw < 0.75:
            kind, method, path, body, headers, key = "page", "GET", base + "?limit=5", None, None, None
        else:
            kind, method, body, headers, key = "read", "GET", None, None, None
            path = f"{base}/{rng.choice(self.items)}"
        start = time.perf_counter()
        try:
            status, parsed = self.request(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            return Record(phase, kind, None, time.perf_counter() - start,
                          error=f"{method} {path}: {type(error).__name__}: {error}", key=key)
        latency = time.perf_counter() - start
        record = Record(phase, kind, status, latency, key=key)
        if not record.ok:
            record.error = f"{method} {path}: {status} {json.dumps(parsed)[:300]}"
        elif kind == "create":
            item_id = parsed.get("id") if isinstance(parsed, dict) else None
            if isinstance(item_id, str):
                record.item_id = item_id
                self.items.append(item_id)
            else:
                record.error = f"{method} {path}: {status} without an item id: {parsed!r:.300}"
        return record


class Load:
    """N clients at a fixed rate each, until stopped; the phase is read at each request."""

    def __init__(self, host, port, clients, rate):
        run_id = uuid.uuid4().hex[:8]
        self.clients = [Client(host, port, f"load-{run_id}-{n}") for n in range(clients)]
        self.rate = rate
        self.phase = "setup"
        self.records = []
        self.stopping = threading.Event()
        self.threads = []

    def setup(self):
        errors = []

        def one(client):
            try:
                client.setup()
            except (Failure, OSError, http.client.HTTPException, KeyError, TypeError) as error:
                errors.append(f"{client.name}: {error}")

        threads = [threading.Thread(target=one, args=(c,)) for c in self.clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise Failure("setting up the clients through nginx failed: " + "; ".join(errors))

    def start(self):
        for index, client in enumerate(self.clients):
            thread = threading.Thread(target=self._drive, args=(client, index), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _drive(self, client, index):
        rng = random.Random(index)
        interval = 1.0 / self.rate
        # Spread the clients' first requests over one interval.
        next_at = time.monotonic() + interval * index / len(self.clients)
        while not self.stopping.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                if self.stopping.wait(delay):
                    break
            elif delay < -1.0:
                # Far behind (a slow phase): do not make up for it with a burst.
                next_at = time.monotonic()
            phase = self.phase
            try:
                record = client.one(phase, rng)
            except Exception as error:  # noqa: BLE001 (a client bug is an error, not a hang)
                record = Record(phase, "bug", None, 0.0, error=f"client: {error!r}")
            self.records.append(record)
            next_at += interval

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
        for client in self.clients:
            if client.connection is not None:
                client.connection.close()


class Receiver:
    """The webhook endpoint the instances deliver to. It counts deliveries by their
    Idempotency-Key, and refuses (503) the first attempt of one key in `refuse_one_in`, so
    that the retries are exercised too."""

    def __init__(self, address, refuse_one_in=20):
        receiver = self
        self.lock = threading.Lock()
        self.accepted = {}
        self.refused = {}
        self.bodies = {}
        self.without_key = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                key = self.headers.get("Idempotency-Key")
                status = 200
                with receiver.lock:
                    if key is None:
                        receiver.without_key += 1
                    elif (zlib.crc32(key.encode()) % refuse_one_in == 0
                          and key not in receiver.refused):
                        receiver.refused[key] = 1
                        status = 503
                    else:
                        receiver.accepted[key] = receiver.accepted.get(key, 0) + 1
                        receiver.bodies.setdefault(key, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{address}:{self.server.server_address[1]}/hooks/todo"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def counts(self):
        with self.lock:
            total = sum(self.accepted.values())
            return {
                "accepted": total,
                "distinct": len(self.accepted),
                "duplicates": total - len(self.accepted),
                "refused_first_attempts": len(self.refused),
                "refused_then_accepted": sum(1 for key in self.refused if key in self.accepted),
                "without_key": self.without_key,
            }

    def item_ids(self):
        """The item ids the accepted bodies name (`item.id`, or any `id`/`item_id` string)."""
        with self.lock:
            bodies = list(self.bodies.values())
        found = set()
        for body in bodies:
            try:
                collect_ids(json.loads(body), found)
            except ValueError:
                pass
        return found

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def feed_crosses(subscriber, writer, client, timeout=5.0):
    """Subscribes to `client`'s list's events on the instance at `subscriber` (host, port),
    creates an item through the instance at `writer`, and returns (True, "") once the
    subscriber sends that item's `item.created` event, or (False, what was seen)."""
    title = f"feed-{uuid.uuid4()}"
    headers = {"Authorization": f"Bearer {client.token}", "Accept": "text/event-stream"}
    stream = http.client.HTTPConnection(*subscriber, timeout=timeout)
    seen = []
    try:
        stream.request("GET", f"/v1/lists/{client.list_id}/events", headers=headers)
        response = stream.getresponse()
        if response.status != 200:
            return False, f"the subscription answered {response.status}"
        other = http.client.HTTPConnection(*writer, timeout=timeout)
        other.request(
            "POST", f"/v1/lists/{client.list_id}/items", json.dumps({"title": title}),
            {**headers, "Content-Type": "application/json", "Idempotency-Key": title})
        created = other.getresponse()
        created.read()
        other.close()
        if created.status != 201:
            return False, f"the create answered {created.status}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = response.readline()
            if not line:
                return False, f"the stream ended; saw {seen[-5:]}"
            text = line.decode(errors="replace").strip()
            if text:
                seen.append(text[:120])
            if text.startswith("data:") and title in text:
                return True, ""
        return False, f"no event for the item in {timeout:g} s; saw {seen[-5:]}"
    except (OSError, http.client.HTTPException) as error:
        return False, f"{type(error).__name__}: {error}; saw {seen[-5:]}"
    finally:
        stream.close()


def collect_ids(value, found):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("id", "item_id") and isinstance(inner, str):
                found.add(inner)
            collect_ids(inner, found)
    elif isinstance(value, list):
        for inner in value:
            collect_ids(inner, found)
