"""`marketplace seed`: a believable demo marketplace, each service's part made by that service's
own seed (services/<svc>/seed.py) through its own code, in the order the events would flow.

1. The makers: twelve approved makers, their events in the makers outbox.
2. Media: learns those makers from their events, then draws a photo of every piece the
   catalogue will list (the catalogue's seed says which) and uploads it as its maker; the media
   worker makes the renditions once the services run.
3. The catalogue: learns the makers and the uploaded photos from their events, then lists and
   publishes the pieces with their photos.
4. The gateway: a login account for each demo maker (with the user id the makers' records name)
   and a demo customer.

Everything is deterministic (named ids, seeded random pieces) and seeding again adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.catalogue import seed as catalogue_seed
from services.gateway import seed as gateway_seed
from services.makers import seed as makers_seed
from services.media import seed as media_seed
from services.media.settings import MediaSettings
from shared.config import ServiceSettings
from shared.logging import get_logger

log = get_logger()


def demo_maker_accounts() -> list[gateway_seed.DemoAccount]:
    """The login accounts of the demo makers, as the gateway creates them."""
    return gateway_seed.demo_maker_accounts(makers_seed.DEMO_MAKERS)


def demo_logins() -> list[tuple[str, str, str]]:
    """(who, email, password) of the demo accounts `marketplace up` shows."""
    maker, customer = demo_maker_accounts()[0], gateway_seed.DEMO_CUSTOMER
    return [("Maker", maker.email, maker.password), ("Customer", customer.email, customer.password)]


async def seed_demo_data(settings_by_service: dict[str, ServiceSettings]) -> None:
    """Load the demo makers and listings, each service's part as that service's own role."""
    now = datetime.now(UTC)
    makers = await makers_seed.seed_makers(settings_by_service["makers"], now)
    media_settings = settings_by_service["media"]
    assert isinstance(media_settings, MediaSettings)
    photos = await media_seed.seed_photos(
        media_settings,
        makers.events,
        catalogue_seed.demo_photos(makers_seed.DEMO_MAKERS),
        now,
    )
    listings = await catalogue_seed.seed_catalogue(
        settings_by_service["catalogue"], makers_seed.DEMO_MAKERS, makers.events, photos.events, now
    )
    already_there = makers.already_there + photos.already_there + listings.already_there
    log.info("demo_data_seeded", makers=makers.created, photos=photos.created, listings=listings.created)
    print(
        f"seeded {makers.created} makers, {photos.created} photos and {listings.created} listings"
        + (f" ({already_there} already there)" if already_there else "")
    )


async def seed(settings_by_service: dict[str, ServiceSettings]) -> None:
    """`marketplace seed`: the demo data, and accounts to sign in as its makers and as a
    customer."""
    await seed_demo_data(settings_by_service)
    await gateway_seed.seed_accounts(
        settings_by_service["gateway"], [*demo_maker_accounts(), gateway_seed.DEMO_CUSTOMER]
    )


async def seed_when_empty(settings_by_service: dict[str, ServiceSettings]) -> None:
    """`marketplace up` seeds a marketplace with no listings only."""
    if await catalogue_seed.catalogue_is_empty(settings_by_service["catalogue"]):
        await seed(settings_by_service)
