"""The public API's security through the gateway, with every service running: who may touch
which object (two makers, two customers, an operator, anonymous, over every endpoint that takes
an id), mass assignment on every write, token attacks, role escalation, rate limits and hostile
input (oversized and deeply nested bodies, overlong strings, NUL and unpaired surrogates, SQL
metacharacters, forged cursors on every list). Whatever is sent: never a 5xx, every error is
application/problem+json, and a refused write changes nothing.

One package, one marketplace: conftest.py starts the stack and builds the world (the makers,
customers, orders and the rest every test reads) once for every module here (package-scoped
fixtures); support.py holds the World and the helpers the modules share. The modules, by what
they test: test_authorisation (the object-level matrix, lists showing only the caller's own),
test_mass_assignment, test_tokens_and_roles (token attacks, role escalation, rate limits) and
test_hostile_input (bodies, ids, queries and cursors).
"""

import pytest

# The World's request helper asserts the error contract on every answer: its assertions
# explain themselves when they fail, as they did in the one module it came from.
pytest.register_assert_rewrite("tests.integration.test_security_api.support")
