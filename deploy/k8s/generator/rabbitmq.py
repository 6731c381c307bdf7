"""RabbitMQ: the policies for the queues the services declare, as definitions a broker loads at
boot and a Job that applies them to a running cluster through the management API."""

from __future__ import annotations

import json
from typing import Any

from .objects import POD_SECURITY, SECURITY, labels, meta
from .table import IMAGE, SERVICES

# Policies for the queues the services declare (shared/bus.py), named with MARKET_NAMESPACE
# ("market"): a deployment under another namespace changes the patterns with it. The queue type
# is an argument the services set (x-queue-type: quorum); policies add what operations tune per
# cluster.
POLICIES = [
    {
        "vhost": "/",
        "name": "market-service-queues",
        "pattern": rf"^market\.({'|'.join(SERVICES)})$",
        "apply-to": "quorum_queues",
        "priority": 10,
        "definition": {
            # Spread queue leaders over the nodes instead of piling them on the declaring one.
            "queue-leader-locator": "balanced",
            # Dead-letter to the parking queue at least once (the default, at most once, can
            # drop a message being parked when a node fails); needs reject-publish overflow.
            "dead-letter-strategy": "at-least-once",
            "overflow": "reject-publish",
        },
    },
    {
        "vhost": "/",
        "name": "market-parking-queues",
        "pattern": r"^market\.[a-z]+\.parking$",
        "apply-to": "quorum_queues",
        "priority": 10,
        "definition": {"queue-leader-locator": "balanced"},
    },
    {
        "vhost": "/",
        "name": "market-archive",
        "pattern": r"^market\.archive$",
        "apply-to": "classic_queues",
        "priority": 10,
        "definition": {"max-length": 100000, "overflow": "drop-head"},
    },
]

APPLY_POLICIES = r"""
import base64, json, os, sys, time, urllib.parse, urllib.request
base = os.environ["RABBITMQ_API"].rstrip("/")
auth = base64.b64encode(f'{os.environ["RABBITMQ_USER"]}:{os.environ["RABBITMQ_PASSWORD"]}'.encode()).decode()
path = os.environ.get("DEFINITIONS", "/etc/rabbitmq-definitions/definitions.json")
policies = json.load(open(path))["policies"]
for policy in policies:
    url = f'{base}/api/policies/{urllib.parse.quote(policy["vhost"], safe="")}/{policy["name"]}'
    body = json.dumps({k: policy[k] for k in ("pattern", "apply-to", "priority", "definition")})
    for attempt in range(30):
        try:
            request = urllib.request.Request(url, body.encode(), method="PUT", headers={
                "Authorization": "Basic " + auth, "Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).close()
            print("policy", policy["name"], "set")
            break
        except OSError as error:
            print("policy", policy["name"], "retrying:", error, file=sys.stderr)
            time.sleep(5)
    else:
        sys.exit(f'could not set policy {policy["name"]}')
""".strip()


def rabbitmq_documents() -> list[dict[str, Any]]:
    definitions = {"policies": POLICIES}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta("rabbitmq-definitions", labels(component="rabbitmq")),
            "data": {
                # Loaded at boot by a RabbitMQ that mounts this ConfigMap and sets
                # `load_definitions = /etc/rabbitmq-definitions/definitions.json`;
                # the Job below applies the same policies to a running cluster.
                "definitions.json": json.dumps(definitions, indent=2) + "\n",
            },
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta("rabbitmq-policies", labels(component="rabbitmq")),
            "spec": {
                "backoffLimit": 4,
                "activeDeadlineSeconds": 600,
                "ttlSecondsAfterFinished": 86400,
                "template": {
                    "metadata": {"labels": labels(component="rabbitmq")},
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "automountServiceAccountToken": False,
                        "securityContext": POD_SECURITY,
                        "containers": [
                            {
                                "name": "set-policies",
                                "image": IMAGE,  # has Python; no curl needed
                                "imagePullPolicy": "IfNotPresent",
                                "command": ["python", "-c", APPLY_POLICIES],
                                "env": [{"name": "RABBITMQ_API", "value": "http://rabbitmq:15672"}],
                                "envFrom": [{"secretRef": {"name": "rabbitmq-admin"}}],
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "64Mi"},
                                    "limits": {"cpu": "500m", "memory": "128Mi"},
                                },
                                "securityContext": SECURITY,
                                "volumeMounts": [
                                    {
                                        "name": "definitions",
                                        "mountPath": "/etc/rabbitmq-definitions",
                                        "readOnly": True,
                                    }
                                ],
                            }
                        ],
                        "volumes": [{"name": "definitions", "configMap": {"name": "rabbitmq-definitions"}}],
                    },
                },
            },
        },
    ]
