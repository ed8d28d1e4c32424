"""Shared declarative base, column types and the publicity package's models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

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


def enum_type(enum_class: type[enum.StrEnum], length: int = 32) -> sa.Enum:
    """A portable enum column storing the members' values (a CHECK constraint, not a PG type)."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        create_constraint=True,
        name=enum_class.__name__.lower(),
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
    hash: Mapped[str] = mapped_column(sa.String(64))
