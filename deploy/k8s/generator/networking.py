"""The front door and who may talk to whom, for generate.py: the Ingress in front of the gateway
and the NetworkPolicies (deny everything, then allow DNS, each service's PostgreSQL and
RabbitMQ, the gateway to the service APIs, the ingress controller to the gateway, the
monitoring namespace to every /metrics).

PostgreSQL and RabbitMQ are managed services or operators whose addresses differ per cluster,
so their rules open the port (5432, 5672, 15672) to any destination; narrow them with a `to:`
(an ipBlock, or the namespace they run in) where the cluster is known."""

from __future__ import annotations

from typing import Any

HOST = "marketplace.example.com"
INGRESS_NAMESPACE = "ingress-nginx"  # where the ingress controller runs
MONITORING_NAMESPACE = "monitoring"  # where Prometheus runs
POSTGRES, AMQP, AMQP_MANAGEMENT, DNS = 5432, 5672, 15672, 53


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _ports(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def _selector(**labels: str) -> dict[str, Any]:
    return {"matchLabels": {f"app.kubernetes.io/{k}": v for k, v in labels.items()}}


def _pods(**labels: str) -> dict[str, Any]:
    return {"podSelector": _selector(**labels)}


def ingress(meta: Any, port: int) -> dict[str, Any]:
    """The front door: TLS for HOST, everything to the gateway (which serves the storefront and
    the API); uploads up to 20 MB and the unread-count long poll pass through."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            **meta("marketplace", {"app.kubernetes.io/component": "ingress"}),
            "annotations": {
                "nginx.ingress.kubernetes.io/proxy-body-size": "21m",
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "75",
                "cert-manager.io/cluster-issuer": "letsencrypt",
            },
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [HOST], "secretName": "marketplace-tls"}],
            "rules": [
                {
                    "host": HOST,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "gateway", "port": {"number": port}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def _policy(meta: Any, name: str, selector: dict[str, Any], **rules: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector, "policyTypes": []}
    for direction in ("ingress", "egress"):
        if direction in rules:
            spec["policyTypes"].append(direction.capitalize())
            spec[direction] = rules[direction]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name),
        "spec": spec,
    }


def network_policies(meta: Any, ports: dict[str, int]) -> list[dict[str, Any]]:
    """Deny by default; then what each workload needs, and nothing more."""
    scrape = {"from": [_namespace(MONITORING_NAMESPACE)]}
    policies = [
        _policy(meta, "default-deny", {}, ingress=[], egress=[]),
        _policy(
            meta,
            "dns",
            {},
            egress=[
                {
                    "to": [
                        {**_namespace("kube-system"), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
                    ],
                    "ports": [{"protocol": "UDP", "port": DNS}, {"protocol": "TCP", "port": DNS}],
                }
            ],
        ),
    ]
    for service, port in ports.items():
        egress = [{"ports": _ports(POSTGRES, AMQP)}]
        ingress_rules = [{**scrape, "ports": _ports(port)}]
        if service == "gateway":
            # The gateway calls every service's API; the ingress controller calls the gateway.
            egress += [
                {"to": [_pods(name=other, component="api")], "ports": _ports(other_port)}
                for other, other_port in ports.items()
                if other != "gateway"
            ]
            ingress_rules.append({"from": [_namespace(INGRESS_NAMESPACE)], "ports": _ports(port)})
        else:
            ingress_rules.append({"from": [_pods(name="gateway", component="api")], "ports": _ports(port)})
        if service == "media":
            egress.append({"ports": _ports(443)})  # an S3 bucket, when MEDIA_STORAGE is s3
        if service == "notifications":
            egress.append({"ports": _ports(25, 465, 587, 1025)})  # the SMTP relay (1025: Mailpit)
        policies.append(_policy(meta, service, _selector(name=service), ingress=ingress_rules, egress=egress))
    # The Jobs: migrate (PostgreSQL, RabbitMQ and its management API) and the policies Job.
    for component in ("migrate", "rabbitmq"):
        policies.append(
            _policy(
                meta,
                f"{component}-job",
                _selector(component=component),
                egress=[{"ports": _ports(POSTGRES, AMQP, AMQP_MANAGEMENT)}],
            )
        )
    return policies
