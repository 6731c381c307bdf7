"""The settings every process reads from ConfigMaps, and the Secrets (names and keys) the
workloads read, which a real cluster's secret store provides."""

from __future__ import annotations

from typing import Any

from .objects import meta
from .table import POOL_MAX, PORTS, SERVICES

SHARED_CONFIG = {
    "MARKET_NAMESPACE": "market",
    "MARKET_PG_HOST": "postgres",
    "MARKET_PG_PORT": "5432",
    "MARKET_PG_DATABASE": "marketplace",
    "MARKET_PG_POOL_MAX": str(POOL_MAX),
    "MARKET_HOST": "0.0.0.0",
    "MARKET_LOG_LEVEL": "info",
    "MARKET_JWT_PUBLIC_KEY_FILE": "/run/secrets/jwt/jwt_public.pem",
    # No credentials: each service logs in as its own user with MARKET_AMQP_PASSWORD (its Secret).
    "MARKET_AMQP_URL": "amqp://rabbitmq:5672/",
    "MARKET_OTLP_ENDPOINT": "http://otel-collector:4318",
}
GATEWAY_CONFIG = {
    "GATEWAY_MAKERS_URL": f"http://makers-api:{PORTS['makers']}",
    "GATEWAY_CATALOGUE_URL": f"http://catalogue-api:{PORTS['catalogue']}",
    "GATEWAY_ORDERS_URL": f"http://orders-api:{PORTS['orders']}",
    "GATEWAY_MEDIA_URL": f"http://media-api:{PORTS['media']}",
    "GATEWAY_NOTIFICATIONS_URL": f"http://notifications-api:{PORTS['notifications']}",
    "GATEWAY_REVIEWS_URL": f"http://reviews-api:{PORTS['reviews']}",
    "GATEWAY_JWT_PRIVATE_KEY_FILE": "/run/secrets/jwt-private/jwt_private.pem",
    # Behind the cluster's ingress (one proxy hop): its X-Forwarded-For names the client.
    "GATEWAY_TRUSTED_PROXY_HOPS": "1",
}
# Photos: originals and renditions in a directory on the `media-storage` volume, which the media
# API and every media worker mount at once: a ReadWriteMany claim (NFS, CephFS, EFS, Azure Files,
# Filestore...). Without such storage, use a bucket: MEDIA_STORAGE "s3" here, the bucket's
# endpoint, name and region here and its keys in the `media-s3` Secret.
MEDIA_STORAGE_DIR = "/var/lib/marketplace/media"
MEDIA_CONFIG = {
    "MEDIA_STORAGE": "directory",
    "MEDIA_STORAGE_DIR": MEDIA_STORAGE_DIR,
}
MEDIA_STORAGE_SIZE = "100Gi"
# The catalogue API's search index (MARKET_SEARCH_INDEX_DIR): an emptyDir per pod, since the
# index is rebuilt from PostgreSQL when missing and the root filesystem is read-only.
SEARCH_INDEX_DIR = "/var/lib/marketplace/search"
NOTIFICATIONS_CONFIG = {
    "MARKET_SMTP_HOST": "smtp",  # the development overlay's Mailpit; a relay host in production
    "MARKET_SMTP_PORT": "1025",
    "MARKET_PUBLIC_URL": "https://marketplace.example.com",
}
# The Secrets every workload reads, by name and key. None is in the base: the development overlay
# (overlays/development/) has placeholders for a throwaway cluster; a real one gets them from its
# secret store (External Secrets, Sealed Secrets, ...) under these names and keys.
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    **{f"{name}-credentials": ("MARKET_PG_PASSWORD", "MARKET_AMQP_PASSWORD") for name in SERVICES},
    # The migrate Job's only: the superuser, the broker's administrator, every service's passwords.
    "marketplace-migrate": (
        "MARKET_PG_ADMIN_DSN",
        "MARKET_AMQP_URL",
        "MARKET_AMQP_ADMIN_URL",
        "MARKET_PG_PASSWORDS",
        "MARKET_AMQP_PASSWORDS",
    ),
    "media-s3": ("MEDIA_S3_ACCESS_KEY_ID", "MEDIA_S3_SECRET_ACCESS_KEY"),
    "notifications-secrets": ("MARKET_NOTIFICATIONS_SECRET", "MARKET_SMTP_PASSWORD"),
    "marketplace-jwt-public": ("jwt_public.pem",),
    "marketplace-jwt-private": ("jwt_private.pem",),
    "rabbitmq-admin": ("RABBITMQ_USER", "RABBITMQ_PASSWORD"),
}


def config_documents() -> list[dict[str, Any]]:
    maps = {
        "marketplace-config": SHARED_CONFIG,
        "gateway-config": GATEWAY_CONFIG,
        "media-config": MEDIA_CONFIG,
        "notifications-config": NOTIFICATIONS_CONFIG,
    }
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name), "data": data}
        for name, data in maps.items()
    ]
