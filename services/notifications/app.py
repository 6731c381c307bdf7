"""Wiring of the notifications service: settings, routes, event handlers, the sender."""

from __future__ import annotations

from pathlib import Path

from services.notifications.api import notification_changes, routes
from services.notifications.handlers import handlers
from services.notifications.sender import send_step, sender_context
from services.notifications.settings import NOTIFICATIONS_SETTINGS, NotificationsSettings
from shared.service import PeriodicJob, ServiceDefinition

SERVICE = ServiceDefinition(
    name="notifications",
    title="Notifications service",
    settings_cls=NotificationsSettings,
    settings_key=NOTIFICATIONS_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes],
    handlers=handlers,
    # The sender's step waits for due emails itself (NOTIFY, or NOTIFICATIONS_SEND_POLL_S), so
    # the job runs again at once.
    jobs=[PeriodicJob("notifications-sender", every_s=0.0, run=send_step)],
    contexts=[sender_context, notification_changes],
)
