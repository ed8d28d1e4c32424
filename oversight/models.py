"""Models of the oversight package: the overseers (特邀监督员) and their supervision."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publicity.core.models import Base, Officer, UTCDateTime, enum_type
from publicity.record.models import EnforcementCase


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


class InvitationStatus(enum.StrEnum):
    """Where an invitation stands; a pending one past ``expires_at`` is expired (read at use time)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Invitation(Base):
    """An invitation (监督邀请) of an overseer to supervise one case, sent with a one-time link."""

    __tablename__ = "oversight_invitation"
    __table_args__ = (
        sa.Index("ix_oversight_invitation_case_id", "case_id", "overseer_id"),
        sa.Index("ix_oversight_invitation_overseer_id", "overseer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    overseer_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_overseer.id"))
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    # SHA-256 of the link's random token: the link itself lives only in the outbox message that carries
    # it, and is blanked there once sent (publicity.record.notices.mark_sent).
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[InvitationStatus] = mapped_column(enum_type(InvitationStatus), default=InvitationStatus.PENDING)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[EnforcementCase] = relationship()
    overseer: Mapped[Overseer] = relationship()
    invited_by: Mapped[Officer] = relationship()


class OnsiteMeasure(enum.StrEnum):
    """What is done on site (现场执行措施)."""

    SEIZURE = "seizure"  # 查封
    IMPOUND = "impound"  # 扣押
    SEARCH = "search"  # 搜查
    EVICTION = "eviction"  # 腾退
    SUMMONS = "summons"  # 拘传
    AUCTION_SITE = "auction_site"  # 拍卖现场
    OTHER = "other"  # 其他


