"""The development overlay (overlays/development/), for generate.py: the base plus placeholder
Secrets for a throwaway cluster and a Mailpit that catches every email. A real cluster does not
use it: its secret store creates the same Secrets (names and keys: generate.py's SECRET_KEYS),
and notifications sends to a real SMTP relay."""

from __future__ import annotations

import json
from typing import Any

PLACEHOLDER = "change-me"
MAILPIT = "axllent/mailpit:v1.21.0"


def _value(secret: str, key: str, services: tuple[str, ...]) -> str:
    if key == "MARKET_PG_ADMIN_DSN":
        return f"postgresql://postgres:{PLACEHOLDER}@postgres:5432/postgres"
    if key == "MARKET_AMQP_URL":
        return f"amqp://admin:{PLACEHOLDER}@rabbitmq:5672/"
    if key == "MARKET_AMQP_ADMIN_URL":
        return f"http://admin:{PLACEHOLDER}@rabbitmq:15672/"
    if key in ("MARKET_PG_PASSWORDS", "MARKET_AMQP_PASSWORDS"):
        return json.dumps({service: f"{PLACEHOLDER}-{service}" for service in services})
    if key in ("MARKET_PG_PASSWORD", "MARKET_AMQP_PASSWORD"):
        return f"{PLACEHOLDER}-{secret.removesuffix('-credentials')}"
    if key == "RABBITMQ_USER":
        return "admin"
    if key.endswith(".pem"):
        return "REPLACE WITH THE PEM KEY\n"
    return PLACEHOLDER


def secrets(meta: Any, keys: dict[str, tuple[str, ...]], services: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every Secret the base reads, with placeholder values that agree with each other (each
    service's password is the one migrate is given for it)."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta(name),
            "type": "Opaque",
            "stringData": {key: _value(name, key, services) for key in names},
        }
        for name, names in keys.items()
    ]


def mailpit(meta: Any) -> list[dict[str, Any]]:
    """The development mail catcher, reachable as `smtp:1025` (MARKET_SMTP_HOST), UI on 8025."""
    labels = {"app.kubernetes.io/name": "mailpit", "app.kubernetes.io/component": "smtp"}
    pod_labels = {"app.kubernetes.io/part-of": "marketplace", **labels}
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta("mailpit", labels),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": pod_labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "containers": [
                            {
                                "name": "mailpit",
                                "image": MAILPIT,
                                "ports": [
                                    {"name": "smtp", "containerPort": 1025, "protocol": "TCP"},
                                    {"name": "ui", "containerPort": 8025, "protocol": "TCP"},
                                ],
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "64Mi"},
                                    "limits": {"cpu": "250m", "memory": "128Mi"},
                                },
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("smtp", labels),
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [
                    {"name": "smtp", "port": 1025, "targetPort": "smtp", "protocol": "TCP"},
                    {"name": "ui", "port": 8025, "targetPort": "ui", "protocol": "TCP"},
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta("mailpit"),
            "spec": {
                "podSelector": {"matchLabels": labels},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "notifications"}}}
                        ],
                        "ports": [{"protocol": "TCP", "port": 1025}],
                    }
                ],
            },
        },
    ]


def kustomization(resources: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": "marketplace",
        "resources": ["../../base", *resources],
    }
