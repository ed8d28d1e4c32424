"""Shared declarative base, column types and the publicity package's models."""

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


class CaseStage(enum.StrEnum):
    """Where an enforcement case stands in the four-segment flow."""

    FILED = "filed"  # 立案
    SEARCH = "search"  # 集约查控
    IMPLEMENTATION = "implementation"  # 执行实施
    DISPOSAL = "disposal"  # 财产处置
    RULING = "ruling"  # 执行裁决 (only while an objection is open)
    TERMINATED = "terminated"  # 终结本次执行程序 (终本)
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
    TERMINATED = "terminated"  # 终本
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


class OutboxMessage(Base):
    """A notice waiting to be sent, written in the transaction of the change it reports."""

    __tablename__ = "publicity_outbox_message"
    __table_args__ = (sa.Index("ix_publicity_outbox_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
    kind: Mapped[str] = mapped_column(sa.String(40))  # what the message says, rendered at delivery
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


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a public holiday (法定节假日), also on a weekday
    WORKDAY = "workday"  # an adjusted working weekend day (调休上班)


class CalendarDay(Base):
    """An exception to the Monday-Friday week, maintained by the administrator per year."""

    __tablename__ = "publicity_calendar_day"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(enum_type(DayKind))


class ListingGround(enum.StrEnum):
    """Art. 1 of the SPC defaulter-list provisions: why a respondent is listed."""

    ABLE_BUT_REFUSES = "1"  # 有履行能力而拒不履行
    OBSTRUCTS = "2"  # 以伪造证据、暴力、威胁等方法妨碍、抗拒执行
    EVADES = "3"  # 以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行
    ASSET_REPORT = "4"  # 违反财产报告制度
    RESTRICTION_BREACH = "5"  # 违反限制消费令
    SETTLEMENT_BREACH = "6"  # 无正当理由拒不履行执行和解协议


class Performance(enum.StrEnum):
    NONE = "none"  # 全部未履行
    PARTIAL = "partial"  # 部分未履行


class RemovalReason(enum.StrEnum):
    """Art. 10 grounds for deleting an entry, plus the end of its term and revocation of a wrong listing."""

    PERFORMED = "performed"  # 全部履行
    SETTLEMENT_PERFORMED = "settlement_performed"  # 和解协议履行完毕
    APPLICANT_REQUEST = "applicant_request"  # 申请执行人书面申请
    NO_PROPERTY = "no_property"  # 终本后两次查询无财产且无线索
    SUSPENDED = "suspended"  # 因再审或破产中止执行
    NOT_ENFORCED = "not_enforced"  # 不予执行
    TERMINATED = "terminated"  # 终结执行
    TERM_ENDED = "term_ended"  # 期限届满
    REVOKED = "revoked"  # 错误纳入，予以撤销


class DefaulterEntry(Base):
    """An entry of the list of dishonest judgment defaulters (失信被执行人名单)."""

    __tablename__ = "publicity_defaulter_entry"
    __table_args__ = (
        # Every search mode is an index range scan in (key, id) order: no sort, no deep OFFSET.
        sa.Index("ix_publicity_defaulter_entry_name_id", "name", "id"),
        sa.Index("ix_publicity_defaulter_entry_pinyin_id", "name_pinyin", "id"),
        sa.Index("ix_publicity_defaulter_entry_initials_id", "name_initials", "id"),
        sa.Index("ix_publicity_defaulter_entry_case_number", "case_number"),
        sa.Index("ix_publicity_defaulter_entry_expires_at", "expires_at"),
        sa.Index("ix_publicity_defaulter_entry_id_hash", "id_hash"),
        sa.Index("ix_publicity_defaulter_entry_id_masked", "id_masked"),
        # The removal worklist: partial, so it holds only the few entries awaiting removal. A full
        # index on removed_at (NULL for nearly every entry) lured SQLite's planner, without ANALYZE
        # statistics, into scanning the whole list for every public search.
        sa.Index(
            "ix_publicity_defaulter_entry_removal",
            "court_id",
            "removal_due",
            sqlite_where=sa.text("removal_ground_at IS NOT NULL AND removed_at IS NULL"),
            postgresql_where=sa.text("removal_ground_at IS NOT NULL AND removed_at IS NULL"),
        ),
        # Removals per year on the dashboard: partial (removed entries only), so the public searches,
        # which ask for removed_at IS NULL, are never tempted by it.
        sa.Index(
            "ix_publicity_defaulter_entry_removed_at",
            "removed_at",
            sqlite_where=sa.text("removed_at IS NOT NULL"),
            postgresql_where=sa.text("removed_at IS NOT NULL"),
        ),
        # One entry per respondent and case: re-importing a file adds nothing twice.
        sa.UniqueConstraint("case_number", "id_hash", name="uq_publicity_defaulter_entry_case_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"))
    case_number: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind))
    name: Mapped[str] = mapped_column(sa.String(100))
    name_pinyin: Mapped[str] = mapped_column(sa.String(200))
    name_initials: Mapped[str] = mapped_column(sa.String(60))
    sex: Mapped[str] = mapped_column(sa.String(8), default="")
    age: Mapped[int | None] = mapped_column()
    id_number: Mapped[str] = mapped_column(sa.String(18))  # staff only; public pages show id_masked
    id_hash: Mapped[str] = mapped_column(sa.String(64))
    id_masked: Mapped[str] = mapped_column(sa.String(18))
    legal_representative: Mapped[str] = mapped_column(sa.String(50), default="")
    province: Mapped[str] = mapped_column(sa.String(20))
    basis_number: Mapped[str] = mapped_column(sa.String(60))
    basis_issuer: Mapped[str] = mapped_column(sa.String(100))
    obligation: Mapped[str] = mapped_column(sa.Text)
    performance: Mapped[Performance] = mapped_column(enum_type(Performance))
    performed_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    unperformed_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    ground: Mapped[ListingGround] = mapped_column(enum_type(ListingGround))
    circumstance: Mapped[str] = mapped_column(sa.Text)
    filed_on: Mapped[date] = mapped_column(sa.Date)
    decided_on: Mapped[date] = mapped_column(sa.Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # after any grace period
    term_months: Mapped[int | None] = mapped_column()  # None: no fixed term (ground 1)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removal_reason: Mapped[RemovalReason | None] = mapped_column(enum_type(RemovalReason))
    removal_ground_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removal_due: Mapped[date | None] = mapped_column(sa.Date)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    court: Mapped[Court] = sa.orm.relationship()


class CorrectionGround(enum.StrEnum):
    """Arts. 11-12: why the listed person asks for a correction."""

    SHOULD_NOT_BE_LISTED = "should_not_be_listed"  # 不应纳入
    INFORMATION_WRONG = "information_wrong"  # 记载有误
    SHOULD_BE_REMOVED = "should_be_removed"  # 应当删除


class CorrectionStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CorrectionRequest(Base):
    """A correction request (纠正申请) against a published defaulter entry, reviewed within 15 days."""

    __tablename__ = "publicity_correction_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_defaulter_entry.id"), index=True)
    ground: Mapped[CorrectionGround] = mapped_column(enum_type(CorrectionGround))
    statement: Mapped[str] = mapped_column(sa.Text)
    requester_name: Mapped[str] = mapped_column(sa.String(100))
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    attachment_name: Mapped[str] = mapped_column(sa.String(200), default="")
    attachment_type: Mapped[str] = mapped_column(sa.String(40), default="")
    # Kept in the database so every machine of the portal can serve it to the reviewing judge.
    attachment: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    status: Mapped[CorrectionStatus] = mapped_column(enum_type(CorrectionStatus), default=CorrectionStatus.PENDING)
    review_due: Mapped[date] = mapped_column(sa.Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reasons: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entry: Mapped[DefaulterEntry] = sa.orm.relationship()


class RestrictedItem(enum.StrEnum):
    """The nine consumption items a restriction order (限制消费令) forbids (SPC 2015, art. 3)."""

    FLIGHTS = "flights"  # 乘坐交通工具时，选择飞机、列车软卧、轮船二等以上舱位
    LUXURY_VENUES = "luxury_venues"  # 在星级以上宾馆、酒店、夜总会、高尔夫球场等场所进行高消费
    REAL_ESTATE = "real_estate"  # 购买不动产或者新建、扩建、高档装修房屋
    OFFICES = "offices"  # 租赁高档写字楼、宾馆、公寓等场所办公
    VEHICLES = "vehicles"  # 购买非经营必需车辆
    TRAVEL = "travel"  # 旅游、度假
    PRIVATE_SCHOOLS = "private_schools"  # 子女就读高收费私立学校
    INSURANCE = "insurance"  # 支付高额保费购买保险理财产品
    HIGH_SPEED_RAIL = "high_speed_rail"  # 乘坐G字头动车组列车全部座位、其他动车组列车一等以上座位


class BoundRole(enum.StrEnum):
    """Who an order against an entity also binds."""

    LEGAL_REPRESENTATIVE = "legal_representative"  # 法定代表人
    MAIN_RESPONSIBLE = "main_responsible"  # 主要负责人
    DIRECTLY_RESPONSIBLE = "directly_responsible"  # 影响债务履行的直接责任人员
    ACTUAL_CONTROLLER = "actual_controller"  # 实际控制人


class LiftReason(enum.StrEnum):
    """Why a restriction order (or one bound person's restriction) was lifted."""

    PERFORMED = "performed"  # 履行完毕
    GUARANTEE = "guarantee"  # 提供确实有效的担保
    APPLICANT_CONSENT = "applicant_consent"  # 申请执行人同意
    FORMER_REPRESENTATIVE = "former_representative"  # 原法定代表人，非实际控制人或责任人


class RestrictionOrder(Base):
    """A consumption restriction order (限制消费令) against a respondent; public while not lifted."""

    __tablename__ = "publicity_restriction_order"
    __table_args__ = (
        sa.Index("ix_publicity_restriction_order_name_id", "name", "id"),
        sa.Index("ix_publicity_restriction_order_pinyin_id", "name_pinyin", "id"),
        sa.Index("ix_publicity_restriction_order_initials_id", "name_initials", "id"),
        sa.Index("ix_publicity_restriction_order_case_number", "case_number"),
        sa.Index("ix_publicity_restriction_order_id_hash", "id_hash"),
        sa.Index("ix_publicity_restriction_order_id_masked", "id_masked"),
        sa.Index("ix_publicity_restriction_order_court_id_id", "court_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"), index=True)
    case_number: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind))
    name: Mapped[str] = mapped_column(sa.String(100))
    name_pinyin: Mapped[str] = mapped_column(sa.String(200))
    name_initials: Mapped[str] = mapped_column(sa.String(60))
    id_number: Mapped[str] = mapped_column(sa.String(18))  # staff only
    id_hash: Mapped[str] = mapped_column(sa.String(64))
    id_masked: Mapped[str] = mapped_column(sa.String(18))
    items: Mapped[list[str]] = mapped_column(sa.JSON)  # RestrictedItem values
    issued_on: Mapped[date] = mapped_column(sa.Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    lift_reason: Mapped[LiftReason | None] = mapped_column(enum_type(LiftReason))
    lift_note: Mapped[str] = mapped_column(sa.Text, default="")
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by: Mapped[str] = mapped_column(sa.String(100), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    court: Mapped[Court] = sa.orm.relationship()
    case: Mapped[EnforcementCase] = sa.orm.relationship()
    bound_persons: Mapped[list[RestrictionBoundPerson]] = sa.orm.relationship(
        back_populates="order", order_by="RestrictionBoundPerson.id"
    )


class RestrictionBoundPerson(Base):
    """A person an order against an entity also binds (may be lifted alone: a former legal representative)."""

    __tablename__ = "publicity_restriction_bound_person"
    __table_args__ = (
        sa.Index("ix_publicity_restriction_bound_person_name", "name"),
        sa.Index("ix_publicity_restriction_bound_person_pinyin", "name_pinyin"),
        sa.Index("ix_publicity_restriction_bound_person_initials", "name_initials"),
        sa.Index("ix_publicity_restriction_bound_person_id_hash", "id_hash"),
        sa.Index("ix_publicity_restriction_bound_person_id_masked", "id_masked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_restriction_order.id"), index=True)
    role: Mapped[BoundRole] = mapped_column(enum_type(BoundRole))
    name: Mapped[str] = mapped_column(sa.String(50))
    name_pinyin: Mapped[str] = mapped_column(sa.String(200))
    name_initials: Mapped[str] = mapped_column(sa.String(60))
    id_number: Mapped[str] = mapped_column(sa.String(18), default="")  # staff only
    id_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    id_masked: Mapped[str] = mapped_column(sa.String(18), default="")
    lift_reason: Mapped[LiftReason | None] = mapped_column(enum_type(LiftReason, name="bound_lift_reason"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order: Mapped[RestrictionOrder] = sa.orm.relationship(back_populates="bound_persons")


class RewardKind(enum.StrEnum):
    FIXED = "fixed"  # a fixed sum (e.g. for whereabouts)
    PERCENTAGE = "percentage"  # a share of what the lead recovers


class BountyStatus(enum.StrEnum):
    APPLIED = "applied"  # 申请悬赏, the court decides within 10 days
    REJECTED = "rejected"
    PUBLISHED = "published"  # 悬赏公告 published
    CLOSED = "closed"  # closed with the case, or withdrawn


class BountyNotice(Base):
    """An applicant's bounty application and, once granted, the public notice (悬赏公告)."""

    __tablename__ = "publicity_bounty_notice"
    __table_args__ = (
        sa.Index("ix_publicity_bounty_notice_name_id", "respondent_name", "id"),
        sa.Index("ix_publicity_bounty_notice_pinyin_id", "name_pinyin", "id"),
        sa.Index("ix_publicity_bounty_notice_initials_id", "name_initials", "id"),
        sa.Index("ix_publicity_bounty_notice_status", "status", "id"),
        sa.Index("ix_publicity_bounty_notice_court_status", "court_id", "status", "decision_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_enforcement_case.id"), index=True)
    case_number: Mapped[str] = mapped_column(sa.String(40), index=True)
    applicant_party_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_party.id"))
    respondent_party_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_party.id"))
    respondent_kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind))
    respondent_name: Mapped[str] = mapped_column(sa.String(100))
    name_pinyin: Mapped[str] = mapped_column(sa.String(200))
    name_initials: Mapped[str] = mapped_column(sa.String(60))
    id_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    id_masked: Mapped[str] = mapped_column(sa.String(18))
    reward_kind: Mapped[RewardKind] = mapped_column(enum_type(RewardKind))
    reward_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # FIXED
    reward_basis_points: Mapped[int | None] = mapped_column()  # PERCENTAGE: 500 = 5 %
    reward_cap_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # PERCENTAGE: optional ceiling
    conditions: Mapped[str] = mapped_column(sa.Text)  # the conditions of the reward, published
    channels: Mapped[str] = mapped_column(sa.Text, default="")  # where the applicant asks it be published
    status: Mapped[BountyStatus] = mapped_column(enum_type(BountyStatus), default=BountyStatus.APPLIED)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decision_due: Mapped[date] = mapped_column(sa.Date)  # 10 days (arts. 21-22)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str] = mapped_column(sa.String(100), default="")
    decision_reasons: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    court: Mapped[Court] = sa.orm.relationship()
    case: Mapped[EnforcementCase] = sa.orm.relationship()
    applicant: Mapped[Party] = sa.orm.relationship(foreign_keys=[applicant_party_id])
    respondent: Mapped[Party] = sa.orm.relationship(foreign_keys=[respondent_party_id])


class BountyClue(Base):
    """A lead (线索) a member of the public gave on a published notice, in arrival order.

    The informant's name and contacts are seen by the case's judge only."""

    __tablename__ = "publicity_bounty_clue"
    __table_args__ = (sa.Index("ix_publicity_bounty_clue_notice_id_id", "notice_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_bounty_notice.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    informant_name: Mapped[str] = mapped_column(sa.String(100), default="")  # empty: anonymous
    informant_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    informant_email: Mapped[str] = mapped_column(sa.String(254), default="")
    attachment_name: Mapped[str] = mapped_column(sa.String(200), default="")
    attachment_type: Mapped[str] = mapped_column(sa.String(40), default="")
    attachment: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    notice: Mapped[BountyNotice] = sa.orm.relationship()


class RewardPayment(Base):
    """A reward paid to an informant for a lead that led to recovery."""

    __tablename__ = "publicity_reward_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_bounty_notice.id"), index=True)
    clue_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_bounty_clue.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    paid_on: Mapped[date] = mapped_column(sa.Date)
    recorded_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    clue: Mapped[BountyClue] = sa.orm.relationship()


class ExposureChannel(enum.StrEnum):
    """Where the court exposed a defaulter (曝光渠道)."""

    WEBSITE = "website"  # 法院网站
    WECHAT = "wechat"  # 微信公众号
    TV = "tv"  # 电视台
    NEWSPAPER = "newspaper"  # 报纸
    SCREEN = "screen"  # 户外大屏


class ExposureFeature(Base):
    """An entry of the court's exposure board (曝光台): a published defaulter entry or restriction order
    staff chose to feature, with the channels and date of exposure. Shown only while its item is public."""

    __tablename__ = "publicity_exposure_feature"
    __table_args__ = (
        sa.CheckConstraint("(defaulter_entry_id IS NULL) <> (restriction_order_id IS NULL)", name="one_item"),
        sa.Index("ix_publicity_exposure_feature_court_id_id", "court_id", "id"),
        # An item is on the board once: two staff featuring it at the same moment are decided by the database.
        sa.Index(
            "uq_publicity_exposure_feature_active_entry",
            "defaulter_entry_id",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL AND defaulter_entry_id IS NOT NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL AND defaulter_entry_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_publicity_exposure_feature_active_order",
            "restriction_order_id",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL AND restriction_order_id IS NOT NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL AND restriction_order_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(sa.ForeignKey("publicity_court.id"))
    defaulter_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("publicity_defaulter_entry.id"), index=True)
    restriction_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("publicity_restriction_order.id"), index=True
    )
    channels: Mapped[list[str]] = mapped_column(sa.JSON)  # ExposureChannel values
    exposed_on: Mapped[date] = mapped_column(sa.Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entry: Mapped[DefaulterEntry | None] = sa.orm.relationship()
    order: Mapped[RestrictionOrder | None] = sa.orm.relationship()


class ListVersion(Base):
    """A counter bumped in the transaction of every change to what a public list shows, so cached
    search results can tell they are stale (time-driven changes — a publication after its grace
    period, an expiry — are covered by the cache's own deadline)."""

    __tablename__ = "publicity_list_version"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class StatsSnapshot(Base):
    """The dashboard's figures as computed (JSON), kept for the day while the record is unchanged:
    every process and machine reads the same copy."""

    __tablename__ = "publicity_stats_snapshot"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)  # e.g. dashboard:1:2026
    version: Mapped[int] = mapped_column(sa.BigInteger)  # the audit fingerprint it was computed at
    day: Mapped[date] = mapped_column(sa.Date)  # the court's day it was computed on
    payload: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
