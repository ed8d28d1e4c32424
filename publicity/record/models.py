"""The models of the case record: cases, parties and nodes (案件节点), case funds and payouts (执行案款), notice
subscriptions and the outbox."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from publicity.core.models import Base, Court, Officer, UTCDateTime, enum_type


class CaseStage(enum.StrEnum):
    """Where an enforcement case stands in the four-segment flow."""

    FILED = "filed"  # 立案
    SEARCH = "search"  # 集约查控
    IMPLEMENTATION = "implementation"  # 执行实施
    DISPOSAL = "disposal"  # 财产处置
    RULING = "ruling"  # 执行裁决 (only while an objection is open)
    TERMINATED_THIS_ROUND = "terminated"  # 终结本次执行程序 (终本)
    CLOSED = "closed"  # 结案


class ClosureMode(enum.StrEnum):
    """How an enforcement case was closed (结案方式)."""

    FULLY_PERFORMED = "fully_performed"  # 执行完毕
    TERMINATED_THIS_ROUND = "terminated_this_round"  # 终结本次执行程序
    TERMINATION = "termination"  # 终结执行
    WITHDRAWN = "withdrawn"  # 销案
    NOT_ENFORCED = "not_enforced"  # 不予执行
    REJECTED = "rejected"  # 驳回申请


class NodeType(enum.StrEnum):
    """Kinds of case node (案件节点)."""

    FILED = "filed"
    JUDGE_ASSIGNED = "judge_assigned"
    SEARCH_STARTED = "search_started"
    SEARCH_COMPLETED = "search_completed"
    NOTICE_SERVED = "notice_served"  # 执行通知书
    ASSET_REPORT_ORDERED = "asset_report_ordered"  # 报告财产令
    TEAM_ASSIGNED = "team_assigned"
    SEIZURE = "seizure"  # 查封
    IMPOUND = "impound"  # 扣押
    FREEZE = "freeze"  # 冻结
    DEDUCTION = "deduction"  # 划拨
    APPRAISAL = "appraisal"  # 评估
    AUCTION_LISTED = "auction_listed"  # 网络拍卖
    AUCTION_SOLD = "auction_sold"  # 成交
    FUNDS_IN = "funds_in"  # 案款到账
    FUNDS_OUT = "funds_out"  # 案款发放
    FINE = "fine"  # 罚款
    DETENTION = "detention"  # 司法拘留
    CONSUMPTION_RESTRICTION = "consumption_restriction"  # 限制消费
    DEFAULTER_LISTING = "defaulter_listing"  # 纳入失信名单
    OBJECTION_FILED = "objection_filed"  # 执行异议
    OBJECTION_RULED = "objection_ruled"  # 异议裁定
    SETTLEMENT = "settlement"  # 执行和解
    APPLICANT_HEARD = "applicant_heard"  # 听取申请执行人意见
    TERMINATED_THIS_ROUND = "terminated"  # 终本
    PERIODIC_SEARCH = "periodic_search"  # 终本后定期网络查控
    RESUMED = "resumed"  # 恢复执行
    CLOSED = "closed"  # 结案
    CORRECTION = "correction"  # 更正
    GRID_ASSISTANCE = "grid_assistance"  # 网格员协助


class CorrectionKind(enum.StrEnum):
    """What a correction (更正) of a node does; each carries a reason, shown wherever the node is."""

    WORDING = "wording"  # the public wording is replaced
    REDATE = "redate"  # the node happened at another time than entered
    VOID = "void"  # the node was entered in error: it no longer counts anywhere


class SearchTarget(enum.StrEnum):
    """What a network search (网络查控) looks for."""

    PERSON = "person"
    VEHICLE = "vehicle"
    DEPOSITS = "deposits"
    BUSINESS = "business"
    REAL_ESTATE = "real_estate"


class PartySide(enum.StrEnum):
    APPLICANT = "applicant"  # 申请执行人
    RESPONDENT = "respondent"  # 被执行人


class PartyKind(enum.StrEnum):
    PERSON = "person"
    ENTITY = "entity"


class EnforcementCase(Base):
    """An enforcement case (执行案件)."""

    __tablename__ = "publicity_enforcement_case"
    __table_args__ = (
        sa.Index("ix_publicity_enforcement_case_court_stage", "court_id", "stage"),
        sa.Index("ix_publicity_enforcement_case_court_due", "court_id", "next_due_at"),
        # "Not resumed" (the 终本 list) and following a resumed case back to its origin.
        sa.Index("ix_publicity_enforcement_case_resumed_from_id", "resumed_from_id"),
        # The dashboard: cases filed and closed in a period, per court.
        sa.Index("ix_publicity_enforcement_case_court_filed", "court_id", "filed_at"),
        sa.Index("ix_publicity_enforcement_case_court_closed", "court_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"))
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)  # canonical 案号
    year: Mapped[int] = mapped_column()
    case_type: Mapped[str] = mapped_column(sa.String(4))
    serial: Mapped[int] = mapped_column()
    basis_issuer: Mapped[str] = mapped_column(sa.String(100))  # 做出执行依据单位
    basis_number: Mapped[str] = mapped_column(sa.String(60))  # 执行依据文号
    amount_applied_fen: Mapped[int] = mapped_column(sa.BigInteger)  # 申请执行标的
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    judge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_officer.id"))
    team: Mapped[str] = mapped_column(sa.String(50), default="")
    hard_case: Mapped[bool] = mapped_column(default=False)  # 骨头案
    stage: Mapped[CaseStage] = mapped_column(enum_type(CaseStage), default=CaseStage.FILED)
    stage_before_ruling: Mapped[CaseStage | None] = mapped_column(enum_type(CaseStage, name="stage_before_ruling"))
    closure_mode: Mapped[ClosureMode | None] = mapped_column(enum_type(ClosureMode))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resumed_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    # The earliest due date still open: kept with the nodes so "overdue" is one indexed query.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by every fund movement: its row lock serialises balance checks.
    funds_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    court: Mapped[Court] = sa.orm.relationship()
    judge: Mapped[Officer | None] = sa.orm.relationship()
    parties: Mapped[list[Party]] = sa.orm.relationship(back_populates="case", order_by="Party.id")


class Party(Base):
    """A party (当事人) to an enforcement case: an applicant or a respondent."""

    __tablename__ = "publicity_party"
    # The 终本 list's search by a respondent's name (a prefix, as a range).
    __table_args__ = (sa.Index("ix_publicity_party_side_name", "side", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"), index=True)
    side: Mapped[PartySide] = mapped_column(enum_type(PartySide))
    kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind))
    name: Mapped[str] = mapped_column(sa.String(100))
    sex: Mapped[str] = mapped_column(sa.String(8), default="")  # "male" / "female" for persons
    id_number: Mapped[str] = mapped_column(sa.String(18), default="")
    credit_code: Mapped[str] = mapped_column(sa.String(18), default="")
    legal_representative: Mapped[str] = mapped_column(sa.String(50), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    query_code_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    query_code_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[EnforcementCase] = sa.orm.relationship(back_populates="parties")


class CaseNode(Base):
    """A case node (案件节点): one step of the case, public text for the parties, append-only."""

    __tablename__ = "publicity_case_node"
    __table_args__ = (
        sa.Index("ix_publicity_case_node_case_id_id", "case_id", "id"),
        # The dashboard counts a year's measures by when they happened ...
        sa.Index("ix_publicity_case_node_occurred_at", "occurred_at"),
        # ... and asks whether a closed case had a settlement: one probe per case (SQLite) or
        # the set of cases with one, read from the index (PostgreSQL's hashed subplan).
        sa.Index("ix_publicity_case_node_case_id_node_type", "case_id", "node_type"),
        sa.Index("ix_publicity_case_node_node_type_case_id", "node_type", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    node_type: Mapped[NodeType] = mapped_column(enum_type(NodeType))
    # When it happened, as staff entered it (checked against now, the filing and what it depends on); a
    # re-dating correction moves it and keeps the replaced time. ``created_at`` is when it was recorded.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    public_text: Mapped[str] = mapped_column(sa.Text, default="")
    internal_note: Mapped[str] = mapped_column(sa.Text, default="")  # never shown to parties
    # The court may share the internal note with the case's invited overseers (never with parties).
    note_shared: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    search_target: Mapped[SearchTarget | None] = mapped_column(enum_type(SearchTarget))
    closure_mode: Mapped[ClosureMode | None] = mapped_column(enum_type(ClosureMode))
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_case_node.id"))
    # On a correction: what it does, why (public), and for a re-dating the time it replaced.
    correction_kind: Mapped[CorrectionKind | None] = mapped_column(enum_type(CorrectionKind))
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    previous_occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # On a node voided by a correction: that correction. Set once, by a guarded UPDATE (see cases.correct_node);
    # a voided node drops out of the stage, the transition checks, the deadlines and the figures.
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_case_node.id"))
    linked_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    author: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    corrects: Mapped[CaseNode | None] = sa.orm.relationship(remote_side="CaseNode.id", foreign_keys=[corrects_id])
    linked_case: Mapped[EnforcementCase | None] = sa.orm.relationship(foreign_keys=[linked_case_id])


class FundDirection(enum.StrEnum):
    IN = "in"  # 案款到账
    OUT = "out"  # 案款发放


class FundSource(enum.StrEnum):
    """Where money received came from: the enforcement itself, or judicial aid (司法救助) — which is
    help for the applicant, not recovery from the respondent, and is counted apart."""

    ENFORCEMENT = "enforcement"
    JUDICIAL_AID = "judicial_aid"


class PayeeKind(enum.StrEnum):
    """To whom and why a payout (发放) goes."""

    APPLICANT = "applicant"  # 发放申请执行人
    RESPONDENT = "respondent"  # 退还被执行人 (a refund of what was more than owed)
    COSTS = "costs"  # 执行费用 (appraisal, auction, the court's fees)


class FundMovement(Base):
    """Money received or paid out on a case (案款), in integer fen: a ledger, never edited.

    A movement entered in error is reversed (红字冲销) by a second movement of the same direction, source and
    time with the opposite (negative) amount, pointing at it with a reason: every sum of the ledger (the balance,
    money recovered, the dashboard's year) nets it out, and each movement is reversed at most once (the unique
    ``reverses_id``)."""

    __tablename__ = "publicity_fund_movement"
    __table_args__ = (
        sa.Index("ix_publicity_fund_movement_occurred_at", "occurred_at"),  # the dashboard's year
        # A case's movements; the dashboard sums a closed case's receipts from the index alone.
        sa.Index("ix_publicity_fund_movement_case_receipts", "case_id", "direction", "source", "amount_fen"),
        # A movement is positive; a reversal, and only a reversal, is negative.
        sa.CheckConstraint(
            "(reverses_id IS NULL AND amount_fen > 0) OR (reverses_id IS NOT NULL AND amount_fen < 0)", name="sign"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    direction: Mapped[FundDirection] = mapped_column(enum_type(FundDirection))
    counterparty: Mapped[str] = mapped_column(sa.String(100))  # payer or payee
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    source: Mapped[FundSource] = mapped_column(
        enum_type(FundSource), default=FundSource.ENFORCEMENT, server_default=FundSource.ENFORCEMENT.value
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    # A payout's split: the kind of payee, the party paid (applicant or respondent) and what for. Empty on
    # receipts, and on payouts recorded before the ledger asked (revision 0012 does not rewrite them).
    payee_kind: Mapped[PayeeKind | None] = mapped_column(enum_type(PayeeKind))
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_party.id"))
    purpose: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # On a reversal: the movement it reverses (unique: at most once) and why.
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_fund_movement.id"), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    author: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    party: Mapped[Party | None] = sa.orm.relationship()


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"  # applied for, waiting for a second officer
    APPROVED = "approved"  # approved: the payout is in the ledger
    REJECTED = "rejected"


class PayoutApplication(Base):
    """An application to pay out case money above the court's threshold (执行款发放审批): the handling officer
    applies, a judge other than them approves or rejects it, once (a guarded UPDATE); only an approved
    application moves money, at the time of approval."""

    __tablename__ = "publicity_payout_application"
    __table_args__ = (
        sa.Index("ix_publicity_payout_application_case_id", "case_id", "status"),
        sa.Index("ix_publicity_payout_application_status", "status", "case_id"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint(
            "(status = 'approved' AND movement_id IS NOT NULL) OR (status <> 'approved' AND movement_id IS NULL)",
            name="approved_movement",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    payee_kind: Mapped[PayeeKind] = mapped_column(enum_type(PayeeKind))
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_party.id"))
    counterparty: Mapped[str] = mapped_column(sa.String(100))
    purpose: Mapped[str] = mapped_column(sa.String(200))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[PayoutStatus] = mapped_column(enum_type(PayoutStatus), default=PayoutStatus.PENDING)
    applied_by: Mapped[str] = mapped_column(sa.String(100))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    movement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_fund_movement.id"), unique=True)

    case: Mapped[EnforcementCase] = sa.orm.relationship()
    party: Mapped[Party | None] = sa.orm.relationship()


class PayoutDelay(Base):
    """A judge's approval, with its reason, that a receipt is paid out later than the court's payout days
    (a pending objection, a distribution among creditors): the receipt's clock is then not overdue."""

    __tablename__ = "publicity_payout_delay"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_fund_movement.id"), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    approved_by: Mapped[str] = mapped_column(sa.String(100))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class SubscriptionTopic(enum.StrEnum):
    """What a party's subscription reports."""

    NODES = "nodes"  # new public case nodes
    LISTINGS = "listings"  # (applicants) the respondent listed, removed, restricted, restriction lifted


