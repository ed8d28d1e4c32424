"""Models of the court's reach into townships (执行+网格) and of judicial aid (司法救助)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publicity.core.models import Base, Officer, UTCDateTime, enum_type
from publicity.record.models import EnforcementCase, Party


class GridKind(enum.StrEnum):
    """A grid area's level: townships hold the grids where liaisons work."""

    TOWNSHIP = "township"  # 乡镇（街道）
    VILLAGE = "village"  # 村
    COMMUNITY = "community"  # 社区
    ENTERPRISE = "enterprise"  # 企业网格


class GridArea(Base):
    """A grid area (网格): a township, or a village, community or enterprise grid inside one."""

    __tablename__ = "publicity_grid_area"
    __table_args__ = (
        sa.UniqueConstraint("court_id", "parent_id", "name"),
        # Townships have no parent, and NULLs never collide in the constraint above: their names are kept unique
        # by a partial index, so two administrators adding the same township at once make one.
        sa.Index(
            "uq_publicity_grid_area_township_name",
            "court_id",
            "name",
            unique=True,
            sqlite_where=sa.text("parent_id IS NULL"),
            postgresql_where=sa.text("parent_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_grid_area.id"), index=True)
    kind: Mapped[GridKind] = mapped_column(enum_type(GridKind))
    name: Mapped[str] = mapped_column(sa.String(100))
    # The township's work station (工作站), where its liaisons are organised.
    station: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[GridArea | None] = relationship(remote_side="GridArea.id")

    @property
    def full_name(self) -> str:
        return f"{self.parent.name}·{self.name}" if self.parent else self.name


class Liaison(Base):
    """A grid liaison (网格员 / 执行联络员): a local helper of the court in one or more grids."""

    __tablename__ = "publicity_liaison"

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    notify_sms: Mapped[bool] = mapped_column(default=False)  # pushes also by SMS / email, if opted in
    notify_email: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    grids: Mapped[list[GridArea]] = relationship(secondary="publicity_liaison_grid", order_by="GridArea.name")


class LiaisonGrid(Base):
    """Which grids a liaison serves."""

    __tablename__ = "publicity_liaison_grid"

    liaison_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_liaison.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_grid_area.id"), primary_key=True, index=True)


class PartyLocation(Base):
    """The grid a party (usually a respondent) lives or does business in, chosen by staff from its address."""

    __tablename__ = "publicity_party_location"

    party_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_party.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_grid_area.id"), index=True)
    set_by: Mapped[str] = mapped_column(sa.String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())

    party: Mapped[Party] = relationship()
    grid: Mapped[GridArea] = relationship()


class PushEvent(enum.StrEnum):
    LISTED = "listed"  # 纳入失信名单
    RESTRICTED = "restricted"  # 限制消费
    BOUNTY = "bounty"  # 悬赏公告


class InboxItem(Base):
    """A push to a liaison's inbox: a respondent of their grid listed, restricted or in a bounty notice."""

    __tablename__ = "publicity_inbox_item"
    __table_args__ = (sa.Index("ix_publicity_inbox_item_liaison_id", "liaison_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    liaison_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_liaison.id"))
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_grid_area.id"))
    event: Mapped[PushEvent] = mapped_column(enum_type(PushEvent))
    case_number: Mapped[str] = mapped_column(sa.String(40))
    respondent: Mapped[str] = mapped_column(sa.String(100))
    object_id: Mapped[int] = mapped_column()  # the entry, order or notice
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    grid: Mapped[GridArea] = relationship()


class TaskKind(enum.StrEnum):
    SERVE = "serve"  # 送达文书
    LOCATE = "locate"  # 查找被执行人
    CHECK_ASSET = "check_asset"  # 核查财产
    MEDIATE = "mediate"  # 调解
    URGE = "urge"  # 督促履行


class TaskStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REPORTED = "reported"
    CLOSED = "closed"


class TaskOutcome(enum.StrEnum):
    DONE = "done"  # 已完成
    PARTLY = "partly"  # 部分完成
    NOT_POSSIBLE = "not_possible"  # 未能完成


class AssistanceTask(Base):
    """A judge's request to a grid's liaison (协助事项), the liaison's report, and the node it became."""

    __tablename__ = "publicity_assistance_task"
    __table_args__ = (
        sa.Index("ix_publicity_assistance_task_liaison_id", "liaison_id", "status"),
        sa.Index("ix_publicity_assistance_task_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_grid_area.id"))
    liaison_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_liaison.id"))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    kind: Mapped[TaskKind] = mapped_column(enum_type(TaskKind))
    instructions: Mapped[str] = mapped_column(sa.Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[TaskStatus] = mapped_column(enum_type(TaskStatus), default=TaskStatus.REQUESTED)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[TaskOutcome | None] = mapped_column(enum_type(TaskOutcome))
    report: Mapped[str] = mapped_column(sa.Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the liaison did it
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    attachment_name: Mapped[str] = mapped_column(sa.String(200), default="")
    attachment_type: Mapped[str] = mapped_column(sa.String(40), default="")
    attachment: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_case_node.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[EnforcementCase] = relationship()
    grid: Mapped[GridArea] = relationship()
    liaison: Mapped[Liaison] = relationship()
    requested_by: Mapped[Officer] = relationship()


class Hardship(enum.StrEnum):
    SUPPORT = "support"  # 赡养费、扶养费、抚养费
    WAGES = "wages"  # 劳动报酬
    INJURY = "injury"  # 人身损害赔偿
    OTHER = "other"


class AidStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    GRANTED = "granted"
    REFUSED = "refused"
    PAID = "paid"


class AidApplication(Base):
    """An applicant's application for judicial aid (司法救助) in a case whose respondent cannot pay.

    One application per applicant and case (``attempt`` 1); a later one (``attempt`` 2, 3, ...) only after the
    previous was decided and only with the change in circumstances it rests on. The unique index on (case, party,
    attempt) lets the database refuse a second application made at the same moment as the first.

    A decision is made by a judge of the court other than the case's judge (``reviewer_id``), dated when it was
    made. The payment is recorded here, from the aid fund to the applicant: it never enters the case funds.
    Applications paid before that rule carry the ledger entry they made (``fund_movement_id``); they are kept.
    """

    __tablename__ = "publicity_aid_application"
    __table_args__ = (
        sa.Index("ix_publicity_aid_application_case_id", "case_id"),
        sa.Index("ix_publicity_aid_application_status", "status", "review_due_at"),
        sa.UniqueConstraint("case_id", "party_id", "attempt", name="uq_publicity_aid_application_attempt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_party.id"))
    # The applicant's first (1), second (2) ... application in the case.
    attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    # What changed since the previous application was decided (required from the second one on).
    changed_circumstances: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    hardship: Mapped[Hardship] = mapped_column(enum_type(Hardship))
    household: Mapped[str] = mapped_column(sa.Text)  # the household's situation, as the applicant tells it
    amount_asked_fen: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[AidStatus] = mapped_column(enum_type(AidStatus), default=AidStatus.SUBMITTED)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the reviewer decided
    decided_by: Mapped[str] = mapped_column(sa.String(100), default="")
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    amount_granted_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    reasons: Mapped[str] = mapped_column(sa.Text, default="")  # a refusal's reasons, or the grounds of a grant
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the aid fund paid the applicant
    paid_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    payment_reference: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    paid_by: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")  # who recorded it
    payment_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fund_movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_fund_movement.id"))

    case: Mapped[EnforcementCase] = relationship()
    party: Mapped[Party] = relationship()
    reviewer: Mapped[Officer | None] = relationship()
    documents: Mapped[list[AidDocument]] = relationship(order_by="AidDocument.id")

    @property
    def aid_paid_fen(self) -> int | None:
        """The aid paid to the applicant (an application paid before ``paid_fen`` existed paid what was granted)."""
        if self.paid_at is None:
            return None
        return self.paid_fen if self.paid_fen is not None else self.amount_granted_fen


class AidDocument(Base):
    """A supporting document of an aid application (PDF or image, checked by content)."""

    __tablename__ = "publicity_aid_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_aid_application.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column()
