"""What deploy/ says about the running service, read out of its files, and checked against
the todo binary: the port, the probe paths, the environment variables, the grace period.

The proof then runs its instances with the manifest's port and settings and asks each
instance the manifest's probe paths, so the files cannot drift from the service unnoticed.
"""

import os
import re

from hosts import Failure

try:
    import yaml
except ImportError as missing:  # pragma: no cover (a setup problem, said plainly)
    raise SystemExit(
        "tests/cluster needs PyYAML to read deploy/kubernetes.yaml: pip install pyyaml "
        "(scripts/install-tools.sh's .tools/venv has it)"
    ) from missing


class Deployment:
    """The facts of deploy/kubernetes.yaml and deploy/Dockerfile the proof uses."""

    def __init__(self, port, readiness_path, liveness_path, env, grace_period, binary,
                 metrics_path=None):
        self.port = port
        # Where Prometheus scrapes (the pod's annotation), if anywhere.
        self.metrics_path = metrics_path
        self.readiness_path = readiness_path
        self.liveness_path = liveness_path
        # The plain `value:` variables of the container (those from a Secret are not here).
        self.env = env
        self.grace_period = grace_period
        self.binary = binary

    def seconds(self, name):
        try:
            return float(self.env[name])
        except (KeyError, ValueError) as error:
            raise Failure(f"deploy/kubernetes.yaml: {name} is not a number of seconds") from error


def read(root, help_text, sources_text, checks):
    """Reads deploy/, runs the checks that need no running instance (each reported to
    `checks`), and returns what the proof needs to run its instances like the manifest's."""
    with open(os.path.join(root, "deploy/kubernetes.yaml"), encoding="utf-8") as file:
        documents = [doc for doc in yaml.safe_load_all(file) if doc]
    with open(os.path.join(root, "deploy/Dockerfile"), encoding="utf-8") as file:
        dockerfile = file.read()
    by_kind = {}
    for doc in documents:
        by_kind.setdefault(doc.get("kind"), []).append(doc)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler"):
        checks.check(
            f"kubernetes.yaml has one {kind}",
            len(by_kind.get(kind, [])) == 1,
            f"found {len(by_kind.get(kind, []))}",
        )
    deployment = by_kind["Deployment"][0]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {port.get("name"): port["containerPort"] for port in container.get("ports", [])}
    http_port = ports.get("http")
    checks.check("the container names its port `http`", http_port is not None, f"ports: {ports}")

    def resolve(port):
        return ports.get(port) if isinstance(port, str) else port

    probes = {}
    for probe in ("readinessProbe", "livenessProbe"):
        get = container.get(probe, {}).get("httpGet", {})
        probes[probe] = get.get("path")
        checks.check(
            f"{probe} is an HTTP GET on the container's port",
            get.get("path") and resolve(get.get("port")) == http_port,
            f"{probe}: {get}",
        )
    checks.check(
        "readiness and liveness are different paths",
        probes["readinessProbe"] != probes["livenessProbe"],
        f"both {probes['readinessProbe']}",
    )

    env = {}
    for variable in container.get("env", []):
        name = variable["name"]
        if "value" in variable:
            env[name] = str(variable["value"])
        checks.check(
            f"the binary reads ${name}",
            f"${name}" in help_text or f'"{name}"' in sources_text or name in LOGGING,
            "neither `todo --help` nor the sources name it",
        )
    for secret in ("DATABASE_URL", "TODO_JWT_SECRET"):
        from_secret = any(
            variable["name"] == secret and "secretKeyRef" in variable.get("valueFrom", {})
            for variable in container.get("env", [])
        )
        checks.check(f"{secret} comes from a Secret", from_secret, "not a secretKeyRef")
    bind = env.get("OXAPI_BIND", "")
    checks.check(
        "OXAPI_BIND listens on every interface, on the container's port",
        bind == f"0.0.0.0:{http_port}",
        f"OXAPI_BIND={bind!r}, containerPort {http_port}",
    )
    result = Deployment(
        port=http_port,
        readiness_path=probes["readinessProbe"],
        liveness_path=probes["livenessProbe"],
        env=env,
        grace_period=pod.get("terminationGracePeriodSeconds", 30),
        binary=None,
    )
    annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
    if annotations.get("prometheus.io/scrape") == "true":
        result.metrics_path = annotations.get("prometheus.io/path", "/metrics")
        checks.check(
            "Prometheus scrapes the container's port, at the path OXAPI_METRICS_PATH serves",
            str(annotations.get("prometheus.io/port")) == str(http_port)
            and env.get("OXAPI_METRICS_PATH") == result.metrics_path,
            f"annotations {annotations}, OXAPI_METRICS_PATH={env.get('OXAPI_METRICS_PATH')!r}",
        )
    drain = result.seconds("OXAPI_DRAIN_DELAY")
    grace = result.seconds("OXAPI_SHUTDOWN_GRACE")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {})
    checks.check(
        "a preStop sleep holds SIGTERM back while the endpoint's removal spreads",
        isinstance(pre_stop.get("seconds"), int) and pre_stop["seconds"] > 0,
        f"preStop: {container.get('lifecycle', {}).get('preStop')}",
    )
    sleep = pre_stop.get("seconds", 0) if isinstance(pre_stop.get("seconds"), int) else 0
    checks.check(
        "terminationGracePeriodSeconds > preStop sleep + drain delay + shutdown grace",
        result.grace_period > sleep + drain + grace,
        f"{result.grace_period} <= {sleep} + {drain} + {grace}",
    )
    checks.check(
        "3 replicas",
        deployment["spec"].get("replicas") == 3,
        f"replicas: {deployment['spec'].get('replicas')}",
    )

    service = by_kind["Service"][0]
    selector = service["spec"].get("selector", {})
    pod_labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    checks.check(
        "the Service selects the Deployment's pods on the container's port",
        selector
        and all(pod_labels.get(key) == value for key, value in selector.items())
        and all(resolve(port.get("targetPort")) == http_port for port in service["spec"]["ports"]),
        f"selector {selector}, labels {pod_labels}, ports {service['spec']['ports']}",
    )
    target = by_kind["HorizontalPodAutoscaler"][0]["spec"]["scaleTargetRef"]
    checks.check(
        "the HorizontalPodAutoscaler scales the Deployment on CPU",
        target.get("kind") == "Deployment"
        and target.get("name") == deployment["metadata"]["name"]
        and any(
            metric.get("resource", {}).get("name") == "cpu"
            for metric in by_kind["HorizontalPodAutoscaler"][0]["spec"].get("metrics", [])
        )
        and resources_cpu(container),
        f"scaleTargetRef {target}; a CPU target needs the container's CPU request",
    )

    result.binary = check_dockerfile(dockerfile, http_port, help_text, sources_text, checks)
    return result


