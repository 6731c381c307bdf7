"""The Kubernetes manifests (deploy/k8s/) are valid Kubernetes objects and agree with the code.

Validation uses the JSON schemas kubernetes-validate ships (strict: an unknown field is an
error), so it runs offline. Beyond the schemas: every container runs a real `marketplace`
command, every variable it can see is a setting some process reads, probes hit the health
endpoints on the service's own port, Services/HPAs/PDBs select what exists, the gateway's
upstream URLs name real Services, and the RabbitMQ policies match the queues the runtime
declares. No cluster needed."""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from ops import cli
from scripts.settings_table import known_env_names
from shared.config import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "development"
# The oldest Kubernetes release still commonly run, and the newest the schemas know.
VERSIONS = ("1.29.0", "1.37.0")

try:
    import kubernetes_validate
except ImportError:  # pragma: no cover — the lock pins it
    kubernetes_validate = None


def _load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _manifests(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, doc)
        for path in sorted(folder.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in _load(path)
    ]


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, dict[str, Any]]]:
    """What the development overlay deploys: the base and the overlay's Secrets and Mailpit."""
    found = _manifests(BASE) + _manifests(OVERLAY)
    assert found, "deploy/k8s/ has no manifests"
    return found


def of_kind(documents, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in documents if doc["kind"] == kind}


def pod_specs(documents) -> dict[str, dict[str, Any]]:
    """Pod templates of Deployments and Jobs, by workload name."""
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for _, doc in documents
        if doc["kind"] in ("Deployment", "Job")
    }


def run_args(container: dict[str, Any]):
    command = container.get("command") or []
    if command[:1] != ["marketplace"]:
        return None
    return cli.build_parser().parse_args(command[1:])


# ----------------------------------------------------------------- files


