"""API shortcuts for the browser journeys: the state a journey starts from (an approved maker,
a published listing, a placed order) is made through the public API, so each browser test
drives only the part of the story it is about."""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
from PIL import Image

from tests.support.accounts import emailed_token
from tests.support.harness import eventually
from tests.support.photos import photos_of, ready_photo

PASSWORD = "correct horse battery staple"
# Services learn of each other's changes through the broker: usually within a second, but a
# broker that is restarting (another suite's fault injection) delays delivery by its retries.
EVENT_TIMEOUT_S = 60.0


class ApiFailure(AssertionError):
    pass


@dataclass
class Account:
    email: str
    password: str
    role: str
    token: str
    user_id: str
    display_name: str


@dataclass
class Gateway:
    """A thin client of the gateway's public API."""

    url: str
    session: aiohttp.ClientSession

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        expect: int | tuple[int, ...] | None = None,
        params: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method, f"{self.url}/api/v1{path}", json=json, headers=all_headers, params=params
        ) as response:
            body = await response.json(content_type=None) if await response.read() else None
            if expect is not None:
                wanted = (expect,) if isinstance(expect, int) else expect
                if response.status not in wanted:
                    raise ApiFailure(f"{method} {path}: {response.status} {body}")
            return response.status, body

    async def register(self, role: str, name: str | None = None) -> Account:
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        display_name = name or f"{role.title()} {email[:6]}"
        await self.call(
            "POST",
            "/auth/register",
            expect=201,
            json={"email": email, "password": PASSWORD, "display_name": display_name, "role": role},
        )
        return await self.sign_in(email, PASSWORD, role=role, display_name=display_name)

    async def sign_in(self, email: str, password: str, *, role: str = "", display_name: str = "") -> Account:
        _, issued = await self.call(
            "POST", "/auth/token", expect=200, json={"email": email, "password": password}
        )
        _, me = await self.call("GET", "/auth/me", token=issued["access_token"], expect=200)
        return Account(
            email,
            password,
            me["role"],
            issued["access_token"],
            me["user_id"],
            me.get("display_name") or display_name,
        )

    async def verified(self, account: Account) -> Account:
        """The account once its address is verified by following the emailed link, signed in
        again so its token says so."""
        token = await emailed_token(account.user_id)
        await self.call("POST", "/auth/verify-email", expect=200, json={"token": token})
        return await self.sign_in(account.email, account.password, display_name=account.display_name)


def jpeg(width: int = 1200, height: int = 900) -> bytes:
    """A photo of its own each time: a random colour under noise, as a JPEG."""
    colour = tuple(random.randrange(256) for _ in range(3))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    picture = Image.blend(Image.new("RGB", (width, height), colour), noise, 0.3)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


def maker_profile(handle: str, name: str, **overrides: Any) -> dict[str, Any]:
    """A complete application: every blocking checklist item met."""
    return {
        "handle": handle,
        "display_name": name,
        "legal_name": f"{name} Ltd",
        "bio": "Rings and pendants forged by hand in a small Sheffield workshop.",
        "location": {"country": "GB", "region": "South Yorkshire"},
        "techniques": ["lost-wax casting", "stone setting"],
        "portfolio_urls": ["https://example.com/portfolio"],
        "sourcing_claims": [
            {"scheme": "fairmined", "scope": "metal", "certificate_id": "FM-2024-0042"},
            {"scheme": "recycled", "scope": "metal"},
        ],
        "hallmarking": {"sponsor_mark": "FFH", "assay_office": "sheffield"},
        "works_precious_metals": True,
        "natural_diamonds": True,
        "system_of_warranties_attested": True,
        "accepts_commissions": True,
        "terms_accepted": True,
        **overrides,
    }


