"""The todo benchmark's database and correctness checks (`bench/run.py todo`): the same todo
API served by oxapi's `examples/todo`, by axum + sqlx (`servers/todo-axum`) and by FastAPI +
SQLAlchemy (`fastapi/todo`), on one PostgreSQL.

Standard library only: the database is reached through `psql`, its processes through /proc.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import urllib.parse
import uuid

# The seeded user, their list, and its items: the same ids in every reset, so that a token
# stays valid across resets and the wrk scripts can name the items.
USERNAME = "bench"
PASSWORD = "correct horse battery"
ITEMS = 1000
# The item read-one reads: one in the middle of the list.
READ_INDEX = ITEMS // 2


def uuid7(millis: int) -> uuid.UUID:
    """A UUIDv7 (RFC 9562) at `millis`, as the servers make ids: ordered by time."""
    rand = int.from_bytes(os.urandom(10), "big")
    return uuid.UUID(int=(millis << 80 | 0x7 << 76 | (rand >> 68) << 64
                          | 0b10 << 62 | rand & ((1 << 62) - 1)))


class Seed:
    """The ids of the seeded rows, made once per benchmark."""

    def __init__(self) -> None:
        start = int(time.time() * 1000) - 3_600_000
        self.user = uuid7(start)
        self.list = uuid7(start + 1)
        self.items = [uuid7(start + 2 + i) for i in range(ITEMS)]


class Database:
    """One PostgreSQL the servers share: reset and seeded through `psql`, its processes found
    from a backend's parent (the postmaster) when it runs on this machine."""

    def __init__(self, url: str):
        self.url = url

    def psql(self, sql: str, timeout: float = 60.0) -> str:
        result = subprocess.run(
            ["psql", self.url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
            input=sql, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def empty(self) -> None:
        """Deletes every user, list and item (the schema stays)."""
        self.wait_idle()
        self.psql("TRUNCATE users, lists, items CASCADE;")

    def wait_idle(self, timeout: float = 30.0, abandoned_after: int = 10) -> None:
        """Waits until no other session of this database is in a statement or a transaction:
        a server may still be answering requests wrk sent before it stopped (FastAPI works
        through its backlog), and TRUNCATE must not wait on, or deadlock with, them. A session
        left idle in a transaction for `abandoned_after` seconds after that is ended
        (pg_terminate_backend), with a warning: it would hold its locks for good."""
        busy = ("FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                "pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.psql(f"SELECT count(*) {busy};") == "0":
                return
            time.sleep(0.2)
        stuck = self.psql(
            f"SELECT pid, state, left(query, 80) {busy} AND state = 'idle in transaction' AND "
            f"state_change < now() - interval '{abandoned_after} seconds';")
        if stuck:
            print(f"  WARNING: ending sessions left idle in a transaction:\n{stuck}", flush=True)
            self.psql(f"SELECT pg_terminate_backend(pid) {busy} AND state = 'idle in "
                      f"transaction' AND state_change < now() - interval '{abandoned_after} "
                      "seconds';")
        if self.psql(f"SELECT count(*) {busy};") != "0":
            raise RuntimeError(f"the database stayed busy for {timeout:.0f} s after a "
                               f"measurement: {self.psql(f'SELECT state, left(query, 80) {busy};')}")

    def seed(self, seed: Seed, password_hash: str) -> None:
        """Empties the tables, then one user, one list, and its items at version 1; and
        ANALYZE, so that every measurement starts from the same statistics. Once no server
        is at work in the database."""
        self.wait_idle()
        rows = ",\n".join(
            f"('{item}', '{seed.list}', 'item {i + 1}', {'true' if i % 2 else 'false'}, 1, "
            f"now(), now())" for i, item in enumerate(seed.items))
        self.psql(
            "BEGIN;\nTRUNCATE users, lists, items CASCADE;\n"
            f"INSERT INTO users (id, username, password_hash, created_at) VALUES "
            f"('{seed.user}', '{USERNAME}', '{password_hash}', now());\n"
            f"INSERT INTO lists (id, owner_id, title, version, created_at, updated_at) VALUES "
            f"('{seed.list}', '{seed.user}', 'bench', 1, now(), now());\n"
            "INSERT INTO items (id, list_id, title, done, version, created_at, updated_at) "
            f"VALUES\n{rows};\nCOMMIT;\nANALYZE users, lists, items;\n")

    def password_hash(self, username: str) -> str:
        value = self.psql(f"SELECT password_hash FROM users WHERE username = '{username}';")
        if not value.startswith("$argon2"):
            raise RuntimeError(f"no Argon2 hash stored for {username!r}")
        return value

    def postmaster(self) -> int | None:
        """The postmaster's pid, if PostgreSQL runs on this machine (its processes then have
        their CPU time measured); None otherwise. Found as the parent of a backend, read
        while the session that backend serves is still open."""
        session = subprocess.Popen(
            ["psql", self.url, "-X", "-q", "-A", "-t"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            session.stdin.write("SELECT pg_backend_pid();\n")
            session.stdin.flush()
            backend = int(session.stdout.readline())
            with open(f"/proc/{backend}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{parent}/comm") as f:
                if f.read().strip() not in ("postgres", "postmaster"):
                    return None
            return parent
        except (OSError, ValueError):
            return None
        finally:
            session.stdin.close()
            session.wait(timeout=30)


def database_url_for_display(url: str) -> str:
    """The URL without its password, for logs and results."""
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urllib.parse.urlunsplit(parts)


# --------------------------------------------------------------------------------------------
# Correctness checks: every server must answer these alike before it is measured.

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|\+00:00)$")
USER_KEYS = {"id", "username", "created_at"}
LIST_KEYS = {"id", "title", "version", "created_at", "updated_at"}
ITEM_KEYS = {"id", "list_id", "title", "done", "version", "created_at", "updated_at"}
TOKEN_KEYS = {"access_token", "token_type", "expires_in", "scope"}


class CheckFailed(Exception):
    pass


def check_todo_api(call) -> tuple[int, list[str]]:
    """Runs the checks through `call(method, path, body=None, headers=None, form=False)`,
    which returns (status, headers with lowercase names, parsed JSON or None, raw body).
    Expects an empty database. Returns how many passed and the failures."""
    passed, failures = 0, []
    state: dict = {}

    def expect(label, got, status, keys=None, problem=False, check=None):
        nonlocal passed
        got_status, headers, body, raw = got
        problems = []
        if got_status != status:
            problems.append(f"status {got_status}, expected {status}; body {raw[:200]!r}")
        else:
            ctype = headers.get("content-type", "")
            if problem:
                if not ctype.startswith("application/problem+json"):
                    problems.append(f"content-type {ctype!r}, expected application/problem+json")
                elif not (isinstance(body, dict) and body.get("status") == status
                          and isinstance(body.get("title"), str) and "type" in body):
                    problems.append(f"not a problem: {raw[:200]!r}")
            elif keys is not None:
                if "json" not in ctype:
                    problems.append(f"content-type {ctype!r}, expected JSON")
                elif not isinstance(body, dict) or set(body) != keys:
                    problems.append(f"keys {sorted(body) if isinstance(body, dict) else body!r}, "
                                    f"expected {sorted(keys)}")
                else:
                    for key in ("created_at", "updated_at"):
                        if key in body and not TIMESTAMP.match(str(body[key])):
                            problems.append(f"{key} {body[key]!r} is no RFC 3339 UTC time")
            if not problems and check:
                why = check(headers, body)
                if why:
                    problems.append(why)
        if problems:
            failures.append(f"{label}: {'; '.join(problems)}")
        else:
            passed += 1
        return body

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    name, password = "checker", "a good password"
    expect("sign up", call("POST", "/v1/users", {"username": name, "password": password}),
           201, USER_KEYS, check=lambda h, b: None if b["username"] == name else "wrong name")
    expect("sign up, name taken is 409",
           call("POST", "/v1/users", {"username": name, "password": password}), 409,
           problem=True)
    expect("sign up, 2-character name is 422",
           call("POST", "/v1/users", {"username": "ab", "password": password}), 422,
           problem=True)
    expect("sign up, malformed JSON is 400",
           call("POST", "/v1/users", b'{"username":', {"Content-Type": "application/json"}),
           400, problem=True)
    token = expect("token", call("POST", "/v1/token", {"username": name, "password": password},
                                 form=True), 200, TOKEN_KEYS,
                   check=lambda h, b: None if (b["token_type"] == "bearer"
                                               and b["scope"] == "lists:read lists:write")
                   else f"token {b!r}")
    expect("token, wrong password is 400",
           call("POST", "/v1/token", {"username": name, "password": "not it at all"}, form=True),
           400, problem=True)
    expect("token, unknown user is 400",
           call("POST", "/v1/token", {"username": "nobody", "password": password}, form=True),
           400, problem=True)
    reader = expect("token, read scope only",
                    call("POST", "/v1/token", {"username": name, "password": password,
                                               "scope": "lists:read"}, form=True), 200,
                    TOKEN_KEYS, check=lambda h, b: None if b["scope"] == "lists:read"
                    else f"scope {b['scope']!r}")
    if not isinstance(token, dict) or not isinstance(reader, dict):
        failures.append("no token: the remaining checks need one")
        return passed, failures
    write, read = bearer(token["access_token"]), bearer(reader["access_token"])
    new_list = {"title": "groceries"}
    expect("create list, no token is 401", call("POST", "/v1/lists", new_list), 401,
           problem=True, check=lambda h, b: None if h.get("www-authenticate", "").startswith(
               "Bearer") else "no WWW-Authenticate: Bearer")
    expect("create list, forged token is 401",
           call("POST", "/v1/lists", new_list, bearer(token["access_token"][:-4] + "AAAA")),
           401, problem=True)
    expect("create list, read-only token is 403", call("POST", "/v1/lists", new_list, read),
           403, problem=True)

    def made(location_prefix):
        def check(h, b):
            if h.get("etag") != '"1"':
                return f"ETag {h.get('etag')!r}, expected \"1\""
            if h.get("location") != f"{location_prefix}/{b['id']}":
                return f"Location {h.get('location')!r}"
            if b["version"] != 1:
                return f"version {b['version']}"
            return None
        return check

    todo = expect("create list", call("POST", "/v1/lists", new_list, write), 201, LIST_KEYS,
                  check=made("/v1/lists"))
    expect("create list, same title is 409", call("POST", "/v1/lists", new_list, write), 409,
           problem=True)
    expect("create list, empty title is 422", call("POST", "/v1/lists", {"title": ""}, write),
           422, problem=True)
    if not isinstance(todo, dict) or "id" not in todo:
        failures.append("no list: the remaining checks need one")
        return passed, failures
    items = f"/v1/lists/{todo['id']}/items"
    item = expect("create item", call("POST", items, {"title": "milk"}, write), 201, ITEM_KEYS,
                  check=lambda h, b: made(items)(h, b) or (
                      None if b["done"] is False and b["list_id"] == todo["id"]
                      else f"item {b!r}"))
    expect("create item, unknown list is 404",
           call("POST", f"/v1/lists/{uuid.uuid4()}/items", {"title": "milk"}, write), 404,
           problem=True)
    expect("create item, 501 characters is 422",
           call("POST", items, {"title": "x" * 501}, write), 422, problem=True)
    if not isinstance(item, dict) or "id" not in item:
        failures.append("no item: the remaining checks need one")
        return passed, failures
    one = f"{items}/{item['id']}"
    expect("read item", call("GET", one, None, read), 200, ITEM_KEYS,
           check=lambda h, b: None if h.get("etag") == '"1"' and b == item
           else f"ETag {h.get('etag')!r}, body {b!r}, expected the created item")
    expect("read item, unknown id is 404", call("GET", f"{items}/{uuid.uuid4()}", None, read),
           404, problem=True)
    expect("read item, id not a UUID is 422", call("GET", f"{items}/42", None, read), 422,
           problem=True)
    expect("read item, no token is 401", call("GET", one), 401, problem=True)
    expect("list items", call("GET", f"{items}?limit=20&offset=0", None, read), 200,
           {"items", "total", "next_cursor"},
           check=lambda h, b: None if (b["total"] == 1 and b["items"] == [item]
                                       and b["next_cursor"] is None) else f"page {b!r}")
    expect("list items, a full page has a cursor",
           call("GET", f"{items}?limit=1", None, read), 200, {"items", "total", "next_cursor"},
           check=lambda h, b: None if b["next_cursor"] == base64.urlsafe_b64encode(
               f"created\n{item['id'].replace('-', '')}\nmilk".encode()).rstrip(b"=").decode()
           else f"next_cursor {b['next_cursor']!r}")
    expect("list items, limit 0 is 422", call("GET", f"{items}?limit=0", None, read), 422,
           problem=True)
    expect("list items, limit 101 is 422", call("GET", f"{items}?limit=101", None, read), 422,
           problem=True)
    patch = {"done": True}
    expect("update, If-Match current", call("PATCH", one, patch, dict(write, **{"If-Match": '"1"'})),
           200, ITEM_KEYS,
           check=lambda h, b: None if (h.get("etag") == '"2"' and b["version"] == 2
                                       and b["done"] is True and b["title"] == "milk")
           else f"ETag {h.get('etag')!r}, body {b!r}")
    expect("update, If-Match stale is 412",
           call("PATCH", one, patch, dict(write, **{"If-Match": '"1"'})), 412, problem=True)
    expect("update, If-Match *", call("PATCH", one, {"title": "oat milk"},
                                      dict(write, **{"If-Match": "*"})), 200, ITEM_KEYS,
           check=lambda h, b: None if h.get("etag") == '"3"' and b["title"] == "oat milk"
           else f"ETag {h.get('etag')!r}, body {b!r}")
    expect("update, If-Match not a tag is 422",
           call("PATCH", one, patch, dict(write, **{"If-Match": "3"})), 422, problem=True)
    expect("update, empty title is 422",
           call("PATCH", one, {"title": ""}, dict(write, **{"If-Match": '"3"'})), 422,
           problem=True)
    expect("update, read-only token is 403", call("PATCH", one, patch, read), 403,
           problem=True)
    expect("unknown path is 404", call("GET", "/v2/nowhere", None, read), 404, problem=True)
    return passed, failures


def json_or_none(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return None
