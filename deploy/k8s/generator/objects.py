"""What every object and pod shares: labels, metadata, the security contexts, where a
container's settings come from, and its probes."""

from __future__ import annotations

from typing import Any

from .table import APP, NAMESPACE, Role


def labels(role: Role | None = None, component: str | None = None) -> dict[str, str]:
    out = {"app.kubernetes.io/part-of": APP}
    if role is not None:
        out |= {"app.kubernetes.io/name": role.service, "app.kubernetes.io/component": role.role}
    elif component:
        out |= {"app.kubernetes.io/component": component}
    return out


def selector(role: Role) -> dict[str, str]:
    return {"app.kubernetes.io/name": role.service, "app.kubernetes.io/component": role.role}


def meta(name: str, extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": {**labels(), **(extra_labels or {})}}


SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def env_from(*, service: str = "", migrate: bool = False) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = [{"configMapRef": {"name": "marketplace-config"}}]
    if service:
        sources.append({"secretRef": {"name": f"{service}-credentials"}})
    if service == "gateway":
        sources.append({"configMapRef": {"name": "gateway-config"}})
    if service == "media":
        sources.append({"configMapRef": {"name": "media-config"}})
        sources.append({"secretRef": {"name": "media-s3"}})
    if service == "notifications":
        sources.append({"configMapRef": {"name": "notifications-config"}})
        sources.append({"secretRef": {"name": "notifications-secrets"}})
    if migrate:
        # Last, so its MARKET_AMQP_URL (the administrator's) wins over the config's.
        sources.append({"secretRef": {"name": "marketplace-migrate"}})
    return sources


def probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }
