#!/usr/bin/env python3
"""Three todo instances as three hosts behind nginx, on one PostgreSQL: nothing is lost when
one of them stops or dies.

    sudo python3 tests/cluster/proof.py [--binary PATH] [--clients 8] [--rate 40]

Builds `-p todo` (debug: its dependencies are already built by the test suite, and Argon2 is
optimised in debug too), makes three network namespaces on a bridge (tests/cluster/hosts.py),
starts PostgreSQL (scripts/postgres.sh) reachable from them, one todo instance in each with
the port and settings of deploy/kubernetes.yaml (whose files are checked against the binary
first: tests/cluster/deploy_check.py), and nginx on 127.0.0.1 with deploy/nginx.conf (its
instance list and paths substituted: tests/cluster/nginx.py). Each instance must answer the
manifest's probe and metrics paths, and, with the cross-instance feed, a change made through
h1 must reach an SSE subscriber of h3. Then, under a fixed load through nginx
(tests/cluster/load.py):

  0. warm: all three serve;
  a. SIGTERM h1: zero client-visible errors (it drains: readiness fails, connections close,
     then the port), and h1 exits 0;
  b. SIGKILL h2: zero lost writes: every create answered 2xx is in the database, none is
     there twice (each create's title is its Idempotency-Key, and nginx retries creates);
     with the todo webhook jobs, every item's job is delivered at least once;
  c. h1 and h2 start again and rejoin: nginx's access log shows each serving again, and
     their own metrics agree.

Prints a table per phase (requests, errors, p50/p99 latency, writes verified, requests nginx
retried, which instance served) and writes it as JSON to target/cluster-report.json. Whatever
happens, it removes what it made: processes, nginx, PostgreSQL, namespaces, bridge, temporary
directories (and what a killed earlier run left). Exits 1 if a claim fails, saying which.
Needs root (CI runs as root); fails, rather than skips, where `ip netns` is not permitted.
"""

import argparse
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# The sibling modules are imported from this directory; leave no __pycache__ in the tree.
sys.dont_write_bytecode = True

import deploy_check  # noqa: E402
import hosts  # noqa: E402
import nginx  # noqa: E402
import figures  # noqa: E402
from hosts import Failure  # noqa: E402
from load import Load, Receiver, feed_crosses  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
POSTGRES_SCRIPT = os.path.join(ROOT, "scripts", "postgres.sh")
PHASE_LABELS = {
    "warm": "0 warm: h1 h2 h3",
    "a": "a SIGTERM h1",
    "b": "b SIGKILL h2",
    "c": "c restart h1 h2",
}


class Interrupted(Exception):
    """A signal or the time limit ended the run early."""


class Checks:
    """The claims the proof makes: each passes, fails (with what was seen) or is skipped."""

    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        ok = bool(ok)
        self.results.append({"name": name, "ok": ok, "detail": "" if ok else str(detail)})
        print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
        return ok

    def skip(self, name, reason):
        self.results.append({"name": name, "ok": None, "detail": reason})
        print(f"  skip {name}: {reason}", flush=True)

    def failed(self):
        return [result for result in self.results if result["ok"] is False]

    def passed(self):
        return [result for result in self.results if result["ok"] is True]


