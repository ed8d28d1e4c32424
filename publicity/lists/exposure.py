"""The court's exposure board (曝光台): published defaulter entries and restriction orders that staff
chose to feature, with where and when they were exposed. An item leaves the board the moment it
leaves its list: the board is a view over the lists' own public rules, never a copy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.dml import guarded_update
from publicity.core.errors import N_, PublicityError
from publicity.core.models import Court
from publicity.lists import defaulters, restrictions
from publicity.lists.models import DefaulterEntry, ExposureChannel, ExposureFeature, RestrictionOrder

PAGE_SIZE = 24


class NotExposable(PublicityError):
    message = N_("Only an entry or order that is on its public list can be exposed.")


class AlreadyExposed(PublicityError):
    message = N_("This is already on the exposure board.")


class ChannelsRequired(PublicityError):
    message = N_("Choose at least one channel where it was exposed.")


class FutureExposure(PublicityError):
    message = N_("The date of exposure cannot be in the future.")


class AlreadyWithdrawn(PublicityError):
    message = N_("This is no longer on the exposure board.")


def feature(
    session: Session,
    *,
    court: Court,
    channels: Sequence[ExposureChannel],
    exposed_on: date,
    actor: str,
    now: datetime,
    entry: DefaulterEntry | None = None,
    order: RestrictionOrder | None = None,
) -> ExposureFeature:
    """Put one public item of ``court`` on the board (exactly one of ``entry`` and ``order``)."""
    item: DefaulterEntry | RestrictionOrder
    if entry is not None and order is None:
        item = entry
    elif order is not None and entry is None:
        item = order
    else:
        raise ValueError("feature exactly one entry or order")
    if item.court_id != court.id or not (
        defaulters.is_public(item, now) if isinstance(item, DefaulterEntry) else restrictions.is_public(item, now)
    ):
        raise NotExposable()
    if not channels:
        raise ChannelsRequired()
    if exposed_on > now.astimezone(defaulters.COURT_ZONE).date():
        raise FutureExposure()
    column = ExposureFeature.defaulter_entry_id if entry else ExposureFeature.restriction_order_id
    if session.scalar(sa.select(ExposureFeature.id).where(column == item.id, ExposureFeature.withdrawn_at.is_(None))):
        raise AlreadyExposed()
    shown = ExposureFeature(
        court_id=court.id,
        defaulter_entry_id=entry.id if entry else None,
        restriction_order_id=order.id if order else None,
        channels=sorted({ExposureChannel(c).value for c in channels}),
        exposed_on=exposed_on,
        created_by=actor,
        created_at=now,
    )
    session.add(shown)
    # The check above is a courtesy: two staff featuring the item at once are decided by the partial unique
    # indexes uq_publicity_exposure_feature_active_*. This INSERT is the transaction's first write, so the loser's
    # IntegrityError is answered by rolling the whole transaction back (the route says AlreadyExposed), never by
    # a savepoint.
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="exposure.feature",
        object_type="exposure_feature",
        object_id=shown.id,
        changes={
            "entry": shown.defaulter_entry_id,
            "order": shown.restriction_order_id,
            "channels": shown.channels,
            "exposed_on": exposed_on.isoformat(),
        },
        chain=court.code,
        now=now,
    )
    return shown


def withdraw(session: Session, *, shown: ExposureFeature, actor: str, now: datetime) -> ExposureFeature:
    """Take an item off the board (it stays on its list)."""
    if shown.withdrawn_at is not None:
        raise AlreadyWithdrawn()
    if not guarded_update(
        session, shown, ExposureFeature.withdrawn_at.is_(None), withdrawn_at=now
    ):  # withdrawn at this moment by someone else
        raise AlreadyWithdrawn()
    court = session.get(Court, shown.court_id)
    assert court is not None  # court_id is a foreign key to the court
    audit.record(
        session,
        actor=actor,
        action="exposure.withdraw",
        object_type="exposure_feature",
        object_id=shown.id,
        changes={},
        chain=court.code,
        now=now,
    )
    session.flush()
    return shown


def _on_board(now: datetime) -> sa.ColumnElement[bool]:
    """Not withdrawn, and its item still public on its own list (checked at read time)."""
    public_entry = (
        sa.select(DefaulterEntry.id)
        .where(DefaulterEntry.id == ExposureFeature.defaulter_entry_id, defaulters.public_clause(now))
        .exists()
    )
    public_order = (
        sa.select(RestrictionOrder.id)
        .where(RestrictionOrder.id == ExposureFeature.restriction_order_id, restrictions.public_clause(now))
        .exists()
    )
    return sa.and_(ExposureFeature.withdrawn_at.is_(None), sa.or_(public_entry, public_order))


@dataclass(frozen=True)
class BoardPage:
    items: list[ExposureFeature]
    more_before: int | None


def board(
    session: Session,
    *,
    now: datetime,
    court_id: int | None = None,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> BoardPage:
    """The board, most recently featured first (keyset on id)."""
    stmt = (
        sa.select(ExposureFeature)
        .where(_on_board(now))
        .options(sa.orm.joinedload(ExposureFeature.entry), sa.orm.joinedload(ExposureFeature.order))
        .order_by(ExposureFeature.id.desc())
        .limit(limit + 1)
    )
    if court_id is not None:
        stmt = stmt.where(ExposureFeature.court_id == court_id)
    if before_id is not None:
        stmt = stmt.where(ExposureFeature.id < before_id)
    rows = list(session.scalars(stmt).unique())
    more = rows[limit - 1].id if len(rows) > limit else None
    return BoardPage(rows[:limit], more)


def active_feature(
    session: Session, *, entry_id: int | None = None, order_id: int | None = None
) -> ExposureFeature | None:
    """The item's current feature on the board, if any."""
    column, value = (
        (ExposureFeature.defaulter_entry_id, entry_id)
        if entry_id is not None
        else (ExposureFeature.restriction_order_id, order_id)
    )
    return session.scalar(sa.select(ExposureFeature).where(column == value, ExposureFeature.withdrawn_at.is_(None)))


def court_features(session: Session, *, court_id: int, before_id: int | None = None, limit: int = 100) -> BoardPage:
    """Staff view: the court's features not withdrawn, newest first (also items that left their list)."""
    stmt = (
        sa.select(ExposureFeature)
        .where(ExposureFeature.court_id == court_id, ExposureFeature.withdrawn_at.is_(None))
        .options(sa.orm.joinedload(ExposureFeature.entry), sa.orm.joinedload(ExposureFeature.order))
        .order_by(ExposureFeature.id.desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        stmt = stmt.where(ExposureFeature.id < before_id)
    rows = list(session.scalars(stmt).unique())
    return BoardPage(rows[:limit], rows[limit - 1].id if len(rows) > limit else None)
