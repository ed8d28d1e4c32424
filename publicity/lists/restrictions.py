"""Consumption restriction orders (限制消费令): issue, lift, public search.

An order is public while it is not lifted; lifting takes it off every public surface at once.
An order against an entity also binds its legal representative, main and directly responsible
persons and actual controller; a former legal representative may be released alone (2019 opinion).

Why it is long: it holds an order's whole lifecycle (issue, bound persons, lifting) and the public search over the
list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dt_time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.dml import guarded_update
from publicity.core.errors import N_, IllegalTransition, PublicityError
from publicity.lists import names
from publicity.lists import search as listsearch
from publicity.lists.models import BoundRole, LiftReason, RestrictedItem, RestrictionBoundPerson, RestrictionOrder
from publicity.outreach import grid
from publicity.outreach.models import PushEvent
from publicity.record import case_numbers, cases, deadlines, locks, notices
from publicity.record.models import CaseStage, EnforcementCase, NodeType, Party, PartyKind, PartySide

PAGE_SIZE = 20
COURT_ZONE = deadlines.COURT_ZONE
MAX_BOUND_PERSONS = 10
# Lifting a whole order: performance, a guarantee, or the applicant's consent. The 2019 ground is a bound
# former legal representative's alone.
ORDER_LIFT_REASONS = (LiftReason.PERFORMED, LiftReason.GUARANTEE, LiftReason.APPLICANT_CONSENT)


# --- Errors ---------------------------------------------------------------------------------------------------


class NoItems(PublicityError):
    message = N_("Choose at least one restricted item.")


class UnknownItem(PublicityError):
    message = N_("Unknown restricted item %(item)s.")


class NotARespondent(PublicityError):
    message = N_("A restriction order can only be issued against a respondent of this case.")


class RespondentWithoutNumber(PublicityError):
    message = N_("The respondent has no ID number or credit code on record; add it to the case first.")


class BoundPersonsOnlyForEntities(PublicityError):
    message = N_("Only an order against an organisation binds its legal representative and responsible persons.")


class TooManyBoundPersons(PublicityError):
    message = N_("An order binds at most %(limit)s persons.")


class BoundPersonNameRequired(PublicityError):
    message = N_("Give the name of every bound person.")


class InvalidBoundNumber(PublicityError):
    message = N_("The ID number of %(name)s must have 18 characters and a correct check digit.")


class RestrictionCaseClosed(PublicityError):
    message = N_("The case is closed: no restriction order can be issued on it.")


class IssueDateInFuture(PublicityError):
    message = N_("The issue date cannot be in the future.")


class IssuedBeforeFiling(PublicityError):
    message = N_("The issue date cannot be before the case was filed.")


class OrderAlreadyActive(PublicityError):
    message = N_("An order against %(name)s on this case is already in force.")


class AlreadyLifted(PublicityError):
    message = N_("This restriction has already been lifted.")


class WrongLiftReason(PublicityError):
    message = N_("This reason cannot lift a whole order: a former legal representative is released on their own.")


class NotFormerRepresentative(PublicityError):
    message = N_("Only a bound legal representative can be released as a former legal representative.")


# --- Issue and lift --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundPersonData:
    """A person an order against an entity also binds."""

    role: BoundRole
    name: str
    id_number: str = ""


def _local_day(moment: datetime) -> date:
    return moment.astimezone(COURT_ZONE).date()


def _items(items: Iterable[RestrictedItem | str]) -> list[str]:
    chosen = set()
    for item in items:
        try:
            chosen.add(RestrictedItem(item))
        except ValueError:
            raise UnknownItem(item=str(item)) from None
    if not chosen:
        raise NoItems()
    return [item.value for item in RestrictedItem if item in chosen]  # the rule's order, whatever was ticked


def _bound(data: BoundPersonData | tuple[BoundRole | str, str, str], key: bytes) -> RestrictionBoundPerson:
    if not isinstance(data, BoundPersonData):
        data = BoundPersonData(BoundRole(data[0]), data[1], data[2])
    name = (data.name or "").strip()
    if not name:
        raise BoundPersonNameRequired()
    number = (data.id_number or "").strip().upper()
    if number and not names.id_number_valid(number):
        raise InvalidBoundNumber(name=name)
    full_spelling, initials = names.pinyin_keys(name, person=True)
    return RestrictionBoundPerson(
        role=BoundRole(data.role),
        name=name,
        name_pinyin=full_spelling,
        name_initials=initials,
        id_number=number,
        id_hash=names.number_hash(number, key=key) if number else "",
        id_masked=names.mask_number(number),
    )


def issue_order(
    session: Session,
    *,
    case: EnforcementCase,
    respondent: Party,
    items: Iterable[RestrictedItem | str],
    issued_on: date,
    bound_persons: Sequence[BoundPersonData | tuple[BoundRole | str, str, str]] = (),
    key: bytes,
    actor: str,
    now: datetime,
) -> RestrictionOrder:
    """Issue a restriction order against a respondent of ``case``; it is public at once."""
    if respondent.case_id != case.id or respondent.side != PartySide.RESPONDENT:
        raise NotARespondent()
    # The case lock before any check and any other write: the stage and the order in force are read as committed
    # (no second order against the same respondent, none on a case closing now), and the case row is locked
    # before the audit head, in the order every other case write takes them.
    locks.lock_case(session, case)
    if case.stage == CaseStage.CLOSED:
        raise RestrictionCaseClosed()
    chosen = _items(items)
    if issued_on > _local_day(now):
        raise IssueDateInFuture()
    if issued_on < _local_day(case.filed_at):
        raise IssuedBeforeFiling()
    entity = respondent.kind == PartyKind.ENTITY
    if bound_persons and not entity:
        raise BoundPersonsOnlyForEntities()
    if len(bound_persons) > MAX_BOUND_PERSONS:
        raise TooManyBoundPersons(limit=MAX_BOUND_PERSONS)
    number = (respondent.credit_code if entity else respondent.id_number or "").strip().upper()
    if not number:
        raise RespondentWithoutNumber()
    number_hash = names.number_hash(number, key=key)
    active = session.scalar(
        sa.select(RestrictionOrder.id).where(
            RestrictionOrder.case_id == case.id,
            RestrictionOrder.id_hash == number_hash,
            RestrictionOrder.lifted_at.is_(None),
        )
    )
    if active is not None:
        raise OrderAlreadyActive(name=respondent.name)
    bound = [_bound(person, key) for person in bound_persons]
    full_spelling, initials = names.pinyin_keys(respondent.name, person=not entity)
    order = RestrictionOrder(
        court_id=case.court_id,
        case_id=case.id,
        case_number=case.number,
        kind=respondent.kind,
        name=respondent.name.strip(),
        name_pinyin=full_spelling,
        name_initials=initials,
        id_number=number,
        id_hash=number_hash,
        id_masked=names.mask_number(number),
        items=chosen,
        issued_on=issued_on,
        published_at=now,
        created_by=actor,
        created_at=now,
        bound_persons=bound,
    )
    session.add(order)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="restriction.issue",
        object_type="restriction_order",
        object_id=order.id,
        changes={
            "case": case.number,
            "name": order.name,
            "items": chosen,
            "issued_on": issued_on.isoformat(),
            "bound_persons": [[b.role.value, b.name] for b in bound],
        },
        chain=case.court.code,
        now=now,
    )
    _record_node(session, case, order, now=now, actor=actor)
    notices.enqueue_listing_notices(session, case_id=case.id, event="restricted", respondent=order.name, now=now)
    grid.push(
        session,
        party=respondent,
        event=PushEvent.RESTRICTED,
        case_number=case.number,
        respondent=respondent.name,
        object_id=order.id,
        now=now,
    )
    return order


def _record_node(
    session: Session, case: EnforcementCase, order: RestrictionOrder, *, now: datetime, actor: str
) -> None:
    """Record the 限制消费 node on the case when its stage allows one (not after 终本)."""
    issued_at = min(now, datetime.combine(order.issued_on, dt_time(12, 0), tzinfo=COURT_ZONE))
    # The rules are checked before anything is written, so a refused node leaves nothing behind.
    with contextlib.suppress(IllegalTransition):
        # Like the judge's name on the assignment node, the order's respondent is the node's text.
        cases.add_node(
            session,
            case=case,
            node_type=NodeType.CONSUMPTION_RESTRICTION,
            occurred_at=issued_at,
            public_text=order.name,
            actor=actor,
            now=now,
        )


def lift_order(
    session: Session, *, order: RestrictionOrder, reason: LiftReason, note: str = "", actor: str, now: datetime
) -> RestrictionOrder:
    """Lift the whole order (performed, guarantee, applicant's consent): it leaves every public surface now."""
    if order.lifted_at is not None:
        raise AlreadyLifted()
    if reason not in ORDER_LIFT_REASONS:
        raise WrongLiftReason()
    # Lifted once: the database decides between two lifts (a clerk's, a case closed as performed).
    if not guarded_update(
        session,
        order,
        RestrictionOrder.lifted_at.is_(None),
        lift_reason=reason,
        lift_note=note.strip(),
        lifted_at=now,
        lifted_by=actor,
    ):
        raise AlreadyLifted()
    audit.record(
        session,
        actor=actor,
        action="restriction.lift",
        object_type="restriction_order",
        object_id=order.id,
        changes={"case": order.case_number, "reason": reason.value, "note": order.lift_note},
        chain=order.court.code,
        now=now,
    )
    notices.enqueue_listing_notices(
        session, case_id=order.case_id, event="restriction_lifted", respondent=order.name, now=now
    )
    session.flush()
    return order


def lift_for_cases(session: Session, *, cases: Sequence[EnforcementCase], actor: str, now: datetime) -> int:
    """Lift every order in force of these cases (a case performed in full and the cases it resumed)."""
    orders = list(
        session.scalars(
            sa.select(RestrictionOrder).where(
                RestrictionOrder.case_id.in_([c.id for c in cases]), RestrictionOrder.lifted_at.is_(None)
            )
        )
    )
    lifted = 0
    for order in orders:
        try:
            lift_order(session, order=order, reason=LiftReason.PERFORMED, actor=actor, now=now)
        except AlreadyLifted:  # lifted by hand at this moment: off the list all the same
            continue
        lifted += 1
    return lifted


def lift_bound_person(
    session: Session,
    *,
    person: RestrictionBoundPerson,
    reason: LiftReason = LiftReason.FORMER_REPRESENTATIVE,
    note: str = "",
    actor: str,
    now: datetime,
) -> RestrictionBoundPerson:
    """Release a former legal representative who is neither controller nor responsible person (2019 opinion)."""
    order = person.order
    if person.lifted_at is not None or order.lifted_at is not None:
        raise AlreadyLifted()
    if reason != LiftReason.FORMER_REPRESENTATIVE:
        raise WrongLiftReason()
    if person.role != BoundRole.LEGAL_REPRESENTATIVE:
        raise NotFormerRepresentative()
    # Released once, and not from an order lifted at this moment: the database decides.
    in_force = sa.select(RestrictionOrder.id).where(
        RestrictionOrder.id == order.id, RestrictionOrder.lifted_at.is_(None)
    )
    if not guarded_update(
        session,
        person,
        RestrictionBoundPerson.lifted_at.is_(None),
        RestrictionBoundPerson.order_id.in_(in_force),
        lift_reason=reason,
        lifted_at=now,
    ):
        raise AlreadyLifted()
    audit.record(
        session,
        actor=actor,
        action="restriction.lift_bound_person",
        object_type="restriction_order",
        object_id=order.id,
        changes={
            "case": order.case_number,
            "bound_person": person.name,
            "role": person.role.value,
            "reason": reason.value,
            "note": note.strip(),
        },
        chain=order.court.code,
        now=now,
    )
    session.flush()
    return person


def is_public(order: RestrictionOrder, now: datetime) -> bool:
    """Published and not lifted: the order may be shown."""
    return order.lifted_at is None and order.published_at <= now


def public_clause(now: datetime) -> sa.ColumnElement[bool]:
    """The same rule as ``is_public`` in SQL."""
    return sa.and_(RestrictionOrder.lifted_at.is_(None), RestrictionOrder.published_at <= now)


def restricted_persons(order: RestrictionOrder) -> list[RestrictionBoundPerson]:
    """The bound persons still restricted (a released former legal representative is not shown)."""
    return [person for person in order.bound_persons if person.lifted_at is None]


def orders_of_court(
    session: Session, *, court_id: int, after: tuple[bool, int] | None = None, limit: int = 50
) -> tuple[list[RestrictionOrder], tuple[bool, int] | None]:
    """One page of the court's orders for its staff: those in force first, each group newest first.

    ``after`` is the keyset (lifted?, id) of the last order of the previous page; the second value
    returned is the next page's, or None on the last page."""
    lifted = RestrictionOrder.lifted_at.is_not(None)
    stmt = (
        sa.select(RestrictionOrder)
        .where(RestrictionOrder.court_id == court_id)
        .options(sa.orm.selectinload(RestrictionOrder.bound_persons))
        .order_by(sa.case((lifted, 1), else_=0), RestrictionOrder.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        was_lifted, last_id = after
        if was_lifted:
            stmt = stmt.where(lifted, RestrictionOrder.id < last_id)
        else:
            stmt = stmt.where(sa.or_(lifted, RestrictionOrder.id < last_id))
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].lifted_at is not None, rows[-1].id) if more else None)


