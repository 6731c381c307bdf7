"""The notifications service's settings, read by its code as `app[NOTIFICATIONS_SETTINGS]`."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field, SecretStr

from services.notifications.domain import Backoff
from shared.config import ServiceSettings

# Good for a developer's machine only: a deployment sets MARKET_NOTIFICATIONS_SECRET (a secret
# mounted from the environment), or anyone reading this could forge unsubscribe links.
DEVELOPMENT_SECRET = "development-only-unsubscribe-secret"


class NotificationsSettings(ServiceSettings):
    service = "notifications"

    port: int = Field(
        8085, validation_alias="NOTIFICATIONS_PORT", description="HTTP port of the notifications service"
    )
    smtp_host: str = Field(
        "127.0.0.1", validation_alias="MARKET_SMTP_HOST", description="SMTP server emails are sent to"
    )
    smtp_port: int = Field(1025, validation_alias="MARKET_SMTP_PORT", description="Port of the SMTP server")
    smtp_username: str = Field(
        "", validation_alias="MARKET_SMTP_USERNAME", description="SMTP user (empty: no authentication)"
    )
    smtp_password: SecretStr = Field(
        SecretStr(""), validation_alias="MARKET_SMTP_PASSWORD", description="SMTP password"
    )
    smtp_starttls: bool = Field(
        False,
        validation_alias="MARKET_SMTP_STARTTLS",
        description="Upgrade the SMTP connection with STARTTLS (the development server has none)",
    )
    smtp_connections: int = Field(
        4,
        ge=1,
        le=32,
        validation_alias="NOTIFICATIONS_SMTP_CONNECTIONS",
        description="SMTP connections one worker sends over at once (each kept open between messages)",
    )
    smtp_timeout_s: float = Field(
        10.0, gt=0, validation_alias="MARKET_SMTP_TIMEOUT_S", description="Timeout of one SMTP exchange"
    )
    mail_from: str = Field(
        "Forge & Facet <hello@forge-and-facet.example>",
        validation_alias="NOTIFICATIONS_MAIL_FROM",
        description="The From of every email",
    )
    public_url: str = Field(
        "http://127.0.0.1:8080",
        validation_alias="MARKET_PUBLIC_URL",
        description="Where people reach the storefront: the start of every link in an email",
    )
    secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET),
        validation_alias="MARKET_NOTIFICATIONS_SECRET",
        description="Signs one-click unsubscribe links (HMAC-SHA256); set it in every deployment",
    )
    send_batch: int = Field(
        50,
        ge=1,
        le=1000,
        validation_alias="NOTIFICATIONS_SEND_BATCH",
        description="Emails a sender claims at once",
    )
    send_poll_s: float = Field(
        0.5,
        gt=0,
        validation_alias="NOTIFICATIONS_SEND_POLL_S",
        description="How often an idle sender looks for due emails, when no new one wakes it",
    )
    claim_lease_s: float = Field(
        120.0,
        gt=0,
        validation_alias="NOTIFICATIONS_CLAIM_LEASE_S",
        description="How long a claimed email is left to its sender before another may take it "
        "(a sender that died mid-batch); a sender gives back what it has not tried of its batch "
        "after half of it",
    )
    retry_base_s: float = Field(
        2.0,
        gt=0,
        validation_alias="NOTIFICATIONS_RETRY_BASE_S",
        description="Wait after an email's first failed attempt; doubled after each further one",
    )
    retry_cap_s: float = Field(
        300.0, gt=0, validation_alias="NOTIFICATIONS_RETRY_CAP_S", description="Longest wait between attempts"
    )
    max_attempts: int = Field(
        15,
        ge=1,
        validation_alias="NOTIFICATIONS_MAX_ATTEMPTS",
        description="Failed attempts after which an email is parked (`marketplace notifications replay`)",
    )
    long_poll_max_s: int = Field(
        25,
        ge=1,
        le=28,
        validation_alias="NOTIFICATIONS_LONG_POLL_MAX_S",
        description="Longest an unread-count long poll waits: under the gateway's upstream timeout",
    )

    @property
    def backoff(self) -> Backoff:
        return Backoff(self.retry_base_s, self.retry_cap_s, self.max_attempts)


NOTIFICATIONS_SETTINGS = web.AppKey("notifications_settings", NotificationsSettings)
