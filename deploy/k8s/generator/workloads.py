"""The Kubernetes objects of each role (Deployment, Service, HPA, PDB) and their pods' volumes,
media's storage claim and the migrate Job."""

from __future__ import annotations

from typing import Any

from .config import MEDIA_STORAGE_DIR, MEDIA_STORAGE_SIZE, SEARCH_INDEX_DIR
from .objects import POD_SECURITY, SECURITY, env_from, labels, meta, probe, selector
from .table import IMAGE, Role


def volumes(
    service: str = "", disk_tmp: str | None = None, search_index: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tmp = {"sizeLimit": disk_tmp} if disk_tmp else {"medium": "Memory", "sizeLimit": "16Mi"}
    vols: list[dict[str, Any]] = [
        {"name": "jwt-public", "secret": {"secretName": "marketplace-jwt-public"}},
        {"name": "tmp", "emptyDir": tmp},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "jwt-public", "mountPath": "/run/secrets/jwt", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    if service == "gateway":
        vols.append({"name": "jwt-private", "secret": {"secretName": "marketplace-jwt-private"}})
        mounts.append({"name": "jwt-private", "mountPath": "/run/secrets/jwt-private", "readOnly": True})
    if service == "media":
        vols.append({"name": "media-storage", "persistentVolumeClaim": {"claimName": "media-storage"}})
        mounts.append({"name": "media-storage", "mountPath": MEDIA_STORAGE_DIR})
    if search_index:
        vols.append({"name": "search-index", "emptyDir": {"sizeLimit": search_index}})
        mounts.append({"name": "search-index", "mountPath": SEARCH_INDEX_DIR})
    return vols, mounts


def deployment(role: Role) -> dict[str, Any]:
    vols, mounts = volumes(role.service, role.disk_tmp, role.search_index)
    env = [{"name": f"{role.service.upper()}_PORT", "value": str(role.port)}]
    if role.search_index:
        env.append({"name": "MARKET_SEARCH_INDEX_DIR", "value": SEARCH_INDEX_DIR})
    container: dict[str, Any] = {
        "name": role.service,
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["marketplace", "run", role.service, "--role", role.role],
        "ports": [{"name": "http", "containerPort": role.port, "protocol": "TCP"}],
        "env": env,
        "envFrom": env_from(service=role.service),
        # A catalogue API builds its search index in the background: live all along, ready
        # (in the Service) once built; the startup probe never waits for the build.
        "startupProbe": probe("/health/live", 2, 30),
        "livenessProbe": probe("/health/live", 10, 3),
        "readinessProbe": probe("/health/ready", 5, 2),
        "resources": {
            "requests": {"cpu": role.cpu_request, "memory": role.memory_request},
            "limits": {"cpu": role.cpu_limit, "memory": role.memory_limit},
        },
        "securityContext": SECURITY,
        "volumeMounts": mounts,
    }
    if role.role == "api":
        # Let the endpoint be removed from the Service before SIGTERM stops accepting.
        container["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(role.name, labels(role)),
        "spec": {
            "replicas": role.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(role)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            # A rollout waits for each new pod to be ready; one building its search index takes
            # ~90 s a million listings (on two cores): allow 20 minutes instead of the default 10.
            **({"progressDeadlineSeconds": 1200} if role.search_index else {}),
            "template": {
                "metadata": {
                    "labels": {**labels(role)},
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(role.port),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    # The runtime's graceful shutdown: stop accepting, finish in-flight
                    # requests and messages, flush the outbox (aiohttp shutdown_timeout 30 s).
                    "terminationGracePeriodSeconds": 45,
                    "automountServiceAccountToken": False,
                    "securityContext": POD_SECURITY,
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": selector(role)},
                        }
                    ],
                    "containers": [container],
                    "volumes": vols,
                },
            },
        },
    }


def service(role: Role) -> dict[str, Any]:
    name = "gateway" if role.service == "gateway" else role.name
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, labels(role)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(role),
            "ports": [{"name": "http", "port": role.port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def hpa(role: Role) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(role.name, labels(role)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": role.name},
            "minReplicas": role.min_replicas,
            "maxReplicas": role.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                }
            },
        },
    }


def pdb(role: Role) -> dict[str, Any]:
    # APIs and workers keep one replica serving through a voluntary disruption (node drain);
    # relays keep their standby, so a drain never leaves a service without a relay for long.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(role.name, labels(role)),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": selector(role)}},
    }


def media_storage_claim() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta("media-storage", {"app.kubernetes.io/name": "media"}),
        "spec": {
            # Mounted by the API and every worker at once, on any node: ReadWriteMany.
            "accessModes": ["ReadWriteMany"],
            "resources": {"requests": {"storage": MEDIA_STORAGE_SIZE}},
        },
    }


def migrate_job() -> dict[str, Any]:
    vols, mounts = volumes()
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta("marketplace-migrate", labels(component="migrate")),
        "spec": {
            "backoffLimit": 4,
            "activeDeadlineSeconds": 600,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": labels(component="migrate")},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "automountServiceAccountToken": False,
                    "securityContext": POD_SECURITY,
                    "containers": [
                        {
                            "name": "migrate",
                            "image": IMAGE,
                            "imagePullPolicy": "IfNotPresent",
                            # Schemas, roles, then queues and bindings: idempotent, serialised by
                            # an advisory lock, so re-running it on every release is safe.
                            "command": ["marketplace", "migrate"],
                            "envFrom": env_from(migrate=True),
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "1", "memory": "256Mi"},
                            },
                            "securityContext": SECURITY,
                            "volumeMounts": mounts,
                        }
                    ],
                    "volumes": vols,
                },
            },
        },
    }