def ring_listing(title: str, **overrides: Any) -> dict[str, Any]:
    """A made-to-order silver ring with a lab-grown sapphire, sizes, engraving: publishable."""
    return {
        "title": title,
        "description": "A hammered band in recycled sterling silver, set with a laboratory-grown sapphire.",
        "category": "ring",
        "occasions": ["anniversary"],
        "style_tags": ["minimal"],
        "price": {"amount": 14500, "currency": "GBP"},
        "production": {"kind": "made_to_order", "lead_time_days": {"min": 10, "max": 14}},
        "metals": [
            {"metal": "silver", "fineness": 925, "colour": "white", "weight_g": 8.2, "recycled": True}
        ],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "FFH", "assay_office": "sheffield"},
        "stones": [
            {"type": "sapphire", "origin": "lab_grown", "treatments": ["heating"], "carat": 0.5, "count": 1}
        ],
        "sourcing_claims": ["fairmined", "recycled"],
        "options": {
            "ring_size_mm": {"min": 48.75, "max": 62.5},
            "engraving": {"max_chars": 20, "price_delta": {"amount": 1500, "currency": "GBP"}},
        },
        **overrides,
    }


async def submitted_maker(
    gw: Gateway, name: str, prefix: str = "forge", **profile: Any
) -> tuple[Account, dict]:
    """A maker user whose application (handle `prefix-…`) is submitted and waits for review."""
    maker_user = await gw.verified(await gw.register("maker", name))
    handle = f"{prefix}-{uuid.uuid4().hex[:8]}"
    _, maker = await gw.call(
        "POST", "/makers", token=maker_user.token, expect=201, json=maker_profile(handle, name, **profile)
    )
    await gw.call("POST", f"/makers/{maker['id']}/submit", token=maker_user.token, expect=200)
    return maker_user, maker


async def approved_maker(gw: Gateway, operator: Account, name: str = "Hallam Forge") -> tuple[Account, dict]:
    """A maker user whose application the operator has approved."""
    maker_user, maker = await submitted_maker(gw, name)
    _, maker = await gw.call(
        "POST",
        f"/makers/{maker['id']}/review",
        token=operator.token,
        expect=200,
        json={"decision": "approve"},
    )
    # The Fairmined certificate shows as a badge once someone has looked at it.
    _, maker = await gw.call(
        "POST",
        f"/makers/{maker['id']}/claims/fairmined/verify",
        token=operator.token,
        expect=200,
        json={"decision": "verified", "note": "Certificate FM-2024-0042 checked with Fairmined"},
    )
    return maker_user, maker


async def draft_listing(gw: Gateway, maker_user: Account, body: dict[str, Any]) -> dict:
    """Create a draft listing; the catalogue learns of the maker's approval from an event, so
    creating is retried while it still answers 403."""

    async def create():
        status, listing = await gw.call("POST", "/listings", token=maker_user.token, json=body)
        if status == 201:
            return listing
        if status != 403:
            raise ApiFailure(f"POST /listings: {status} {listing}")
        return None

    return await eventually(
        create, timeout_s=EVENT_TIMEOUT_S, message="catalogue to learn the maker is approved"
    )


async def published_listing(gw: Gateway, maker_user: Account, body: dict[str, Any]) -> dict:
    """Create and publish a listing, with a ready photo of the maker's own unless the body names
    its photos. The catalogue learns of the photo being ready from an event, so publishing is
    retried while it says the photo is not ready."""
    if "photos" not in body:
        body = {**body, "photos": photos_of(await ready_photo(gw.session, gw.url, maker_user.token))}
    listing = await draft_listing(gw, maker_user, body)

    async def publish():
        status, published = await gw.call(
            "POST", f"/listings/{listing['id']}/publish", token=maker_user.token
        )
        if status == 200:
            return published
        codes = {error.get("code") for error in (published or {}).get("errors", [])}
        if status != 422 or codes != {"photo_not_ready"}:
            raise ApiFailure(f"POST /listings/{listing['id']}/publish: {status} {published}")
        return None

    return await eventually(
        publish, timeout_s=EVENT_TIMEOUT_S, message="catalogue to learn the photo is ready"
    )