# Read by the log setup (tracing-subscriber), not named in `--help`.
LOGGING = {"RUST_LOG"}


def resources_cpu(container):
    return bool(container.get("resources", {}).get("requests", {}).get("cpu"))


def check_dockerfile(text, http_port, help_text, sources_text, checks):
    """The Dockerfile builds the todo binary, runs that binary as a non-root user, and
    exposes and binds the manifest's port. Returns the binary's name."""
    # Continuation lines joined, comments dropped.
    lines = [
        line.strip()
        for line in re.sub(r"\\\n", " ", text).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    build = re.search(r"cargo build --release -p (\S+) --locked", text)
    checks.check("the Dockerfile runs `cargo build --release -p todo --locked`",
                 build and build.group(1) == "todo", "no such command")
    binary = build.group(1) if build else "todo"
    copied = re.search(rf"target/release/{binary}\s+(\S+)", text)
    entry = [line for line in lines if line.startswith("ENTRYPOINT")]
    checks.check(
        "the Dockerfile's ENTRYPOINT runs the binary it built",
        copied and entry and binary in entry[-1],
        f"built target/release/{binary}, ENTRYPOINT {entry}",
    )
    exposed = [line.split()[1] for line in lines if line.startswith("EXPOSE")]
    checks.check("the Dockerfile EXPOSEs the container's port", exposed == [str(http_port)],
                 f"EXPOSE {exposed}, containerPort {http_port}")
    env = dict(re.findall(r"\b([A-Z][A-Z0-9_]+)=(\S+)", " ".join(
        line for line in lines if line.startswith("ENV"))))
    checks.check("the Dockerfile binds the container's port",
                 env.get("OXAPI_BIND") == f"0.0.0.0:{http_port}", f"ENV {env}")
    for name in env:
        checks.check(
            f"the binary reads ${name} (Dockerfile)",
            f"${name}" in help_text or f'"{name}"' in sources_text or name in LOGGING,
            "neither `todo --help` nor the sources name it",
        )
    user = [line.split()[1] for line in lines if line.startswith("USER")]
    checks.check("the image runs as a non-root user",
                 user and user[-1].split(":")[0] not in ("0", "root"), f"USER {user}")
    stop = [line.split()[1] for line in lines if line.startswith("STOPSIGNAL")]
    checks.check("the image stops with SIGTERM", stop == ["SIGTERM"], f"STOPSIGNAL {stop}")
    return binary
