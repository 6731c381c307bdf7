"""The catalogue service over HTTP, as a real process against PostgreSQL and RabbitMQ: makers
events in, the listing lifecycle, every publishing rule's code, disclosures, the authorisation
matrix, suspension hiding a maker's listings, and the listing events that reach the broker.

One package, one catalogue process: conftest.py starts it once for every module here
(package-scoped fixtures) and gives each test a client and an approved maker; support.py holds
the API client. The modules, by what they test: test_lifecycle (makers from the bus, the
lifecycle and its events, edits, currencies, stock), test_publishing_rules (each rule's code,
wording that cannot mislead, hallmark exemptions, disclosures), test_authorisation (the
maker's own list, the matrix, suspension) and test_contracts (random bodies, the OpenAPI
document).
"""

import pytest

# The shared client's assertions explain themselves when they fail, as they did in the one
# module they came from.
pytest.register_assert_rewrite("tests.integration.test_catalogue_api.support")