class Features:
    """Which parts of the runtime and the todo example this build has: a part that has not
    landed yet is skipped with a reason; once its names are in the sources, it is required."""

    def __init__(self, help_text, sources_text, deployment):
        self.probes = (
            f'"{deployment.readiness_path}"' in sources_text
            and f'"{deployment.liveness_path}"' in sources_text
        )
        # The runtime's Prometheus endpoint, where the manifest turns it on.
        self.metrics = deployment.metrics_path is not None and '"OXAPI_METRICS_PATH"' in sources_text
        # The change feed across instances (PostgreSQL LISTEN/NOTIFY).
        self.feed = "PgListener" in sources_text
        self.webhook = "--webhook-url" in help_text
        self.admin_token = "--admin-token" in help_text
        # Test settings of the jobs, where the binary has them: a killed worker's jobs go to
        # another after 3 missed heartbeats of 1 s (30 s by default), and a refused delivery
        # is tried again after 0.2 s.
        self.jobs_options = [
            option for option in (("--jobs-heartbeat-ms", "1000"), ("--webhook-backoff-ms", "200"))
            if option[0] in help_text
        ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="a todo binary (default: cargo build -p todo)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--rate", type=float, default=40.0,
                        help="requests per second per client (40)")
    parser.add_argument("--report", default=os.path.join(ROOT, "target", "cluster-report.json"))
    parser.add_argument("--logs", default=os.path.join(ROOT, "target", "cluster-logs"),
                        help="where the instances' and nginx's logs are kept")
    parser.add_argument("--time-limit", type=float, default=240.0,
                        help="seconds the run may take after the build (240)")
    args = parser.parse_args()

    checks = Checks()
    report = {"checks": checks.results}
    try:
        code = prove(args, checks, report)
    except Failure as error:
        print(f"\ncluster proof: FAILED: {error}", file=sys.stderr, flush=True)
        checks.check("the proof ran to the end", False, error)
        code = 1
    except Interrupted as error:
        print(f"\ncluster proof: stopped: {error}", file=sys.stderr, flush=True)
        checks.check("the proof ran to the end", False, error)
        code = 1
    figures.write_report(args.report, report)
    print(f"\ncluster proof: {len(checks.passed())} passed, {len(checks.failed())} failed")
    for failure in checks.failed():
        print(f"  FAILED: {failure['name']}: {failure['detail']}", file=sys.stderr)
    return code if not checks.failed() else 1


def prove(args, checks, report):
    binary, profile = build(args.binary)
    help_text = hosts.run(binary, "--help").stdout
    sources_text = read_sources()

    print("\n==> deploy/ against the binary", flush=True)
    deployment = deploy_check.read(ROOT, help_text, sources_text, checks)
    features = Features(help_text, sources_text, deployment)

    hosts.check_permitted()
    nginx.ensure_nginx()
    psql = shutil.which("psql") or first_glob("/usr/lib/postgresql/*/bin/psql")
    # Released by the kernel when this process ends.
    _lock = hosts.lock(timeout=600)
    for left in hosts.remove_leftovers(POSTGRES_SCRIPT):
        print(f"removed a left-over of an earlier run: {left}", flush=True)

    def interrupt(signum, _frame):
        raise Interrupted(f"signal {signal.Signals(signum).name}")

    def out_of_time(_signum, _frame):
        raise Interrupted(f"the time limit ({args.time_limit:.0f} s) passed")

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, interrupt)
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(args.time_limit))

    cluster = Cluster(args, binary, deployment, features, checks, report, psql)
    report.update({
        "binary": binary,
        "profile": profile,
        "clients": args.clients,
        "rate_per_client": args.rate,
        "drain_delay_s": deployment.seconds("OXAPI_DRAIN_DELAY"),
        "shutdown_grace_s": deployment.seconds("OXAPI_SHUTDOWN_GRACE"),
    })
    try:
        cluster.run()
    finally:
        signal.alarm(0)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        cluster.clean_up()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
    return 0


