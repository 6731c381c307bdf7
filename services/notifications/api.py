"""The notifications HTTP API: thin handlers.

Who may do what:
    any signed-in user   their own in-app notifications (list, unread count with a long poll,
                         mark read), their email preferences
    anyone with a link   one-click unsubscribe (RFC 8058): the token in the email's link names
                         the person and the category, signed with MARKET_NOTIFICATIONS_SECRET

Another person's notification is answered as missing (404).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from services.notifications import store, usecases
from services.notifications.domain import CATEGORY_NAMES, Unsubscribe, read_unsubscribe_token
from services.notifications.render import PAGES
from services.notifications.schemas import (
    NotificationsQuery,
    NotificationView,
    Preferences,
    ReadAll,
    UnreadCount,
    UnreadQuery,
    Unsubscribed,
    UnsubscribeQuery,
    notification_view,
)
from services.notifications.settings import NOTIFICATIONS_SETTINGS
from shared.errors import ProblemError, Violation, not_found
from shared.http import POOL, SETTINGS, Call, Routes
from shared.paging import Page, decode_time_id, encode_time_id
from shared.watch import ChangeFeed

routes = Routes("notifications")

ANYONE_SIGNED_IN = ("customer", "maker", "operator")
UNSUBSCRIBE_PATH = "/api/v1/notifications/unsubscribe"

# Changes of people's in-app notifications as they commit, for the unread-count long poll.
NOTIFICATION_CHANGES = web.AppKey("notification_changes", ChangeFeed)


async def notification_changes(app: web.Application) -> AsyncIterator[None]:
    """The feed long polls wait on; it connects at the first wait."""
    app[NOTIFICATION_CHANGES] = feed = ChangeFeed(app[SETTINGS], store.NOTIFICATIONS_CHANGED)
    yield
    await feed.close()


@routes.get(
    "/api/v1/notifications",
    query=NotificationsQuery,
    response=Page[NotificationView],
    roles=ANYONE_SIGNED_IN,
)
async def list_notifications(call: Call) -> Page[NotificationView]:
    """The caller's in-app notifications, newest first."""
    query: NotificationsQuery = call.query
    rows, position = await store.notifications_page(
        call.app[POOL], call.user.user_id, decode_time_id(query.cursor), query.limit
    )
    return Page(items=[notification_view(row) for row in rows], next_cursor=encode_time_id(position))


@routes.get(
    "/api/v1/notifications/unread-count",
    query=UnreadQuery,
    response=UnreadCount,
    roles=ANYONE_SIGNED_IN,
)
async def unread_count(call: Call) -> UnreadCount:
    """How many of the caller's notifications are unread. With `?wait=N&after=C`, the answer is
    held while the count is still C, and given as soon as it changes (or after N seconds, at
    most 25: under the gateway's upstream timeout, so a waiting bell never sees a 503)."""
    query: UnreadQuery = call.query
    pool, user_id = call.app[POOL], call.user.user_id
    if not query.wait or query.after is None:
        return UnreadCount(count=await store.unread_count(pool, user_id))
    wait = min(query.wait, call.app[NOTIFICATIONS_SETTINGS].long_poll_max_s)
    # Watching before the first read: a change committed after it wakes the wait.
    async with call.app[NOTIFICATION_CHANGES].watching(user_id, for_s=wait) as changed:
        count = await store.unread_count(pool, user_id)
        while count == query.after and await changed.wait():
            count = await store.unread_count(pool, user_id)
    return UnreadCount(count=count)


@routes.post(
    "/api/v1/notifications/read-all",
    response=ReadAll,
    roles=ANYONE_SIGNED_IN,
)
async def read_all(call: Call) -> ReadAll:
    """Mark every notification of the caller read."""
    return ReadAll(marked=await usecases.read_all(call.app[POOL], call.user.user_id))


@routes.post(
    "/api/v1/notifications/{id}/read",
    response=NotificationView,
    roles=ANYONE_SIGNED_IN,
)
async def read_one(call: Call) -> NotificationView:
    """Mark one of the caller's notifications read (again is harmless)."""
    row = await usecases.read(call.app[POOL], call.user.user_id, call.path_id())
    if row is None:
        raise not_found("Notification")
    return notification_view(row)


@routes.get("/api/v1/notifications/preferences", response=Preferences, roles=ANYONE_SIGNED_IN)
async def get_preferences(call: Call) -> Preferences:
    """Which optional emails the caller gets."""
    return Preferences(email=await store.preferences(call.app[POOL], call.user.user_id))


@routes.add(
    "PUT",
    "/api/v1/notifications/preferences",
    body=Preferences,
    response=Preferences,
    roles=ANYONE_SIGNED_IN,
)
async def put_preferences(call: Call) -> Preferences:
    """Choose which optional emails to get; account and transactional emails are always sent."""
    body: Preferences = call.body
    return Preferences(email=await usecases.choose_preferences(call.app[POOL], call.user.user_id, body.email))


def _unsubscribe_of(call: Call) -> Unsubscribe:
    secret = call.app[NOTIFICATIONS_SETTINGS].secret.get_secret_value()
    who = read_unsubscribe_token(secret, call.query.token)
    if who is None:
        raise ProblemError(
            422,
            "Validation failed",
            "This unsubscribe link is not valid",
            code="token_invalid",
            errors=[Violation(("query", "token"), "Not a valid unsubscribe token", "token_invalid")],
        )
    return who


@routes.post(
    UNSUBSCRIBE_PATH,
    query=UnsubscribeQuery,
    response=Unsubscribed,
    auth="none",
    extra_responses={422: "token_invalid: the token was not made by this marketplace"},
)
async def unsubscribe(call: Call) -> Unsubscribed | web.Response:
    """One-click unsubscribe (RFC 8058): a mail client POSTs `List-Unsubscribe=One-Click` to the
    link of the email's List-Unsubscribe header; the category the token names is turned off for
    its person. Saying it again changes nothing more."""
    who = _unsubscribe_of(call)
    await usecases.unsubscribe(call.app[POOL], who)
    if "text/html" in (call.header("Accept") or ""):
        # The page's own button (a person, in a browser) is answered with a page.
        return _page(done=True, what=CATEGORY_NAMES[who.category])
    return Unsubscribed(category=who.category.value)


@routes.get(
    UNSUBSCRIBE_PATH,
    query=UnsubscribeQuery,
    auth="none",
    produces="text/html",
    extra_responses={422: "token_invalid: the token was not made by this marketplace"},
)
async def unsubscribe_page(call: Call) -> web.Response:
    """The page a person sees when they follow the link themselves: one button that unsubscribes.
    Opening it changes nothing, so a link scanner fetching it unsubscribes nobody."""
    who = _unsubscribe_of(call)
    return _page(
        done=False, what=CATEGORY_NAMES[who.category], action=f"{UNSUBSCRIBE_PATH}?token={call.query.token}"
    )


def _page(**values: object) -> web.Response:
    page = PAGES.get_template("unsubscribe_page.html").render(**values)
    return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})