class NoticeSubscription(Base):
    """A party's opt-in to hear of new public nodes by SMS or email."""

    __tablename__ = "publicity_notice_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"), index=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_party.id"))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    address: Mapped[str] = mapped_column(sa.String(254))
    topic: Mapped[SubscriptionTopic] = mapped_column(
        enum_type(SubscriptionTopic), default=SubscriptionTopic.NODES, server_default=SubscriptionTopic.NODES.value
    )
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class NoticeKind(enum.StrEnum):
    """What an outbox message says (its parameters are shaped by the kind); portal.adapters.notify has one renderer
    per kind, and the column admits no other value."""

    CASE_NODE = "case_node"
    SUBSCRIBED = "subscribed"
    CORRECTION_DECIDED = "correction_decided"
    LISTING_EVENT = "listing_event"
    OVERSIGHT_INVITATION = "oversight_invitation"
    ONSITE_SCHEDULED = "onsite_scheduled"
    ONSITE_REMINDER = "onsite_reminder"
    ONSITE_CANCELLED = "onsite_cancelled"
    ONSITE_RESCHEDULED = "onsite_rescheduled"
    CARD_ANSWERED = "card_answered"
    QUESTION_ANSWERED = "question_answered"
    CLOSURE_REPORT = "closure_report"
    GRID_PUSH = "grid_push"
    GRID_TASK = "grid_task"
    AID_DECIDED = "aid_decided"
    AID_PAID = "aid_paid"


class OutboxMessage(Base):
    """A notice waiting to be sent, written in the transaction of the change it reports."""

    __tablename__ = "publicity_outbox_message"
    __table_args__ = (sa.Index("ix_publicity_outbox_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind, length=40))  # rendered at delivery
    params: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    status: Mapped[OutboxStatus] = mapped_column(enum_type(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(sa.String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