class Cluster:
    """The run: what it made (to clean up) and what it measured (to report)."""

    def __init__(self, args, binary, deployment, features, checks, report, psql):
        self.args = args
        self.binary = binary
        self.deployment = deployment
        self.features = features
        self.checks = checks
        self.report = report
        self.psql = psql
        self.state = hosts.State()
        self.tmp = None
        self.postgres_dir = None
        self.network = False
        self.instances = []
        self.nginx = None
        self.receiver = None
        self.load = None
        self.phases = []

    # --- setting up ---------------------------------------------------------------------

    def run(self):
        self.tmp = tempfile.mkdtemp(prefix="oxapi-cluster.")
        self.state.add_dir(self.tmp)
        os.chmod(self.tmp, 0o755)
        print("\n==> three hosts: namespaces oxapi-h1..3 on bridge oxapi-br0", flush=True)
        self.network = True
        hosts.make_network()

        print("==> PostgreSQL, on 127.0.0.1 and the bridge", flush=True)
        self.postgres_dir = tempfile.mkdtemp(prefix="oxapi-postgres.")
        self.state.add_dir(self.postgres_dir, key="postgres_dirs")
        env = dict(os.environ, POSTGRES_EXTRA_LISTEN=f"{hosts.BRIDGE_ADDRESS}/{hosts.PREFIX}")
        url = hosts.run("bash", POSTGRES_SCRIPT, "start", self.postgres_dir, env=env,
                        capture=True).stdout.strip()
        self.database_url = url
        instance_url = url.replace("@127.0.0.1:", f"@{hosts.BRIDGE_ADDRESS}:")

        if self.features.webhook:
            self.receiver = Receiver(hosts.BRIDGE_ADDRESS)
            print(f"==> webhook receiver on {self.receiver.url}", flush=True)

        self.start_instances(instance_url)
        self.check_probes()
        self.start_nginx()

        print(f"\n==> load: {self.args.clients} clients × {self.args.rate:g} req/s through "
              f"nginx on 127.0.0.1:{self.nginx_port}", flush=True)
        self.load = Load("127.0.0.1", self.nginx_port, self.args.clients, self.args.rate)
        self.load.setup()
        self.check_feed()
        self.load.start()
        self.run_phases()
        self.load.stop()
        self.verify()

    def start_instances(self, database_url):
        deployment = self.deployment
        self.admin_token = secrets.token_hex(16)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # The manifest's settings, as Kubernetes would give them (port, drain, grace, ...).
            **deployment.env,
            "DATABASE_URL": database_url,
            "TODO_JWT_SECRET": secrets.token_hex(32),
        }
        argv = [self.binary]
        if self.features.webhook:
            argv += ["--webhook-url", self.receiver.url]
            for option in self.features.jobs_options:
                argv += option
        if self.features.admin_token:
            argv += ["--admin-token", self.admin_token]
        os.makedirs(os.path.join(self.tmp, "logs"), exist_ok=True)
        print(f"==> todo in each namespace: {' '.join(argv[1:]) or '(no arguments)'}; "
              + ", ".join(f"{key}={value}" for key, value in deployment.env.items()), flush=True)
        for index, (namespace, address) in enumerate(hosts.HOSTS, start=1):
            instance = hosts.Instance(index, namespace, address, deployment.port, argv, env,
                                      os.path.join(self.tmp, "logs"), self.state)
            instance.start()
            self.instances.append(instance)
        for instance in self.instances:
            self.wait_ready(instance, deadline=60)

    def ready_path(self):
        return self.deployment.readiness_path if self.features.probes else "/openapi.json"

    def wait_ready(self, instance, deadline):
        """Polls the instance's readiness (or, before the probes exist, its document)."""
        until = time.monotonic() + deadline
        last = None
        while time.monotonic() < until:
            if not instance.alive():
                raise Failure(f"{instance.name} exited {instance.process.returncode} while "
                              f"starting:\n{hosts.tail(instance.log_path)}")
            last = get(instance.base_url + self.ready_path(), timeout=1)
            if last == 200:
                return
            time.sleep(0.1)
        raise Failure(f"{instance.name} was not ready after {deadline} s (last answer {last}):"
                      f"\n{hosts.tail(instance.log_path)}")

    def check_probes(self):
        print("==> the manifest's probes, on each instance", flush=True)
        paths = (self.deployment.readiness_path, self.deployment.liveness_path)
        if not self.features.probes:
            for path in paths:
                self.checks.skip(
                    f"each instance answers {path} with 200",
                    f"the runtime's sources do not name {path} yet (built-in probes not merged)")
            return
        for path in paths:
            answers = {i.name: get(i.base_url + path) for i in self.instances}
            self.checks.check(f"each instance answers {path} with 200",
                              all(status == 200 for status in answers.values()), answers)
        if self.deployment.metrics_path is None:
            return
        name = f"each instance serves Prometheus metrics at {self.deployment.metrics_path}"
        if not self.features.metrics:
            self.checks.skip(name, "the runtime's sources do not read OXAPI_METRICS_PATH yet")
            return
        texts = {i.name: get_text(i.base_url + self.deployment.metrics_path)
                 for i in self.instances}
        self.checks.check(name, all(text and METRIC in text for text in texts.values()),
                          {k: (v or "")[:200] for k, v in texts.items()})

    def start_nginx(self):
        root = os.path.join(self.tmp, "nginx")
        os.makedirs(root)
        os.chmod(root, 0o755)
        self.nginx_port = free_port()
        with open(os.path.join(ROOT, "deploy", "nginx.conf"), encoding="utf-8") as file:
            template = file.read()
        config = nginx.config(template, self.nginx_port,
                              [instance.upstream for instance in self.instances], root)
        self.nginx = nginx.Nginx(root, config, self.state)
        self.access_log = os.path.join(root, "access.log")
        self.nginx.test()
        self.nginx.start()
        until = time.monotonic() + 10
        while get(f"http://127.0.0.1:{self.nginx_port}/openapi.json", timeout=1) != 200:
            if self.nginx.process.poll() is not None or time.monotonic() > until:
                raise Failure("nginx did not serve the document: "
                              + hosts.tail(self.nginx.error_log))
            time.sleep(0.1)
        print(f"==> nginx on 127.0.0.1:{self.nginx_port} (deploy/nginx.conf)", flush=True)

    def check_feed(self):
        name = "a change made through h1 reaches a subscriber of h3 (SSE)"
        if not self.features.feed:
            self.checks.skip(name, "the todo sources have no PgListener yet (cross-instance "
                                   "feed not merged)")
            return
        h1, _, h3 = self.instances
        ok, seen = feed_crosses((h3.address, h3.port), (h1.address, h1.port),
                                self.load.clients[0])
        self.checks.check(name, ok, seen)

    # --- the phases ---------------------------------------------------------------------

    def begin(self, name):
        now = time.time()
        if self.phases:
            self.phases[-1]["end"] = now
        self.phases.append({"name": name, "label": PHASE_LABELS[name], "start": now})
        self.load.phase = name
        print(f"\n==> phase {PHASE_LABELS[name]}", flush=True)

    def run_phases(self):
        h1, h2, _h3 = self.instances
        drain = self.deployment.seconds("OXAPI_DRAIN_DELAY")
        grace = self.deployment.seconds("OXAPI_SHUTDOWN_GRACE")

        self.begin("warm")
        time.sleep(4)

        self.begin("a")
        sent = time.monotonic()
        self.sigterm_at = time.time()
        h1.signal(signal.SIGTERM)
        if self.features.probes:
            # The listener stays open for the drain delay: readiness must fail at once.
            status = None
            until = time.monotonic() + min(1.0, drain)
            while time.monotonic() < until:
                status = get(h1.base_url + self.deployment.readiness_path, timeout=0.5)
                if status == 503:
                    break
                time.sleep(0.05)
            self.checks.check("a: h1's readiness answers 503 as soon as it is SIGTERMed",
                              status == 503, f"last answer {status}")
        code = h1.wait(timeout=drain + grace + 10)
        took = time.monotonic() - sent
        self.phases[-1]["h1_exit"] = {"code": code, "seconds": round(took, 2)}
        self.checks.check("a: h1 drains and exits 0", code == 0,
                          f"exit {code} after {took:.1f} s:\n{hosts.tail(h1.log_path)}")
        self.checks.check(f"a: h1 kept its port open for the drain delay ({drain:g} s)",
                          took >= drain, f"exited after {took:.2f} s")
        time.sleep(2)

        self.begin("b")
        time.sleep(1)
        h2.signal(signal.SIGKILL)
        h2.wait(timeout=5)
        time.sleep(4)

        self.begin("c")
        restarted = time.time()
        h1.start()
        h2.start()
        for instance in (h1, h2):
            self.wait_ready(instance, deadline=60)
        # Rejoined: nginx sends them requests again, and they answer 2xx.
        need = 20
        until = time.monotonic() + 30
        served = {}
        while time.monotonic() < until:
            served = self.served_since(restarted)
            if all(served.get(instance.upstream, 0) >= need for instance in (h1, h2)):
                break
            time.sleep(0.25)
        for instance in (h1, h2):
            count = served.get(instance.upstream, 0)
            self.checks.check(f"c: {instance.name} rejoins: nginx sends it requests again",
                              count >= need, f"{count} answered by it in 30 s (need {need})")
            if self.features.metrics:
                # The instance's own count, since its restart, of the API requests it answered.
                answered = api_answers(
                    get_text(instance.base_url + self.deployment.metrics_path) or "")
                self.phases[-1].setdefault("metrics_2xx_since_restart", {})[instance.name] = (
                    answered)
                self.checks.check(
                    f"c: {instance.name}'s own metrics count the requests it answers again",
                    answered >= count, f"{answered} in its metrics, {count} in nginx's log")
        time.sleep(1)
        self.phases[-1]["end"] = time.time()

    def served_since(self, since):
        counts = {}
        for entry in nginx.read_access_log(self.access_log):
            if entry["end"] >= since and 200 <= entry["status"] < 300:
                counts[entry["upstream"]] = counts.get(entry["upstream"], 0) + 1
        return counts

    # --- verifying and reporting --------------------------------------------------------

    def check_request_ids(self):
        """One request followed from nginx to the instance that answered it: nginx gives each
        request an X-Request-Id (its own `$request_id` unless the client sent one) and logs
        it; the instance, with the manifest's JSON access log, logs its `answered` line under
        the same id."""
        if self.deployment.env.get("OXAPI_ACCESS_LOG") not in ("1", "true"):
            self.checks.skip("each request's id is in nginx's log and the instance's",
                             "the manifest does not turn the access log on")
            return
        by_address = {i.address: i.name for i in self.instances}
        logged = {}
        for instance in self.instances:
            for path in instance.log_paths():
                with open(path, encoding="utf-8", errors="replace") as file:
                    for line in file:
                        if '"answered"' not in line:
                            continue
                        try:
                            event = json.loads(line)
                        except ValueError:
                            continue
                        rid = event.get("span", {}).get("request_id")
                        if rid:
                            logged[rid] = instance.name
        sample = [e for e in nginx.read_access_log(self.access_log)
                  if 200 <= e["status"] < 300 and e["rid"] and e["tries"] == 1][:500]
        missing = [e for e in sample
                   if logged.get(e["rid"]) != by_address.get(e["upstream"].rsplit(":", 1)[0])]
        self.checks.check(
            "each request's id is in nginx's log and in the JSON log of the instance that "
            f"answered it ({len(sample)} requests)",
            sample and not missing,
            f"{len(missing)} of {len(sample)} not found, e.g. {missing[:3]}",
        )

    def verify(self):
        self.check_request_ids()
        print("\n==> writes, in PostgreSQL", flush=True)
        rows = self.query("SELECT id, title FROM items")
        in_database = {}
        titles = {}
        for line in rows.splitlines():
            item_id, title = line.split("\t", 1)
            in_database[item_id] = title
            titles[title] = titles.get(title, 0) + 1
        records = self.load.records
        acknowledged = [r for r in records if r.kind == "create" and r.ok]
        unanswered = [r for r in records if r.kind == "create" and not r.ok]
        lost = [r for r in acknowledged if r.item_id not in in_database]
        duplicates = {title: count for title, count in titles.items() if count > 1}
        committed_unanswered = [r for r in unanswered if titles.get(r.key)]
        writes = {
            "acknowledged": len(acknowledged),
            "in_database": len(in_database),
            "lost": len(lost),
            "duplicates": len(duplicates),
            "failed_but_committed": len(committed_unanswered),
        }
        self.report["writes"] = writes
        self.checks.check("every create answered 2xx is in the database (zero lost writes)",
                          not lost, f"{len(lost)} missing, e.g. {[r.item_id for r in lost[:5]]}")
        self.checks.check("no create was made twice (retried creates replayed by their key)",
                          not duplicates, f"titles made more than once: {list(duplicates)[:5]}")

        log = nginx.read_access_log(self.access_log)
        phases = [figures.phase_stats(phase, self.load.records, log, self.instances, in_database)
                  for phase in self.phases]
        self.report["phases"] = phases
        by_name = {phase["name"]: phase for phase in phases}
        for name, phase in by_name.items():
            self.checks.check(f"{name}: requests were served", phase["requests"] > 0,
                              "no request in this phase")
        # (a)'s claim; the other phases are held to it too, since nginx sends a request cut
        # off by the SIGKILL to another instance (creates included, being safe to retry).
        for name, phase in by_name.items():
            self.checks.check(f"{name}: zero client-visible errors", phase["errors"] == 0,
                              f"{phase['errors']} errors, e.g. {phase['error_samples']}")
        drain = self.deployment.seconds("OXAPI_DRAIN_DELAY")
        if drain >= 1:
            # Draining is not refusing: h1 answers for its drain delay (closing each
            # connection after its response), and only then closes its port.
            during = sum(
                1 for entry in nginx.read_access_log(self.access_log)
                if entry["upstream"] == self.instances[0].upstream
                and 200 <= entry["status"] < 300
                and self.sigterm_at + 0.2 <= entry["end"] <= self.sigterm_at + drain - 0.2)
            self.checks.check("a: h1 answers requests during its drain delay", during > 0,
                              "nginx got no answer from h1 after its SIGTERM")
        cut_off = nginx.upstream_errors(self.nginx.error_log)
        names = {instance.upstream: instance.name for instance in self.instances}
        self.report["nginx_upstream_errors"] = {
            names.get(upstream, upstream): kinds for upstream, kinds in cut_off.items()}
        print(f"  nginx's errors per instance (each retried on another): "
              f"{self.report['nginx_upstream_errors']}", flush=True)
        self.verify_jobs(in_database)
        figures.print_table(phases, writes)

    def verify_jobs(self, in_database):
        if not self.features.webhook:
            self.checks.skip("every item's webhook job is delivered at least once",
                             "the todo binary has no --webhook-url yet (durable jobs not merged)")
            self.report["jobs"] = {"skipped": "no --webhook-url in todo --help"}
            return
        print("==> webhook jobs: waiting for every item's delivery", flush=True)
        items = len(in_database)
        until = time.monotonic() + 60
        while True:
            counts = self.receiver.counts()
            admin = self.admin_jobs()
            settled = not isinstance(admin, dict) or all(
                admin.get(state) == 0 for state in ("pending", "running", "failed"))
            if (counts["distinct"] >= items and settled) or time.monotonic() > until:
                break
            time.sleep(0.5)
        delivered_ids = self.receiver.item_ids()
        counts["items"] = items
        counts["admin"] = admin
        self.report["jobs"] = counts
        self.checks.check(
            "every item's webhook job is delivered at least once",
            counts["distinct"] >= items,
            f"{counts['distinct']} deliveries accepted for {items} items after 60 s; "
            f"admin counts {admin}",
        )
        missing = set(in_database) - delivered_ids
        self.checks.check("the deliveries name every item", not missing,
                          f"{len(missing)} items named by no accepted delivery")
        self.checks.check("every delivery carries an Idempotency-Key",
                          counts["without_key"] == 0, f"{counts['without_key']} without")
        self.checks.check(
            "a refused delivery is tried again and accepted",
            counts["refused_first_attempts"] > 0
            and counts["refused_then_accepted"] == counts["refused_first_attempts"],
            f"{counts['refused_then_accepted']} of {counts['refused_first_attempts']} refused "
            "deliveries accepted later",
        )
        if isinstance(admin, dict):
            # One job per item committed: enqueued in the create's transaction, so none for a
            # create that rolled back (SIGKILL) and none again for a replayed create.
            self.checks.check(
                "exactly one job per item in the database, all done, none dead",
                admin.get("done") == items and admin.get("dead") == 0,
                f"admin counts {admin} for {items} items")
        else:
            self.checks.skip("exactly one job per item in the database, all done, none dead",
                             f"GET /v1/admin/jobs: {admin}")
        print(f"  deliveries: {counts['accepted']} accepted for {counts['distinct']} keys, "
              f"{counts['duplicates']} duplicates (at least once; the receiver dedupes by key), "
              f"{counts['refused_first_attempts']} refused once and retried; admin: {admin}",
              flush=True)

    def admin_jobs(self):
        if not self.features.admin_token:
            return None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.nginx_port}/v1/admin/jobs",
            headers={"Authorization": f"Bearer {self.admin_token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())
        except (OSError, ValueError) as error:
            return f"unavailable: {error}"

    def query(self, sql):
        return hosts.run(self.psql, self.database_url, "--no-psqlrc", "-At", "-F", "\t",
                         "-c", sql).stdout

    # --- cleaning up --------------------------------------------------------------------

    def clean_up(self):
        print("\n==> cleaning up", flush=True)
        if self.load is not None:
            self.load.stop()
        for instance in self.instances:
            instance.stop()
        if self.nginx is not None:
            self.nginx.stop()
        if self.receiver is not None:
            self.receiver.stop()
        self.keep_logs()
        hosts.tear_down(POSTGRES_SCRIPT, self.postgres_dir, self.network, self.tmp, self.state)

    def keep_logs(self):
        """The instances' and nginx's logs, kept in --logs for a failure's post-mortem."""
        if self.tmp is None:
            return
        shutil.rmtree(self.args.logs, ignore_errors=True)
        os.makedirs(self.args.logs, exist_ok=True)
        for directory in ("logs", "nginx"):
            source = os.path.join(self.tmp, directory)
            if not os.path.isdir(source):
                continue
            for name in os.listdir(source):
                path = os.path.join(source, name)
                if name.endswith(".log") and os.path.isfile(path):
                    prefix = "nginx-" if directory == "nginx" else ""
                    shutil.copy(path, os.path.join(self.args.logs, prefix + name))


# --- helpers ----------------------------------------------------------------------------


def build(binary):
    if binary:
        return os.path.abspath(binary), "given"
    print("==> cargo build -p todo --locked (debug)", flush=True)
    started = time.monotonic()
    done = subprocess.run(["cargo", "build", "-p", "todo", "--locked"], cwd=ROOT, check=False)
    if done.returncode != 0:
        raise Failure("cargo build -p todo failed")
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    print(f"    built in {time.monotonic() - started:.0f} s", flush=True)
    return os.path.join(target, "debug", "todo"), "debug"


def read_sources():
    """The Rust sources of the runtime and the todo example, to see which features exist."""
    texts = []
    for directory in ("runtime/src", "examples/todo/src"):
        for base, _, files in os.walk(os.path.join(ROOT, directory)):
            for name in files:
                if name.endswith(".rs"):
                    with open(os.path.join(base, name), encoding="utf-8") as file:
                        texts.append(file.read())
    return "\n".join(texts)


def get(url, timeout=2.0):
    """The status of a GET, or None if there was no answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


def get_text(url, timeout=2.0):
    """The body of a 200 answer to a GET, or None."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode(errors="replace")
    except (OSError, ValueError):
        return None


METRIC = "http_server_requests_total"
METRIC_LINE = re.compile(
    # Greedy: a route's template has braces of its own (`/v1/lists/{list_id}/items`).
    METRIC + r"\{(?P<labels>.*)\} (?P<value>[0-9.e+]+)$", flags=re.MULTILINE)


def api_answers(text):
    """The 2xx answers of /v1 routes counted in a Prometheus text exposition."""
    total = 0.0
    for match in METRIC_LINE.finditer(text):
        labels = match["labels"]
        if 'status="2xx"' in labels and 'route="/v1/' in labels:
            total += float(match["value"])
    return int(total)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_glob(pattern):
    found = sorted(glob.glob(pattern))
    if not found:
        raise Failure("psql is not installed (it comes with Debian's postgresql package)")
    return found[-1]


if __name__ == "__main__":
    sys.exit(main())