def test_manifests_are_what_the_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(K8S / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("folder", [BASE, OVERLAY], ids=["base", "overlay"])
def test_kustomization_lists_every_manifest(folder: Path) -> None:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"]) - {"../../base"}
    on_disk = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    assert kustomization["namespace"] == "marketplace"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_document_is_a_valid_kubernetes_object(documents, version: str) -> None:
    assert kubernetes_validate is not None, (
        "kubernetes-validate is not installed: it is pinned in requirements/dev.lock (make install)"
    )
    errors = []
    for filename, doc in documents:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(
                f"{filename} {doc['kind']}/{doc['metadata']['name']}: "
                f"{'.'.join(map(str, error.path))}: {error.message}"
            )
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{filename}: {error.message}")
    assert not errors, "\n".join(errors)


def test_everything_is_namespaced_and_labelled(documents) -> None:
    for filename, doc in documents:
        meta = doc["metadata"]
        if doc["kind"] != "Namespace":
            assert meta.get("namespace") == "marketplace", f"{filename}: {meta['name']}"
        assert meta["labels"]["app.kubernetes.io/part-of"] == "marketplace"


# ----------------------------------------------------------------- workloads


def test_each_service_runs_api_and_worker_apart_and_a_relay_where_it_publishes(documents) -> None:
    roles: dict[str, set[str]] = {}
    for name, spec in pod_specs(documents).items():
        for container in spec["containers"]:
            args = run_args(container)
            if args is not None and args.command == "run":
                assert name == f"{args.service}-{args.role}", f"{name} runs {args.service} {args.role}"
                assert args.role != "all", f"{name}: roles run apart in the cluster"
                roles.setdefault(args.service, set()).add(args.role)
    assert set(roles) == set(cli.SERVICE_NAMES)
    for service, found in roles.items():
        uses_bus = cli.definition(service).uses_bus
        expected = {"api", "worker", "relay"} if uses_bus else {"api", "worker"}
        assert found == expected, f"{service}: {sorted(found)}"


def test_relays_keep_a_standby_and_are_not_autoscaled(documents) -> None:
    deployments = of_kind(documents, "Deployment")
    autoscaled = {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind(documents, "HorizontalPodAutoscaler").values()
    }
    relays = [name for name in deployments if name.endswith("-relay")]
    assert relays
    for name in relays:
        assert deployments[name]["spec"]["replicas"] == 2, f"{name}: one active, one standby"
        assert name not in autoscaled


def test_every_container_command_is_real_and_every_variable_a_known_setting(documents) -> None:
    known = known_env_names()
    config_maps = of_kind(documents, "ConfigMap")
    secrets = of_kind(documents, "Secret")
    for name, spec in pod_specs(documents).items():
        for container in spec["containers"]:
            args = run_args(container)
            if args is None:
                assert name in ("rabbitmq-policies", "mailpit"), f"{name}: runs {container.get('command')}"
                continue
            visible: set[str] = {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    visible |= set(config_maps[source["configMapRef"]["name"]]["data"])
                else:
                    secret = secrets[source["secretRef"]["name"]]
                    visible |= set(secret.get("stringData") or secret.get("data") or {})
            unknown = sorted(visible - known)
            assert not unknown, f"{name} sets {unknown}, which no settings class declares"
            admin_only = {
                "MARKET_PG_ADMIN_DSN",
                "MARKET_AMQP_ADMIN_URL",
                "MARKET_PG_PASSWORDS",
                "MARKET_AMQP_PASSWORDS",
            }
            if args.command == "migrate":
                assert admin_only <= visible
            else:
                assert not admin_only & visible, f"{name}: the administrators are migrate's only"
                assert ("GATEWAY_JWT_PRIVATE_KEY_FILE" in visible) == (args.service == "gateway")
                own = {f"{args.service}-credentials", "media-s3", "notifications-secrets"}
                read = {s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s}
                assert f"{args.service}-credentials" in read and read <= own, f"{name} reads {read}"


def test_probes_hit_the_health_endpoints_on_the_service_port(documents) -> None:
    for name, spec in pod_specs(documents).items():
        for container in spec["containers"]:
            args = run_args(container)
            if args is None or args.command != "run":
                continue
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            port = int(env[f"{args.service.upper()}_PORT"])
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert ports == {"http": port}, name
            assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
            assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
            assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
            assert container["resources"]["requests"]["cpu"], f"{name}: the HPA needs a CPU request"
            assert spec["terminationGracePeriodSeconds"] > 30, (
                f"{name}: the runtime's shutdown takes up to 30 s"
            )
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_mounted_files_back_the_file_settings(documents) -> None:
    config = of_kind(documents, "ConfigMap")
    secrets = of_kind(documents, "Secret")
    files = {**config["marketplace-config"]["data"], **config["gateway-config"]["data"]}
    for name, spec in pod_specs(documents).items():
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec["containers"]:
            if run_args(container) is None:
                continue
            mounts = {m["mountPath"]: volumes[m["name"]] for m in container.get("volumeMounts", [])}
            needed = ["MARKET_JWT_PUBLIC_KEY_FILE"]
            if name.startswith("gateway-"):
                needed.append("GATEWAY_JWT_PRIVATE_KEY_FILE")
            for var in needed:
                path = Path(files[var])
                volume = mounts.get(str(path.parent))
                assert volume is not None, f"{name}: nothing mounted at {path.parent} for {var}"
                secret = secrets[volume["secret"]["secretName"]]
                assert path.name in (secret.get("stringData") or secret.get("data")), (name, var)


def test_media_api_and_workers_share_one_storage_directory(documents) -> None:
    """What the API stores on upload is what the workers read and write renditions next to: one
    claim, mounted by every media pod at MEDIA_STORAGE_DIR, on any node at once (ReadWriteMany)."""
    config = of_kind(documents, "ConfigMap")["media-config"]["data"]
    assert config["MEDIA_STORAGE"] == "directory"
    claims = set()
    for name, spec in pod_specs(documents).items():
        container = spec["containers"][0]
        args = run_args(container)
        if args is None or args.command != "run" or args.service != "media":
            continue
        assert {"configMapRef": {"name": "media-config"}} in container["envFrom"], name
        volumes = {v["name"]: v for v in spec["volumes"]}
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == config["MEDIA_STORAGE_DIR"])
        assert not mount.get("readOnly"), name
        claims.add(volumes[mount["name"]]["persistentVolumeClaim"]["claimName"])
    assert len(claims) == 1
    claim = of_kind(documents, "PersistentVolumeClaim")[claims.pop()]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_catalogue_api_pods_build_their_search_index_in_a_directory_of_their_own(documents) -> None:
    """The root filesystem is read-only: each catalogue API pod gets a size-limited emptyDir at
    MARKET_SEARCH_INDEX_DIR (the index is rebuilt from PostgreSQL when missing), and its rollout
    allows the build time, since the pod is not ready until the index is built."""
    deployments = of_kind(documents, "Deployment")
    for name, spec in pod_specs(documents).items():
        container = spec["containers"][0]
        args = run_args(container)
        if args is None or args.command != "run" or args.service != "catalogue":
            continue
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        if args.role != "api":
            assert "MARKET_SEARCH_INDEX_DIR" not in env, f"{name} serves no search"
            continue
        volumes = {v["name"]: v for v in spec["volumes"]}
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == env["MARKET_SEARCH_INDEX_DIR"])
        assert not mount.get("readOnly")
        assert volumes[mount["name"]]["emptyDir"]["sizeLimit"]
        assert deployments[name]["spec"]["progressDeadlineSeconds"] > 600


