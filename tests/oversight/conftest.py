"""Fixtures of the oversight service tests: a court, its judge, a case and three overseers."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from oversight.models import Overseer, OverseerKind
from publicity.core.models import Court, Officer
from publicity.record.models import EnforcementCase
from tests.factories import file, make_court, make_judge, make_overseer


@pytest.fixture
def court(session: Session) -> Court:
    court = make_court(session)
    court.contact_phone = "0534-12368"  # the judge's contact line overseers are given for on-site actions
    session.flush()
    return court


@pytest.fixture
def judge(session: Session, court: Court) -> Officer:
    return make_judge(session, court)


@pytest.fixture
def case(session: Session, court: Court, judge: Officer) -> EnforcementCase:
    return file(session, court, judge=judge)


@pytest.fixture
def deputy(session: Session, court: Court) -> Overseer:
    """A deputy reachable by SMS and email."""
    return make_overseer(session, court, "刘建华", phone="13900000001", email="liu@example.cn")


@pytest.fixture
def member(session: Session, court: Court) -> Overseer:
    """A CPPCC member reachable by SMS only."""
    return make_overseer(session, court, "陈秀英", kind=OverseerKind.CPPCC, phone="13900000002")


@pytest.fixture
def third(session: Session, court: Court) -> Overseer:
    """A deputy reachable by email only."""
    return make_overseer(session, court, "赵明", email="zhao@example.cn")
