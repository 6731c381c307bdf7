"""`marketplace broker-setup`: each service its own RabbitMQ user, allowed only what it does.

Through the management HTTP API (MARKET_AMQP_ADMIN_URL, an administrator's credentials) it
creates or updates the user `<namespace>_<service>` with its password (MARKET_AMQP_PASSWORDS by
service name, else MARKET_AMQP_PASSWORD) and
sets its permissions on the vhost of MARKET_AMQP_URL (regexes over queue and exchange names):

  configure  its own queues: `<ns>.<service>`, `.retry.<n>`, `.parking` (declare, delete)
  write      its own queues (binding them), the events exchange and the default exchange
             (retries and parking go straight to a queue)
  read       its own queues (consume) and the events exchange (bind to it)

and a topic permission on the events exchange: it publishes only routing keys that begin with
its own name (`orders.` for orders). Nothing else: it cannot declare or delete an exchange,
read or purge another service's queue, nor publish another service's events. The exchange and
the archive queue are declared by migrate as the administrator (shared/service.py).

What RabbitMQ cannot narrow: writing to the default exchange reaches any queue by name, so a
service could put a message into another's queue (never read one). docs/operations.md says so.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import aiohttp

from shared.config import ServiceSettings


class BrokerSetupError(RuntimeError):
    pass


def vhost(settings: ServiceSettings) -> str:
    """The vhost of MARKET_AMQP_URL (`/` when the URL names none)."""
    path = urlsplit(settings.amqp_url).path
    return path[1:] if len(path) > 1 else "/"


def permissions(settings: ServiceSettings) -> dict[str, str]:
    """The service user's configure, write and read regexes."""
    own = re.escape(settings.queue) + r"(\.retry\.[0-9]+|\.parking)?"
    exchange = re.escape(settings.exchange)
    return {
        "configure": f"^{own}$",
        "write": f"^({own}|{exchange}|amq\\.default)$",
        "read": f"^({own}|{exchange})$",
    }


def topic_permissions(settings: ServiceSettings) -> dict[str, str]:
    """On the events exchange: publish only its own routing keys; bind to any."""
    return {"exchange": settings.exchange, "write": f"^{re.escape(settings.service)}\\.", "read": ".*"}


def _management(settings: ServiceSettings) -> tuple[str, aiohttp.ClientSession]:
    """The management API's base URL, and a session with the administrator's credentials."""
    admin = urlsplit(settings.amqp_admin_url)
    base = f"{admin.scheme}://{admin.hostname}" + (f":{admin.port}" if admin.port else "")
    auth = aiohttp.encode_basic_auth(unquote(admin.username or ""), unquote(admin.password or ""))
    return base, aiohttp.ClientSession(
        headers={"Authorization": auth}, timeout=aiohttp.ClientTimeout(total=10)
    )


async def broker_setup(settings: ServiceSettings) -> str:
    """Create or update the service's broker user and its permissions; returns the user name."""
    if not settings.own_broker_user:
        raise BrokerSetupError(
            f"no broker password for {settings.service} (MARKET_AMQP_PASSWORDS or MARKET_AMQP_PASSWORD)"
        )
    base, session = _management(settings)
    user, host = settings.amqp_user, quote(vhost(settings), safe="")
    calls = [
        (f"/api/users/{user}", {"password": settings.broker_password, "tags": ""}),
        (f"/api/permissions/{host}/{user}", permissions(settings)),
        (f"/api/topic-permissions/{host}/{user}", topic_permissions(settings)),
    ]
    async with session:
        for path, body in calls:
            async with session.put(base + path, json=body) as response:
                if response.status not in (201, 204):
                    text = (await response.text())[:300]
                    raise BrokerSetupError(f"{path}: {response.status} {text}")
    return user


async def remove_user(settings: ServiceSettings) -> None:
    """Delete the service's broker user (tests clean up with it)."""
    base, session = _management(settings)
    async with (
        session,
        session.delete(f"{base}/api/users/{settings.amqp_user}") as response,
    ):
        if response.status not in (204, 404):
            raise BrokerSetupError(f"delete {settings.amqp_user}: {response.status}")
