"""Settings: one object per service, read from the environment.

Every service subclasses `ServiceSettings`; shared infrastructure settings use the
`MARKET_` prefix, a service's own settings its own prefix (see each service's
`app.py`). Defaults work on a developer machine with local PostgreSQL and RabbitMQ.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.money import CurrencyCode

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MARKET_", extra="ignore")

    # The service this object configures and the schema it owns; subclasses pin
    # them, and declare `port` read from `<SERVICE>_PORT`.
    service: ClassVar[str] = ""
    schema_name: ClassVar[str] = ""

    namespace: str = Field(
        "market",
        description="Prefix of database roles, the exchange and queues: lets several "
        "deployments (or test runs) share one PostgreSQL and RabbitMQ.",
    )
    pg_host: str = Field("127.0.0.1", description="PostgreSQL host")
    pg_port: int = Field(5432, description="PostgreSQL port")
    pg_database: str = Field("marketplace", description="PostgreSQL database name")
    pg_admin_dsn: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        description="Superuser DSN used only by `marketplace migrate` to create the "
        "database, schemas and roles",
    )
    pg_password: str = Field(
        "",
        description="Password of the service login roles (empty: none, for trust auth)",
    )
    pg_passwords: dict[str, str] = Field(
        {},
        description="Used only by migrate: a login password per service (JSON, by service name), "
        "so each service's role gets its own; a service missing from it gets MARKET_PG_PASSWORD",
    )
    pg_pool_min: int = Field(2, description="Minimum connections per pool")
    pg_pool_max: int = Field(10, description="Maximum connections per pool; bounds prefetch")
    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", description="RabbitMQ URL")
    amqp_nodes: list[str] = Field(
        [],
        description="The other nodes of the RabbitMQ cluster MARKET_AMQP_URL's node belongs to, as "
        'host:port (JSON list, e.g. ["rabbit-2:5672"]): when the connection is lost, or an attempt '
        "to reconnect fails, the service tries the next node in turn, with MARKET_AMQP_URL's "
        "credentials and vhost. Empty: MARKET_AMQP_URL's node alone",
    )
    amqp_password: str = Field(
        "",
        description="Password of the service's own RabbitMQ user `<namespace>_<service>`, made by "
        "`marketplace broker-setup` (run by migrate when set): a service given it connects as that "
        "user, MARKET_AMQP_URL giving only host, port and vhost. Empty: MARKET_AMQP_URL's "
        "credentials (development's guest)",
    )
    amqp_passwords: dict[str, str] = Field(
        {},
        description="Used only by migrate and broker-setup: each service's broker password (JSON, "
        "by service name); a service missing from it gets MARKET_AMQP_PASSWORD",
    )
    amqp_admin_url: str = Field(
        "http://guest:guest@127.0.0.1:15672/",
        description="RabbitMQ management API with an administrator's credentials, used only by "
        "`marketplace broker-setup` to create the services' users and their permissions",
    )
    retry_delays_ms: list[int] = Field(
        [1000, 10000, 60000],
        description="Delays of the retry queues a failing message passes through before parking",
    )
    delivery_limit: int = Field(
        20, description="Redeliveries of one message (crash loops) before RabbitMQ parks it"
    )
    publish_timeout_s: float = Field(10.0, description="Timeout of one confirmed publish")
    outbox_poll_s: float = Field(1.0, description="Relay polling fallback when no NOTIFY arrives")
    outbox_batch: int = Field(500, description="Outbox rows the relay claims at once")
    outbox_retention_s: int = Field(86400, description="How long sent outbox rows are kept")
    archive_max_events: int = Field(
        100_000, description="Events kept in the archive queue that makes every contract routable"
    )
    jwt_public_key_file: Path | None = Field(
        None, description="PEM Ed25519 public key that verifies access tokens"
    )
    jwt_public_key: str = Field("", description="The same key inline (PEM), if no file is given")
    jwt_issuer: str = Field("marketplace", description="Expected `iss` of access tokens")
    jwt_audience: str = Field("marketplace", description="Expected `aud` of access tokens")
    host: str = Field("127.0.0.1", description="HTTP bind address")
    port: int = Field(0, description="HTTP port")
    max_body_bytes: int = Field(256 * 1024, description="Largest accepted request body")
    log_level: str = Field("info", description="debug, info, warning or error")
    otlp_endpoint: str = Field(
        "",
        description="OTLP/HTTP collector base URL (http://collector:4318) traces are exported to; "
        "empty: no traces",
    )
    currencies: list[CurrencyCode] = Field(
        ["GBP"],
        min_length=1,
        description="The currencies the marketplace takes (MARKET_CURRENCIES, a JSON list of ISO "
        "4217 codes): listing prices, commission budgets and quotes in any other are refused "
        "(`currency_not_accepted`)",
    )
    fault_point: str = Field(
        "",
        description="Testing only: a named point at which the process kills itself "
        "(after_commit_before_ack, after_publish_before_mark, mid_saga)",
    )

    @field_validator("namespace")
    @classmethod
    def _sane_namespace(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("namespace must be lowercase letters, digits and _ (max 31)")
        return value

    @property
    def db_schema(self) -> str:
        """The PostgreSQL schema the service owns. (Not `schema`: that would shadow pydantic's
        `BaseModel.schema()`.)"""
        return self.schema_name or self.service

    @property
    def app_role(self) -> str:
        """The least-privilege login role the service runs as."""
        return f"{self.namespace}_{self.service}_app"

    @property
    def owner_role(self) -> str:
        """The role that owns the schema; migrations run as it."""
        return f"{self.namespace}_{self.service}_owner"

    @property
    def amqp_user(self) -> str:
        """The service's own RabbitMQ user (when MARKET_AMQP_PASSWORD is set)."""
        return f"{self.namespace}_{self.service}"

    @property
    def role_password(self) -> str:
        """The password of the service's login role: its own, else the shared one."""
        return self.pg_passwords.get(self.service, self.pg_password)

    @property
    def broker_password(self) -> str:
        """The password of the service's own broker user: its own, else the shared one."""
        return self.amqp_passwords.get(self.service, self.amqp_password)

    @property
    def own_broker_user(self) -> bool:
        """Whether the service connects as its own user, which may not declare the exchange or
        the archive (`marketplace broker-setup` and migrate declare them as an administrator)."""
        return bool(self.broker_password)

    @property
    def broker_url(self) -> str:
        """The AMQP URL the service connects with: its own user's, when it has one."""
        if not self.own_broker_user:
            return self.amqp_url
        url = urlsplit(self.amqp_url)
        netloc = f"{quote(self.amqp_user, safe='')}:{quote(self.broker_password, safe='')}@{url.hostname}"
        return urlunsplit(url._replace(netloc=netloc + (f":{url.port}" if url.port else "")))

    @property
    def broker_urls(self) -> list[str]:
        """`broker_url`, then the same URL on each other node of the cluster (MARKET_AMQP_NODES)."""
        first = urlsplit(self.broker_url)
        credentials = first.netloc.rpartition("@")[0]
        return [self.broker_url] + [
            urlunsplit(first._replace(netloc=f"{credentials}@{node}" if credentials else node))
            for node in self.amqp_nodes
        ]

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def queue(self) -> str:
        return f"{self.namespace}.{self.service}"

    @property
    def archive_queue(self) -> str:
        return f"{self.namespace}.archive"

    @property
    def parking_queue(self) -> str:
        return f"{self.queue}.parking"

    def retry_queue(self, attempt: int) -> str:
        return f"{self.queue}.retry.{attempt}"

    def dsn(self, user: str | None = None) -> str:
        user = user or self.app_role
        auth = f"{user}:{self.role_password}" if self.role_password else user
        return f"postgresql://{auth}@{self.pg_host}:{self.pg_port}/{self.pg_database}"

    def public_key_pem(self) -> str:
        if self.jwt_public_key_file:
            return self.jwt_public_key_file.read_text()
        return self.jwt_public_key
