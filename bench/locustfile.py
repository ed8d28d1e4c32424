"""The load benchmark's workload: the portal's visitors, parties, judges and overseers (run by bench/load.py).

Reads what the users need from the fixture bench/load.py writes (MINGJING_LOAD_FIXTURE): search terms,
entry ids, case numbers with their query codes, accounts. Each simulated user has its own client address
(X-Forwarded-For, read by the portal behind MINGJING_PROXY_FIX=1) and cookie jar, and pauses between its
actions (MINGJING_LOAD_THINK, "min,max" seconds). Requests are named "<kind>: <what>"; every request's
name, start, time and error also go to MINGJING_LOAD_SAMPLES at the end, for the per-kind figures.

Shares of the actions (locust weights): visitors 95 % of the users (search 60, lookup 20, entry page 10,
dashboard 5), judges 3 % and overseers 2 % (5 % staff together). All users have the same think time,
so the shares of users are the shares of actions.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from locust import FastHttpUser, between, events, task

FIXTURE = json.loads(Path(os.environ["MINGJING_LOAD_FIXTURE"]).read_text(encoding="utf-8"))
THINK = tuple(float(s) for s in os.environ.get("MINGJING_LOAD_THINK", "0.5,1.5").split(","))
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')

_numbers = itertools.count(1)
_accounts = {"judges": itertools.count(), "overseers": itertools.count()}


def next_address() -> str:
    """A distinct client address per simulated user (10.0.0.1, 10.0.0.2, ...)."""
    n = next(_numbers)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


# --- The samples bench/load.py reads ---------------------------------------------------------------------------

SAMPLES: dict[str, object] = {"started_at": time.time(), "full_at": None, "ended_at": None}
REQUESTS: list[list[object]] = []


@events.test_start.add_listener
def _started(**_kwargs: object) -> None:
    SAMPLES["started_at"] = time.time()


@events.spawning_complete.add_listener
def _full(**_kwargs: object) -> None:
    SAMPLES["full_at"] = SAMPLES["full_at"] or time.time()


@events.request.add_listener
def _sample(name: str, start_time: float, response_time: float, exception: object, **_kwargs: object) -> None:
    REQUESTS.append([name, start_time, response_time, repr(exception)[:200] if exception else ""])


@events.quitting.add_listener
def _write(**_kwargs: object) -> None:
    SAMPLES["ended_at"] = SAMPLES["ended_at"] or time.time()
    Path(os.environ["MINGJING_LOAD_SAMPLES"]).write_text(
        json.dumps({**SAMPLES, "requests": REQUESTS}), encoding="utf-8"
    )


@events.test_stop.add_listener
def _stopped(**_kwargs: object) -> None:
    SAMPLES["ended_at"] = time.time()


# --- The users -------------------------------------------------------------------------------------------------


class Person(FastHttpUser):
    """A browser of its own: an address, cookies, a think time."""

    abstract = True
    wait_time = between(*THINK)
    network_timeout = connection_timeout = 30.0

    def __init__(self, environment) -> None:  # type: ignore[no-untyped-def]
        self.rng = random.Random()
        # Read by FastHttpUser.__init__: sent with every request of this user.
        self.default_headers = {"X-Forwarded-For": next_address(), "Accept-Language": "zh-CN,zh;q=0.9"}
        super().__init__(environment)

    def page(self, path: str, name: str, *, expect: str = "") -> str | None:
        """GET a page that must answer 200 itself (a redirect to the login or lookup page is a failure)."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            text = response.text or ""
            if expect and expect not in text:
                response.failure(f"{expect!r} not in the page")
                return None
            return text

    def form_token(self, path: str, name: str) -> str | None:
        text = self.page(path, name)
        found = CSRF.search(text or "")
        return found.group(1) if found else None

    def post_form(self, path: str, name: str, fields: dict[str, str], *, expect_location: str) -> bool:
        """POST a form; success is the 303 to ``expect_location`` (a re-rendered form is a failure)."""
        with self.client.post(
            path,
            name=name,
            data=urlencode(fields),
            allow_redirects=False,
            catch_response=True,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 303 or not location.split("?")[0].endswith(expect_location):
                response.failure(f"HTTP {response.status_code} to {location or '-'}")
                return False
            return True


class Visitor(Person):
    """The public: searches, parties looking up their case, entry pages, the dashboard."""

    weight = 95

    @task(30)
    def search_api(self) -> None:
        q = self.rng.choice(FIXTURE["api_terms"])
        path = f"/api/v1/defaulters?q={quote(q)}" if q else "/api/v1/defaulters"
        with self.client.get(path, name="search: api", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "items" not in (response.json() or {}):
                response.failure("no items in the answer")

    @task(15)
    def search_list_page(self) -> None:
        self.page(f"/lists/defaulters?q={quote(self.rng.choice(FIXTURE['page_terms']))}", "search: list page")

    @task(15)
    def search_all_lists(self) -> None:
        self.page(f"/search?q={quote(self.rng.choice(FIXTURE['page_terms']))}", "search: all lists")

    @task(20)
    def case_lookup(self) -> None:
        number, code = self.rng.choice(FIXTURE["lookups"])
        token = self.form_token("/cases/lookup", "lookup: form")
        if token is None:
            return
        fields = {"csrf_token": token, "case_number": number, "query_code": code}
        if self.post_form("/cases/lookup", "lookup: submit", fields, expect_location="/cases/view"):
            self.page("/cases/view", "lookup: case view", expect=number)

    @task(10)
    def entry_page(self) -> None:
        self.page(f"/lists/defaulters/{self.rng.choice(FIXTURE['entries'])}", "entry: page")

    @task(5)
    def dashboard(self) -> None:
        self.page("/dashboard", "dashboard: page")


class Staff(Person):
    """A court officer or overseer: logs in once, then reads."""

    abstract = True
    roster = ""

    def on_start(self) -> None:
        people = FIXTURE[self.roster]
        self.me = people[next(_accounts[self.roster]) % len(people)]
        token = self.form_token("/login", "staff: login form")
        fields = {"csrf_token": token or "", "username": self.me["username"], "password": self.me["password"]}
        self.post_form("/login", "staff: login", fields, expect_location="/home")


class Judge(Staff):
    weight = 3
    roster = "judges"

    @task(1)
    def case_list(self) -> None:
        self.page(f"/staff/cases/?judge={self.me['officer_id']}", "staff: judge case list")

    @task(2)
    def case_page(self) -> None:
        self.page(f"/staff/cases/{self.rng.choice(self.me['cases'])}", "staff: judge case page")


class Overseer(Staff):
    weight = 2
    roster = "overseers"

    @task(1)
    def home(self) -> None:
        self.page("/oversight/", "staff: overseer home")

    @task(2)
    def case_file(self) -> None:
        self.page(f"/oversight/cases/{self.rng.choice(self.me['cases'])}", "staff: overseer case file")
