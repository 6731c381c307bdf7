"""The Kubernetes deployment beyond the workloads (test_k8s_manifests.py): the base holds no
Secret and the development overlay every one the base reads; the overlay renders with kustomize
and validates; the Ingress sends everything to the gateway over TLS; the NetworkPolicies deny
by default and let each service reach only DNS, PostgreSQL, RabbitMQ and what it calls."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from ops import cli
from tests.unit.test_k8s_manifests import BASE, OVERLAY, VERSIONS, _manifests, _selects, of_kind, pod_specs


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, dict[str, Any]]]:
    return _manifests(BASE) + _manifests(OVERLAY)


def test_the_base_holds_no_secret_and_the_overlay_every_one_it_reads() -> None:
    """`kubectl apply -k` of the base can never overwrite a real Secret with a placeholder; the
    development overlay supplies every Secret (and key) a workload of the base reads."""
    base = _manifests(BASE)
    assert not [doc for _, doc in base if doc["kind"] == "Secret"]
    secrets = {
        doc["metadata"]["name"]: doc["stringData"]
        for _, doc in _manifests(OVERLAY)
        if doc["kind"] == "Secret"
    }
    for name, spec in pod_specs(base).items():
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, name
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, (name, source)


def test_the_overlay_renders_with_kustomize_and_validates() -> None:
    kubectl = shutil.which("kubectl")
    kustomize = shutil.which("kustomize")
    # Not skipped when missing: an unrendered overlay is an unchecked one. The machine has
    # kubectl (its image ships it); elsewhere install kubectl or kustomize.
    assert kubectl or kustomize, (
        "neither kubectl nor kustomize is installed: install one to render deploy/k8s"
    )
    command = [kubectl, "kustomize"] if kubectl else [kustomize, "build"]
    result = subprocess.run([*command, str(OVERLAY)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(rendered) == len(_manifests(BASE)) + len(_manifests(OVERLAY))
    for doc in rendered:
        assert doc["metadata"].get("namespace", "marketplace") == "marketplace"
        kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)


def test_the_ingress_sends_everything_to_the_gateway_over_tls(documents) -> None:
    (ingress,) = of_kind(documents, "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    gateway = of_kind(documents, "Service")[backend["name"]]
    assert gateway["spec"]["selector"]["app.kubernetes.io/name"] == "gateway"
    assert backend["port"]["number"] == gateway["spec"]["ports"][0]["port"] and path["path"] == "/"


def _allowed_peers(policies, pod_labels: dict[str, str], direction: str) -> list[dict[str, Any]]:
    """The rules of `direction` of every policy selecting pods with these labels."""
    return [
        rule
        for policy in policies
        if _selects(policy["spec"]["podSelector"].get("matchLabels", {}), pod_labels)
        and direction.capitalize() in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get(direction, [])
    ]


def test_network_policies_let_each_service_reach_only_what_it_needs(documents) -> None:
    policies = list(of_kind(documents, "NetworkPolicy").values())
    deny = next(p for p in policies if p["spec"]["podSelector"] == {})
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    gateway_api = {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/component": "api"}
    for name, deployment in of_kind(documents, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if labels["app.kubernetes.io/name"] == "mailpit":
            continue
        service = labels["app.kubernetes.io/name"]
        egress = _allowed_peers(policies, labels, "egress")
        assert any(p.get("port") == 53 for rule in egress for p in rule.get("ports", [])), f"{name}: DNS"
        ports = {p["port"] for rule in egress for p in rule.get("ports", [])}
        assert {5432, 5672} <= ports, f"{name} cannot reach PostgreSQL and RabbitMQ"
        peers = [peer for rule in egress for peer in rule.get("to", [])]
        reached = {
            peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
            for peer in peers
            if "podSelector" in peer
        }
        reached.discard(None)
        expected = set(cli.SERVICE_NAMES) - {"gateway"} if service == "gateway" else set()
        assert reached == expected, f"{name} reaches {sorted(reached)}"
        ingress = _allowed_peers(policies, labels, "ingress")
        sources = [peer for rule in ingress for peer in rule.get("from", [])]
        assert sources and all("namespaceSelector" in p or "podSelector" in p for p in sources), name
        callers = [p["podSelector"]["matchLabels"] for p in sources if "podSelector" in p]
        if service != "gateway":
            assert callers == [gateway_api], f"{name} accepts {callers}"
        else:
            namespaces = {
                p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in sources
            }
            assert "ingress-nginx" in namespaces and not callers
