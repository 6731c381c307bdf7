"""The orders service alone, over HTTP against the real PostgreSQL and RabbitMQ, with the test
standing in for catalogue and makers: it publishes their events (listings, makers, catalogue's
answers to the saga) and reads what orders publishes.

It runs in its own environment (namespace, database, exchange and keys), so a catalogue
process started by another module of the same run cannot answer these orders before the test
does. The orders process authorises payment once per delivery (ORDERS_PAYMENT_ATTEMPTS=1), so
`tok_error` is retried through the consumer's retry queues; the end-to-end module runs the
default in-handler retries.

One package, one orders process: conftest.py starts the environment and the process once for
every module here (package-scoped fixtures), support.py holds the World each test gets and the
helpers the modules share. The modules, by what they test: test_placing (lines, prices,
currencies, who may place and read), test_idempotency (the Idempotency-Key), test_saga (the
saga's outcomes, long polls, expiry), test_fulfilment (cancelling, fulfilment, quality checks,
refunds, payouts), test_commissions (bespoke commissions) and test_contracts (the events
published and consumed, the OpenAPI document, random bodies).
"""

import pytest

# The shared World's and helpers' assertions explain themselves when they fail, as they did in
# the one module they came from.
pytest.register_assert_rewrite("tests.integration.test_orders_api.support")
