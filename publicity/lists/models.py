"""The models of the public lists: defaulter entries (失信) and correction requests, consumption restriction orders
(限制消费令), bounty notices (悬赏) with clues and rewards, the exposure board, and the lists' cache versions.

Why it is long: it holds the tables of four lists and the exposure board; each area's models are in a module of its
own.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from publicity.core.models import Base, Court, UTCDateTime, enum_type
from publicity.record.models import EnforcementCase, Party, PartyKind


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
    TERMINATION = "terminated"  # 终结执行
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
