"""The notifications service's rules: kinds of message and their categories, what each event
owes whom, preferences, retry timing and unsubscribe tokens. No I/O."""

from services.notifications.domain.delivery import (
    Backoff,
    Unsubscribe,
    read_unsubscribe_token,
    unsubscribe_token,
)
from services.notifications.domain.kinds import CATEGORY_NAMES, Category, EmailPreferences, Kind
from services.notifications.domain.notices import InApp, Notice, format_money

__all__ = [
    "CATEGORY_NAMES",
    "Backoff",
    "Category",
    "EmailPreferences",
    "InApp",
    "Kind",
    "Notice",
    "Unsubscribe",
    "format_money",
    "read_unsubscribe_token",
    "unsubscribe_token",
]
