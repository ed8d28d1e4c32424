"""gunicorn settings of the race tests' server (``gunicorn -c tests/races/gunicorn_conf.py``).

Each worker hashes passwords with cheap argon2 parameters, as the test process does (tests/conftest.py): the
accounts the tests create carry cheap hashes, and with the production parameters every login would rehash and
then verify at full cost (while holding the login throttle's lock), which the tests' many logins cannot afford.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from argon2 import PasswordHasher

    from portal.identity import accounts

    accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