async def orders_knows(gw: Gateway, customer: Account, listing_id: str) -> None:
    """Wait until orders' read model has the listing: an order line for it with a chain length
    it does not offer is refused for that option (one orders has not heard of is refused as
    listing_unavailable). Nothing is created either way."""
    probe = {
        "lines": [{"listing_id": listing_id, "quantity": 1, "options": {"chain_length_cm": 999}}],
        "shipping_address": {
            "name": "Probe",
            "line1": "1 Probe St",
            "city": "Leeds",
            "postcode": "LS1 1AA",
            "country": "GB",
        },
        "payment": {"token": "tok_visa"},
    }

    async def known():
        status, body = await gw.call(
            "POST",
            "/orders",
            token=customer.token,
            json=probe,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if status == 201:
            raise ApiFailure(f"the probe order was accepted: {body}")
        codes = {error.get("code") for error in (body or {}).get("errors", [])}
        return status == 422 and codes and "listing_unavailable" not in codes

    await eventually(known, timeout_s=EVENT_TIMEOUT_S, message="orders to learn of the listing")


ADDRESS = {
    "name": "Ada Customer",
    "line1": "1 High Street",
    "city": "York",
    "postcode": "YO1 7HH",
    "country": "GB",
}


async def placed_order(
    gw: Gateway, customer: Account, lines: list[dict[str, Any]], payment_token: str = "tok_visa"
) -> dict[str, Any]:
    """An order of these lines, shipped to ADDRESS and paid with this test card token, as placed."""
    _, order = await gw.call(
        "POST",
        "/orders",
        token=customer.token,
        expect=201,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        json={"lines": lines, "shipping_address": ADDRESS, "payment": {"token": payment_token}},
    )
    return order


async def once_confirmed(gw: Gateway, customer: Account, order: dict[str, Any]) -> dict[str, Any]:
    """The order once orders has confirmed it and split it into maker orders."""

    async def confirmed() -> dict[str, Any] | None:
        _, latest = await gw.call("GET", f"/orders/{order['id']}", token=customer.token, expect=200)
        if latest["status"] == "cancelled":
            raise ApiFailure(f"order cancelled: {latest.get('cancellation_reason')}")
        return latest if latest["status"] == "confirmed" and latest.get("maker_orders") else None

    result: dict[str, Any] = await eventually(
        confirmed, timeout_s=EVENT_TIMEOUT_S, message="the order to be confirmed"
    )
    return result


async def confirmed_order(
    gw: Gateway, customer: Account, listing_id: str, options: dict[str, Any] | None = None
) -> dict:
    """Place an order with tok_visa and wait until it is confirmed."""
    await orders_knows(gw, customer, listing_id)
    line = {"listing_id": listing_id, "quantity": 1, "options": options or {}}
    return await once_confirmed(gw, customer, await placed_order(gw, customer, [line]))


async def quality_checked(
    gw: Gateway, maker: Account, order: dict[str, Any], ring_size_mm: int = 54
) -> dict[str, Any]:
    """The order's one maker order accepted and passed inspection (its ring measured at
    `ring_size_mm`, the size ordered), as the inspection answered."""
    [part] = order["maker_orders"]
    path = f"/maker-orders/{part['id']}"
    await gw.call("POST", f"{path}/accept", token=maker.token, expect=200)
    checks = {
        "finish_inspected": True,
        "hallmark_verified": True,
        "stones_secure": True,
        "measured_ring_size_mm": ring_size_mm,
    }
    _, checked = await gw.call(
        "POST",
        f"{path}/quality-check",
        token=maker.token,
        expect=200,
        json={"passed": True, "checks": checks},
    )
    return dict(checked)


async def delivered(
    gw: Gateway, maker: Account, operator: Account, order: dict[str, Any], ring_size_mm: int = 54
) -> None:
    """The order's one maker order inspected (see quality_checked), dispatched and delivered."""
    part = await quality_checked(gw, maker, order, ring_size_mm)
    path = f"/maker-orders/{part['id']}"
    tracking = {"carrier": "Royal Mail", "tracking_number": "RM123456785GB"}
    await gw.call("POST", f"{path}/dispatch", token=maker.token, expect=200, json=tracking)
    await gw.call("POST", f"{path}/deliver", token=operator.token, expect=200)
