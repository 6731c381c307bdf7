"""The table the manifests are generated from: each service's port and the roles it runs
(api, worker, relay) with their replicas, autoscaling bounds and resources."""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "marketplace"
IMAGE = "marketplace:dev"  # kustomization.yaml's `images:` points this at a registry
APP = "marketplace"

# Connection budget: every replica opens at most MARKET_PG_POOL_MAX connections (plus one for the
# relay's advisory lock). With the HPA maxima below: (api 6+6+6+4+4 + worker 4+4+2+4+3 + relay
# 2+2+2+2+2+2 + gateway api 6 + worker 1) = 62 processes x (8+1) = 558 connections at full
# scale-out: the PostgreSQL behind them needs max_connections of 600 or a pooler (PgBouncer,
# transaction mode).
POOL_MAX = 8


@dataclass(frozen=True)
class Role:
    service: str
    role: str  # api | worker | relay
    port: int
    replicas: int
    min_replicas: int | None = None  # with max: an HPA
    max_replicas: int | None = None
    cpu_request: str = "250m"
    cpu_limit: str = "1"
    memory_request: str = "160Mi"
    memory_limit: str = "384Mi"
    public: bool = False  # gets a Service
    disk_tmp: str | None = None  # /tmp on the node's disk, of this size (None: 16Mi in memory)
    search_index: str | None = None  # a directory on the node's disk for the search index, of this size

    @property
    def name(self) -> str:
        return f"{self.service}-{self.role}"


PORTS = {
    "gateway": 8080,
    "catalogue": 8081,
    "makers": 8082,
    "orders": 8083,
    "media": 8084,
    "notifications": 8085,
    "reviews": 8086,
}
SERVICES = tuple(PORTS)

ROLES = [
    # The HTTP APIs: stateless, behind a Service, scaled on CPU.
    Role("makers", "api", PORTS["makers"], 2, 2, 6, public=True),
    # Each catalogue API pod keeps its own search index, rebuilt from PostgreSQL when it starts
    # on an empty directory. A rebuild writes the new index beside the one it replaces (~145 MB
    # each at a million synthetic listings; real text a few times that) with a 192 MB writer.
    Role(
        "catalogue",
        "api",
        PORTS["catalogue"],
        2,
        2,
        6,
        public=True,
        memory_request="256Mi",
        memory_limit="640Mi",
        search_index="2Gi",
    ),
    Role("orders", "api", PORTS["orders"], 2, 2, 6, public=True),
    Role("gateway", "api", PORTS["gateway"], 2, 2, 6, public=True),
    Role("notifications", "api", PORTS["notifications"], 2, 2, 4, public=True),
    Role("reviews", "api", PORTS["reviews"], 2, 2, 4, public=True),
    # Uploads are streamed to disk, never held whole; /tmp has room for a few at once.
    Role(
        "media",
        "api",
        PORTS["media"],
        2,
        2,
        4,
        public=True,
        memory_request="256Mi",
        memory_limit="512Mi",
        disk_tmp="1Gi",
    ),
    # Event consumers and periodic jobs (sweepers): competing consumers on one quorum queue.
    Role("makers", "worker", PORTS["makers"], 1, 1, 2),
    Role("catalogue", "worker", PORTS["catalogue"], 2, 2, 4),
    Role("orders", "worker", PORTS["orders"], 2, 2, 4),
    # Decoding a photo of up to 50 megapixels takes a few hundred MB (MEDIA_PROCESSING_SLOTS at once).
    Role(
        "media",
        "worker",
        PORTS["media"],
        2,
        2,
        4,
        cpu_request="500m",
        memory_request="768Mi",
        memory_limit="2Gi",
    ),
    # Consumes the events that become emails and notifications, and sends the emails.
    Role("notifications", "worker", PORTS["notifications"], 1, 1, 3),
    # Learns delivered maker orders, makers and photos; publishes nothing from its consumer.
    Role("reviews", "worker", PORTS["reviews"], 1, 1, 2),
    # The gateway has no consumer; its worker runs the login-throttle sweeper.
    Role("gateway", "worker", PORTS["gateway"], 1),
    # Outbox relays: one active per service (advisory lock), the second a hot standby that takes
    # over within seconds when the active one's database session ends. Never autoscaled.
    Role("makers", "relay", PORTS["makers"], 2, cpu_request="100m"),
    Role("catalogue", "relay", PORTS["catalogue"], 2, cpu_request="100m"),
    Role("orders", "relay", PORTS["orders"], 2, cpu_request="100m"),
    Role("media", "relay", PORTS["media"], 2, cpu_request="100m"),
    Role("gateway", "relay", PORTS["gateway"], 2, cpu_request="100m"),
    Role("notifications", "relay", PORTS["notifications"], 2, cpu_request="100m"),
    Role("reviews", "relay", PORTS["reviews"], 2, cpu_request="100m"),
]
