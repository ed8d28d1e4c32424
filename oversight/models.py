"""Models of the oversight package: the overseers (特邀监督员) and their supervision."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from publicity.models import Base, UTCDateTime, enum_type


class OverseerKind(enum.StrEnum):
    """Which body an overseer sits in."""

    DEPUTY = "deputy"  # 人大代表
    CPPCC = "cppcc"  # 政协委员


class OverseerLevel(enum.StrEnum):
    """The level of the congress or committee the overseer belongs to."""

    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"
    NATIONAL = "national"


class Overseer(Base):
    """An overseer (监督员): a people's deputy or CPPCC member on the court's roster."""

    __tablename__ = "oversight_overseer"

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"))
    name: Mapped[str] = mapped_column(sa.String(50))
    kind: Mapped[OverseerKind] = mapped_column(enum_type(OverseerKind))
    level: Mapped[OverseerLevel] = mapped_column(enum_type(OverseerLevel), default=OverseerLevel.COUNTY)
    unit: Mapped[str] = mapped_column(sa.String(100), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