# --- Public search ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    court_id: int | None = None


@dataclass(frozen=True)
class Page:
    items: list[RestrictionOrder]
    next_cursor: str | None
    mode: str


def _own_or_bound(own: sa.ColumnElement[bool], bound: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """Orders whose respondent matches ``own`` or that bind a still-restricted person matching ``bound``.

    A union of two id lists, each read from its own table's index: written as ``own OR id IN (...)``, PostgreSQL
    walks every order newest first and tests each (3 ms at 19,000 orders, growing with the list)."""
    Bound = RestrictionBoundPerson
    return RestrictionOrder.id.in_(
        sa.union(
            sa.select(RestrictionOrder.id).where(own), sa.select(Bound.order_id).where(bound, Bound.lifted_at.is_(None))
        )
    )


def _prefix(column: sa.SQLColumnExpression[str], text: str) -> sa.ColumnElement[bool]:
    # A range, not LIKE: the (name, id) indexes serve it on both engines, and % or _ mean nothing.
    return sa.and_(column >= text, column < text + "\U0010ffff")


def search(
    session: Session,
    *,
    query: str,
    filters: Filters = Filters(),
    cursor: str | None = None,
    key: bytes,
    now: datetime,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of orders in force whose respondent or a still-bound person matches ``query``, newest first."""
    # The same modes, query parsing and cursors as the defaulter list.
    q, mode = query.strip(), listsearch.search_mode(query)
    Bound = RestrictionBoundPerson
    if mode == "id_without_name":
        return Page([], None, mode)
    if mode == "name":
        match = _own_or_bound(_prefix(RestrictionOrder.name, q), _prefix(Bound.name, q))
    elif mode == "pinyin":
        spelled = q.replace(" ", "").lower()
        own = sa.or_(RestrictionOrder.name_pinyin == spelled, RestrictionOrder.name_initials == spelled)
        match = _own_or_bound(own, sa.or_(Bound.name_pinyin == spelled, Bound.name_initials == spelled))
    elif mode == "id":
        number, name = listsearch.split_number(q)
        assert number is not None  # the "id" mode is a query with a full number in it
        hashed = names.number_hash(number, key=key)
        match = _own_or_bound(
            sa.and_(RestrictionOrder.id_hash == hashed, RestrictionOrder.name == name),
            sa.and_(Bound.id_hash == hashed, Bound.name == name),
        )
    elif mode == "masked":
        masked = names.masked_query(q)
        match = _own_or_bound(RestrictionOrder.id_masked == masked, Bound.id_masked == masked)
    elif mode == "case":
        match = RestrictionOrder.case_number == case_numbers.normalise(q)
    else:
        match = sa.true()
    stmt = sa.select(RestrictionOrder).where(public_clause(now), match)
    if filters.court_id is not None:
        stmt = stmt.where(RestrictionOrder.court_id == filters.court_id)
    after = listsearch.decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(RestrictionOrder.id < after[1])
    rows = list(
        session.scalars(
            stmt.options(sa.orm.selectinload(RestrictionOrder.bound_persons), sa.orm.joinedload(RestrictionOrder.court))
            .order_by(RestrictionOrder.id.desc())
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, listsearch.encode_cursor(None, rows[-1].id) if more else None, mode)


def iter_public(session: Session, *, now: datetime, batch: int = 2000) -> Iterable[RestrictionOrder]:
    """Every order in force, newest first, read in keyset batches (for exports: no OFFSET, bounded memory)."""
    last_id: int | None = None
    while True:
        stmt = (
            sa.select(RestrictionOrder)
            .where(public_clause(now))
            .options(sa.orm.selectinload(RestrictionOrder.bound_persons))
            .order_by(RestrictionOrder.id.desc())
            .limit(batch)
        )
        if last_id is not None:
            stmt = stmt.where(RestrictionOrder.id < last_id)
        rows = list(session.scalars(stmt))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        if len(rows) < batch:
            return