class OnsiteStatus(enum.StrEnum):
    """Whether an on-site action still stands; one that took place stays scheduled (its outcome tells)."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"  # by the judge, or because the case closed


class OnsiteAction(Base):
    """A scheduled on-site enforcement action (现场执行) that the case's overseers may witness."""

    __tablename__ = "oversight_onsite_action"
    __table_args__ = (
        sa.Index("ix_oversight_onsite_action_case_id", "case_id", "scheduled_at"),
        # A cancelled action, and only a cancelled one, carries the time it was cancelled.
        sa.CheckConstraint(
            "(status = 'cancelled' AND cancelled_at IS NOT NULL) OR (status <> 'cancelled' AND cancelled_at IS NULL)",
            name="cancelled_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(sa.String(200))
    measure: Mapped[OnsiteMeasure] = mapped_column(enum_type(OnsiteMeasure))
    officers: Mapped[str] = mapped_column(sa.String(200), default="")
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changed only by guarded UPDATEs (oversight.onsite.cancel, reschedule): of two judges racing, one wins.
    status: Mapped[OnsiteStatus] = mapped_column(
        enum_type(OnsiteStatus), default=OnsiteStatus.SCHEDULED, server_default=OnsiteStatus.SCHEDULED.value
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The judge's words, or a code such as "case_closed" when the case's closure cancelled it.
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The last rescheduling: the time it replaced and why.
    rescheduled_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reschedule_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[EnforcementCase] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(back_populates="action", order_by="Attendance.id")


class AttendanceResponse(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class Attendance(Base):
    """An overseer's answer to an on-site action: will they come, and did they witness it."""

    __tablename__ = "oversight_attendance"
    __table_args__ = (sa.UniqueConstraint("action_id", "overseer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_onsite_action.id"))
    overseer_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_overseer.id"), index=True)
    response: Mapped[AttendanceResponse] = mapped_column(
        enum_type(AttendanceResponse), default=AttendanceResponse.PENDING
    )
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    witnessed: Mapped[bool | None] = mapped_column()
    witnessed_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    action: Mapped[OnsiteAction] = relationship(back_populates="attendances")
    overseer: Mapped[Overseer] = relationship()


class Rating(enum.StrEnum):
    """An evaluation card's rating of one dimension."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


# The card's dimensions, in the order of the paper card.
DIMENSIONS = ("procedure", "civility", "efficiency", "integrity", "results")


class CardStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class EvaluationCard(Base):
    """An evaluation card (评议卡): one version of one overseer's card on a case (and action).

    A draft changes as the overseer types; submitting makes the row immutable. An amendment is a
    new row with ``amends_id`` pointing at the version it replaces; both stay visible.
    """

    __tablename__ = "oversight_evaluation_card"
    __table_args__ = (sa.Index("ix_oversight_evaluation_card_case_id", "case_id", "overseer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    overseer_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_overseer.id"))
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("oversight_onsite_action.id"))
    version: Mapped[int] = mapped_column(default=1)
    # At most one amendment of each version: a card's history is a line, never a fork.
    amends_id: Mapped[int | None] = mapped_column(sa.ForeignKey("oversight_evaluation_card.id"), unique=True)
    status: Mapped[CardStatus] = mapped_column(enum_type(CardStatus), default=CardStatus.DRAFT)
    procedure: Mapped[Rating | None] = mapped_column(enum_type(Rating, name="procedure"))  # 规范执行
    civility: Mapped[Rating | None] = mapped_column(enum_type(Rating, name="civility"))  # 文明执法
    efficiency: Mapped[Rating | None] = mapped_column(enum_type(Rating, name="efficiency"))  # 执行效率
    integrity: Mapped[Rating | None] = mapped_column(enum_type(Rating, name="integrity"))  # 廉洁
    results: Mapped[Rating | None] = mapped_column(enum_type(Rating, name="results"))  # 执行效果
    overall: Mapped[Rating | None] = mapped_column(enum_type(Rating, name="overall"))
    witnessed_on_site: Mapped[bool] = mapped_column(default=False)
    spoke_with_parties: Mapped[bool] = mapped_column(default=False)
    comments: Mapped[str] = mapped_column(sa.Text, default="")
    suggestions: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    overseer: Mapped[Overseer] = relationship()
    action: Mapped[OnsiteAction | None] = relationship()
    answer: Mapped[CardAnswer | None] = relationship(back_populates="card", uselist=False)

    def ratings(self) -> dict[str, Rating | None]:
        return {name: getattr(self, name) for name in (*DIMENSIONS, "overall")}


class CardAnswer(Base):
    """The judge's answer (法官回复) to a submitted card's comments."""

    __tablename__ = "oversight_card_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_evaluation_card.id"), unique=True)
    text: Mapped[str] = mapped_column(sa.Text)
    answered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    card: Mapped[EvaluationCard] = relationship(back_populates="answer")
    answered_by: Mapped[Officer] = relationship()


class Question(Base):
    """A question to the judge (询问承办法官) from an overseer, and the judge's answer."""

    __tablename__ = "oversight_question"
    __table_args__ = (
        sa.Index("ix_oversight_question_case_id", "case_id", "id"),
        sa.Index("ix_oversight_question_open", "answered_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    overseer_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_overseer.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    overseer: Mapped[Overseer] = relationship()
    answered_by: Mapped[Officer | None] = relationship()


class PartyTalk(Base):
    """What an overseer learned from a party (向当事人了解情况), kept in the oversight file."""

    __tablename__ = "oversight_party_talk"
    __table_args__ = (sa.Index("ix_oversight_party_talk_case_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    overseer_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_overseer.id"))
    party_name: Mapped[str] = mapped_column(sa.String(100))
    talked_on: Mapped[datetime] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    overseer: Mapped[Overseer] = relationship()


class ClosureReport(Base):
    """The closure report (结案报告) a judge files for a supervised case once it closes."""

    __tablename__ = "oversight_closure_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"), unique=True)
    # The record as it stood when the report was filed: parties, measures with dates, amounts,
    # duration, closure mode (a report must not change when the register does later).
    facts: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    summary: Mapped[str] = mapped_column(sa.Text)
    response_to_cards: Mapped[str] = mapped_column(sa.Text)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    filed_by: Mapped[Officer] = relationship()
    acknowledgements: Mapped[list[Acknowledgement]] = relationship(
        back_populates="report", order_by="Acknowledgement.id"
    )


class Acknowledgement(Base):
    """An overseer's receipt of a closure report: read, acknowledged, with final remarks."""

    __tablename__ = "oversight_acknowledgement"
    __table_args__ = (sa.UniqueConstraint("report_id", "overseer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_closure_report.id"))
    overseer_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_overseer.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remarks: Mapped[str] = mapped_column(sa.Text, default="")

    report: Mapped[ClosureReport] = relationship(back_populates="acknowledgements")
    overseer: Mapped[Overseer] = relationship()
