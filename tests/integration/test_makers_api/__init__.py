"""The makers service over HTTP, against the real PostgreSQL and RabbitMQ: the onboarding path,
the lists, validation and conflicts, the authorisation matrix and the events that reach the
broker.

One package, one makers process: conftest.py starts it once for every module here
(package-scoped fixtures), support.py holds the API client, the profiles and the helpers the
modules share (test_makers_ratings.py uses the client too). The modules, by what they test:
test_onboarding (the onboarding path, the review queue and the directory),
test_validation_and_conflicts (bodies refused with their codes, conflicts, wrong states, random
bodies), test_authorisation (who may do what) and test_contracts (the OpenAPI document and the
events that reach the broker).
"""

import pytest

# The shared client's assertions explain themselves when they fail, as they did in the one
# module they came from.
pytest.register_assert_rewrite("tests.integration.test_makers_api.support")