# ----------------------------------------------------------------- services, scaling, budgets


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_services_select_api_pods_and_the_gateway_reaches_them(documents) -> None:
    deployments = of_kind(documents, "Deployment")
    services = of_kind(documents, "Service")
    for name, svc in services.items():
        if name == "smtp":
            continue  # the development overlay's Mailpit
        targets = [
            d
            for d in deployments.values()
            if _selects(svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(targets) == 1, f"Service {name} selects {len(targets)} Deployments"
        assert targets[0]["metadata"]["name"].endswith("-api"), f"Service {name} must front an API"
        container = targets[0]["spec"]["template"]["spec"]["containers"][0]
        assert svc["spec"]["ports"][0]["targetPort"] in [p["name"] for p in container["ports"]]
    gateway = of_kind(documents, "ConfigMap")["gateway-config"]["data"]
    for upstream in ("makers", "catalogue", "orders", "media", "notifications"):
        url = gateway[f"GATEWAY_{upstream.upper()}_URL"]
        host, port = re.fullmatch(r"http://([a-z-]+):(\d+)", url).groups()
        assert host in services, f"GATEWAY_{upstream.upper()}_URL names no Service"
        assert services[host]["spec"]["ports"][0]["port"] == int(port)
        assert services[host]["spec"]["selector"]["app.kubernetes.io/name"] == upstream
    assert "gateway" in services


def test_autoscalers_and_disruption_budgets_target_what_exists(documents) -> None:
    deployments = of_kind(documents, "Deployment")
    hpas = of_kind(documents, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} >= {
        f"{s}-api" for s in cli.SERVICE_NAMES
    }
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments, name
        assert (
            hpa["spec"]["minReplicas"]
            <= deployments[target["name"]]["spec"]["replicas"]
            <= hpa["spec"]["maxReplicas"]
        ), name
    pdbs = of_kind(documents, "PodDisruptionBudget")
    assert pdbs
    for name, pdb in pdbs.items():
        selected = [
            d
            for d in deployments.values()
            if _selects(pdb["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(selected) == 1, name
        floor = min(
            selected[0]["spec"]["replicas"],
            next(
                (
                    h["spec"]["minReplicas"]
                    for h in hpas.values()
                    if h["spec"]["scaleTargetRef"]["name"] == name
                ),
                10**6,
            ),
        )
        assert pdb["spec"]["minAvailable"] < floor, f"{name}: the budget would block every drain"


def test_migration_job_runs_migrate_once_per_release(documents) -> None:
    jobs = of_kind(documents, "Job")
    migrate = jobs["marketplace-migrate"]["spec"]
    container = migrate["template"]["spec"]["containers"][0]
    assert run_args(container).command == "migrate"
    assert migrate["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")
    assert migrate["backoffLimit"] >= 1


# ----------------------------------------------------------------- RabbitMQ


def _definitions(documents) -> dict[str, Any]:
    return json.loads(of_kind(documents, "ConfigMap")["rabbitmq-definitions"]["data"]["definitions.json"])


def test_quorum_queue_policies_match_the_queues_the_runtime_declares(documents) -> None:
    policies = {p["name"]: p for p in _definitions(documents)["policies"]}
    namespace = of_kind(documents, "ConfigMap")["marketplace-config"]["data"]["MARKET_NAMESPACE"]
    consuming = [name for name in cli.SERVICE_NAMES if cli.definition(name).uses_bus]
    settings = [cli.definition(name).settings_cls.model_construct(namespace=namespace) for name in consuming]
    assert isinstance(settings[0], ServiceSettings)

    def applied(queue: str, kind: str) -> list[str]:
        matching = [
            p
            for p in policies.values()
            if re.search(p["pattern"], queue) and p["apply-to"] in (kind, "queues", "all")
        ]
        return [p["name"] for p in matching]

    for s in settings:
        assert applied(s.queue, "quorum_queues") == ["market-service-queues"], s.queue
        assert applied(s.parking_queue, "quorum_queues") == ["market-parking-queues"]
        for attempt in range(1, len(s.retry_delays_ms) + 1):
            assert applied(s.retry_queue(attempt), "classic_queues") == [], "retry queues keep their TTL"
    assert applied(settings[0].archive_queue, "classic_queues") == ["market-archive"]
    service = policies["market-service-queues"]["definition"]
    # At-least-once dead-lettering (to the parking queue) requires reject-publish overflow.
    if service.get("dead-letter-strategy") == "at-least-once":
        assert service.get("overflow") == "reject-publish"
    archive = policies["market-archive"]["definition"]
    assert archive["max-length"] == ServiceSettings.model_fields["archive_max_events"].default


class _PolicyApi(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any], str]]] = []

    def do_PUT(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, body, self.headers["Authorization"]))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_the_policy_job_puts_every_policy_through_the_management_api(documents, tmp_path) -> None:
    job = of_kind(documents, "Job")["rabbitmq-policies"]["spec"]["template"]["spec"]
    container = job["containers"][0]
    definitions = tmp_path / "definitions.json"
    definitions.write_text(
        of_kind(documents, "ConfigMap")["rabbitmq-definitions"]["data"]["definitions.json"]
    )
    mount = container["volumeMounts"][0]
    assert job["volumes"][0]["configMap"]["name"] == "rabbitmq-definitions"
    assert mount["mountPath"] == "/etc/rabbitmq-definitions"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PolicyApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _PolicyApi.received = []
    try:
        env = {
            **os.environ,
            "RABBITMQ_API": f"http://127.0.0.1:{server.server_address[1]}",
            "RABBITMQ_USER": "admin",
            "RABBITMQ_PASSWORD": "pw",
            "DEFINITIONS": str(definitions),
        }
        command = container["command"]
        assert command[:2] == ["python", "-c"]
        subprocess.run(
            [sys.executable, "-c", command[2]], env=env, check=True, timeout=30, capture_output=True
        )
    finally:
        server.shutdown()
        server.server_close()
    policies = _definitions(documents)["policies"]
    assert [path for path, _, _ in _PolicyApi.received] == [
        f"/api/policies/%2F/{p['name']}" for p in policies
    ]
    for (_, body, auth), policy in zip(_PolicyApi.received, policies, strict=False):
        assert body == {k: policy[k] for k in ("pattern", "apply-to", "priority", "definition")}
        assert auth.startswith("Basic ")
