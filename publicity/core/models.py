"""The declarative base every model shares (one metadata, stable constraint names), the column types, and the
tables every area stands on: courts and officers, the audit trail, failure throttling, the working-day calendar,
the dashboard's snapshots."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so Alembic migrations can refer to them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite keeps no zone itself)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(enum_class: type[enum.StrEnum], length: int = 32, name: str | None = None) -> sa.Enum:
    """A portable enum column storing the members' values (a CHECK constraint, not a PG type)."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        create_constraint=True,
        name=name or enum_class.__name__.lower(),
    )


class Base(DeclarativeBase):
    """The one declarative base of every model in the portal."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Court(Base):
    """A people's court (法院): courts are data, so one portal can serve a province."""

    __tablename__ = "publicity_court"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)  # e.g. 鲁1427
    name: Mapped[str] = mapped_column(sa.String(100))  # e.g. 夏津县人民法院
    province: Mapped[str] = mapped_column(sa.String(20))
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # Per-court overrides of the deadline defaults (publicity.record.deadlines.DEFAULTS), in days or months.
    deadline_settings: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OfficerKind(enum.StrEnum):
    """What a court officer does on a case."""

    JUDGE = "judge"  # 执行法官 / 承办法官
    CLERK = "clerk"  # 书记员 / 执行员 / 法官助理


class Officer(Base):
    """A court officer (执行干警): a judge or a clerk of one court."""

    __tablename__ = "publicity_officer"

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"))
    name: Mapped[str] = mapped_column(sa.String(50))
    kind: Mapped[OfficerKind] = mapped_column(enum_type(OfficerKind))
    team: Mapped[str] = mapped_column(sa.String(50), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    court: Mapped[Court] = sa.orm.relationship()


class ThrottleEvent(Base):
    """One failed attempt (a login, a case lookup) counted against a key such as ``ip:1.2.3.4``."""

    __tablename__ = "publicity_throttle_event"
    __table_args__ = (sa.Index("ix_publicity_throttle_event_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(160))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditHead(Base):
    """The newest link of one audit chain; its row lock serialises appends to the chain."""

    __tablename__ = "publicity_audit_head"

    chain: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))
    # A random value renewed by every record that changes something (not by lookups and logins), in the
    # appending transaction: the dashboard's snapshot is stale exactly when it moves, even when
    # transactions commit out of id order.
    changed: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class AuditRecord(Base):
    """An append-only audit record (留痕记录), hash-chained to the one before it."""

    __tablename__ = "publicity_audit_record"
    __table_args__ = (
        sa.UniqueConstraint("chain", "seq"),
        sa.Index("ix_publicity_audit_record_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(32))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(sa.String(100), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    changes: Mapped[str] = mapped_column(sa.Text)  # canonical JSON of what changed
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))  # HMAC-SHA-256 under the key named by key_id (the seal)
    key_id: Mapped[str] = mapped_column(sa.String(16))


class AuditAnchor(Base):
    """A chain's head as published on the public anchors page (and its JSON and Atom feeds), at the end of a day:
    copies kept by others show whether the chain up to it was later rewritten, even by someone holding the key."""

    __tablename__ = "publicity_audit_anchor"
    __table_args__ = (sa.UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(32))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a public holiday (法定节假日), also on a weekday
    WORKDAY = "workday"  # an adjusted working weekend day (调休上班)


class CalendarDay(Base):
    """An exception to the Monday-Friday week, maintained by the administrator per year."""

    __tablename__ = "publicity_calendar_day"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(enum_type(DayKind))


class StatsSnapshot(Base):
    """The dashboard's figures as computed (JSON), kept for the day while the record is unchanged:
    every process and machine reads the same copy."""

    __tablename__ = "publicity_stats_snapshot"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)  # e.g. dashboard:1:2026
    version: Mapped[int] = mapped_column(sa.BigInteger)  # the audit fingerprint it was computed at
    day: Mapped[date] = mapped_column(sa.Date)  # the court's day it was computed on
    payload: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
