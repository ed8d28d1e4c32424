"""Names of domain values in the visitor's language (the domain keeps codes, the web shows words).

Why it is long: it is tables: the label of every member of every enum the pages show, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from oversight.models import AttendanceResponse, OnsiteMeasure, OverseerKind, OverseerLevel, Rating
from publicity.core.errors import DomainError, TerminationNotAllowed
from publicity.lists.models import (
    BoundRole,
    BountyStatus,
    CorrectionGround,
    CorrectionStatus,
    ExposureChannel,
    LiftReason,
    ListingGround,
    Performance,
    RemovalReason,
    RestrictedItem,
    RewardKind,
)
from publicity.outreach.models import AidStatus, GridKind, Hardship, PushEvent, TaskKind, TaskOutcome, TaskStatus
from publicity.record.deadlines import Deadline, DeadlineKind, DeadlineStatus
from publicity.record.funds import ClockStatus
from publicity.record.models import (
    CaseStage,
    Channel,
    ClosureMode,
    CorrectionKind,
    FundDirection,
    FundSource,
    NodeType,
    PartyKind,
    PartySide,
    PayeeKind,
    PayoutStatus,
    SearchTarget,
    SubscriptionTopic,
)

STAGES = {
    CaseStage.FILED: _l("Newly filed"),
    CaseStage.SEARCH: _l("Centralised asset search"),
    CaseStage.IMPLEMENTATION: _l("Implementation"),
    CaseStage.DISPOSAL: _l("Property disposal"),
    CaseStage.RULING: _l("Objection ruling"),
    CaseStage.TERMINATED_THIS_ROUND: _l("Terminated this round (终本)"),
    CaseStage.CLOSED: _l("Closed"),
}

CLOSURE_MODES = {
    ClosureMode.FULLY_PERFORMED: _l("Fully performed"),
    ClosureMode.TERMINATED_THIS_ROUND: _l("Terminated this round (终本)"),
    ClosureMode.TERMINATION: _l("Enforcement terminated"),
    ClosureMode.WITHDRAWN: _l("Case withdrawn"),
    ClosureMode.NOT_ENFORCED: _l("Not enforced"),
    ClosureMode.REJECTED: _l("Application rejected"),
}

CORRECTION_KINDS = {
    CorrectionKind.WORDING: _l("The wording is wrong"),
    CorrectionKind.REDATE: _l("The date or time is wrong"),
    CorrectionKind.VOID: _l("Entered in error: void it"),
}

NODE_TYPES = {
    NodeType.FILED: _l("Case filed"),
    NodeType.JUDGE_ASSIGNED: _l("Judge assigned"),
    NodeType.SEARCH_STARTED: _l("Online asset search started"),
    NodeType.SEARCH_COMPLETED: _l("Online asset search completed"),
    NodeType.NOTICE_SERVED: _l("Enforcement notice served"),
    NodeType.ASSET_REPORT_ORDERED: _l("Order to report property served"),
    NodeType.TEAM_ASSIGNED: _l("Handed to an implementation team"),
    NodeType.SEIZURE: _l("Property seized"),
    NodeType.IMPOUND: _l("Property impounded"),
    NodeType.FREEZE: _l("Assets frozen"),
    NodeType.DEDUCTION: _l("Funds deducted"),
    NodeType.APPRAISAL: _l("Property appraised"),
    NodeType.AUCTION_LISTED: _l("Online auction listed"),
    NodeType.AUCTION_SOLD: _l("Auction sold"),
    NodeType.FUNDS_IN: _l("Case funds received"),
    NodeType.FUNDS_OUT: _l("Case funds paid out"),
    NodeType.FINE: _l("Fine imposed"),
    NodeType.DETENTION: _l("Judicial detention"),
    NodeType.CONSUMPTION_RESTRICTION: _l("Consumption restriction ordered"),
    NodeType.DEFAULTER_LISTING: _l("Listed as a dishonest defaulter"),
    NodeType.OBJECTION_FILED: _l("Enforcement objection filed"),
    NodeType.OBJECTION_RULED: _l("Objection ruled"),
    NodeType.SETTLEMENT: _l("Enforcement settlement"),
    NodeType.APPLICANT_HEARD: _l("Applicant heard"),
    NodeType.TERMINATED_THIS_ROUND: _l("Enforcement terminated this round (终本)"),
    NodeType.PERIODIC_SEARCH: _l("Periodic online search after 终本"),
    NodeType.RESUMED: _l("Enforcement resumed"),
    NodeType.CLOSED: _l("Case closed"),
    NodeType.CORRECTION: _l("Correction"),
    NodeType.GRID_ASSISTANCE: _l("Assistance by the grid liaison (网格员协助)"),
}

SEARCH_TARGETS = {
    SearchTarget.PERSON: _l("person"),
    SearchTarget.VEHICLE: _l("vehicles"),
    SearchTarget.DEPOSITS: _l("bank deposits"),
    SearchTarget.BUSINESS: _l("business registration"),
    SearchTarget.REAL_ESTATE: _l("real estate"),
}

DEADLINE_KINDS = {
    DeadlineKind.SEARCH_STARTED: _l("Start the online asset search"),
    DeadlineKind.SEARCH_COMPLETED: _l("Complete the online search: %(target)s"),
    DeadlineKind.JUDGE_ASSIGNED: _l("Assign the judge in charge"),
    DeadlineKind.NOTICE_SERVED: _l("Serve the enforcement notice"),
    DeadlineKind.CLOSURE: _l("Close the case"),
    DeadlineKind.PERIODIC_SEARCH: _l("Periodic online search after 终本"),
}

DEADLINE_STATUSES = {
    DeadlineStatus.PENDING: _l("Due"),
    DeadlineStatus.OVERDUE: _l("Overdue"),
    DeadlineStatus.MET: _l("Done on time"),
    DeadlineStatus.MET_LATE: _l("Done late"),
}

PARTY_SIDES = {PartySide.APPLICANT: _l("Applicant"), PartySide.RESPONDENT: _l("Respondent")}
PARTY_KINDS = {PartyKind.PERSON: _l("Person"), PartyKind.ENTITY: _l("Organisation")}
SEXES = {"male": _l("Male"), "female": _l("Female"), "": "—"}
FUND_DIRECTIONS = {FundDirection.IN: _l("Received"), FundDirection.OUT: _l("Paid out")}
CHANNELS = {Channel.SMS: _l("SMS"), Channel.EMAIL: _l("Email")}
EXPOSURE_CHANNELS = {
    ExposureChannel.WEBSITE: _l("Court website"),
    ExposureChannel.WECHAT: _l("WeChat official account"),
    ExposureChannel.TV: _l("Local television"),
    ExposureChannel.NEWSPAPER: _l("Newspaper"),
    ExposureChannel.SCREEN: _l("Outdoor screen"),
}
SUBSCRIPTION_TOPICS = {
    SubscriptionTopic.NODES: _l("New public steps of the case"),
    SubscriptionTopic.LISTINGS: _l("The respondent listed as a defaulter, restricted, or taken off (applicants)"),
}


LISTING_GROUNDS = {
    ListingGround.ABLE_BUT_REFUSES: _l("Able to perform but refuses"),
    ListingGround.OBSTRUCTS: _l("Obstructs enforcement by forged evidence, violence or threats"),
    ListingGround.EVADES: _l("Evades enforcement by sham litigation or hiding property"),
    ListingGround.ASSET_REPORT: _l("Breaks the duty to report property"),
    ListingGround.RESTRICTION_BREACH: _l("Breaks a consumption restriction"),
    ListingGround.SETTLEMENT_BREACH: _l("Refuses to honour a settlement agreement"),
}

REMOVAL_REASONS = {
    RemovalReason.PERFORMED: _l("Obligation fully performed"),
    RemovalReason.SETTLEMENT_PERFORMED: _l("Settlement performed"),
    RemovalReason.APPLICANT_REQUEST: _l("Applicant's written request granted"),
    RemovalReason.NO_PROPERTY: _l("After 终本, two searches found no property"),
    RemovalReason.SUSPENDED: _l("Enforcement suspended for retrial or bankruptcy"),
    RemovalReason.NOT_ENFORCED: _l("Ruling not to enforce"),
    RemovalReason.TERMINATION: _l("Enforcement terminated"),
    RemovalReason.TERM_ENDED: _l("Listing term ended"),
    RemovalReason.REVOKED: _l("Listed in error: revoked"),
}

CORRECTION_GROUNDS = {
    CorrectionGround.SHOULD_NOT_BE_LISTED: _l("I should not be on the list"),
    CorrectionGround.INFORMATION_WRONG: _l("The information is wrong"),
    CorrectionGround.SHOULD_BE_REMOVED: _l("The entry should have been removed"),
}

CORRECTION_STATUSES = {
    CorrectionStatus.PENDING: _l("Under review"),
    CorrectionStatus.ACCEPTED: _l("Accepted"),
    CorrectionStatus.REJECTED: _l("Rejected"),
}

PERFORMANCE = {Performance.NONE: _l("Nothing performed"), Performance.PARTIAL: _l("Partly performed")}

REWARD_KINDS = {RewardKind.FIXED: _l("A fixed sum"), RewardKind.PERCENTAGE: _l("A share of the money recovered")}

BOUNTY_STATUSES = {
    BountyStatus.APPLIED: _l("Awaiting the court's decision"),
    BountyStatus.REJECTED: _l("Bounty application rejected"),
    BountyStatus.PUBLISHED: _l("Published, taking clues"),
    BountyStatus.CLOSED: _l("Bounty closed"),
}

# 限制消费令 (SPC 2015, art. 3): the nine items, in the rule's words.
RESTRICTED_ITEMS = {
    RestrictedItem.FLIGHTS: _l("Air travel, soft sleepers, second class or better ship berths"),
    RestrictedItem.LUXURY_VENUES: _l("High spending at starred hotels, nightclubs, golf courses and the like"),
    RestrictedItem.REAL_ESTATE: _l("Buying real estate, or building, extending or luxuriously renovating a house"),
    RestrictedItem.OFFICES: _l("Renting high-end office buildings, hotels or apartments as offices"),
    RestrictedItem.VEHICLES: _l("Buying vehicles not needed for business"),
    RestrictedItem.TRAVEL: _l("Travel and holidays"),
    RestrictedItem.PRIVATE_SCHOOLS: _l("Children attending high-fee private schools"),
    RestrictedItem.INSURANCE: _l("Paying high premiums for insurance or wealth-management products"),
    RestrictedItem.HIGH_SPEED_RAIL: _l("Any seat on G-series trains, first class or better on other bullet trains"),
}

BOUND_ROLES = {
    BoundRole.LEGAL_REPRESENTATIVE: _l("Legal representative"),
    BoundRole.MAIN_RESPONSIBLE: _l("Main responsible person"),
    BoundRole.DIRECTLY_RESPONSIBLE: _l("Person directly responsible for the debt not being performed"),
    BoundRole.ACTUAL_CONTROLLER: _l("Actual controller"),
}

LIFT_REASONS = {
    LiftReason.PERFORMED: _l("Obligation fully performed"),
    LiftReason.GUARANTEE: _l("Valid guarantee provided"),
    LiftReason.APPLICANT_CONSENT: _l("Applicant consented"),
    LiftReason.FORMER_REPRESENTATIVE: _l("Former legal representative, neither controller nor responsible person"),
}

TERMINATION_CONDITIONS = {
    "3_months_since_filing": _l("three months since filing"),
    "objection_ruled": _l("a ruling on the open objection"),
}


def condition_label(code: str) -> str:
    """Name a 终本 condition: a node type, a search target, or one of TERMINATION_CONDITIONS."""
    if code.startswith("search_completed:"):
        target = SearchTarget(code.partition(":")[2])
        return f"{NODE_TYPES[NodeType.SEARCH_COMPLETED]}（{SEARCH_TARGETS[target]}）"
    if code in TERMINATION_CONDITIONS:
        return str(TERMINATION_CONDITIONS[code])
    return label(NODE_TYPES, NodeType(code))


def domain_message(exc: DomainError) -> str:
    """A domain error's message in the visitor's language, its parameters named too."""
    params = dict(exc.params)
    if isinstance(exc, TerminationNotAllowed):
        params["missing"] = "、".join(condition_label(code) for code in exc.codes)
    if "node" in params:  # a node type named in a message about the record's order
        params["node"] = label(NODE_TYPES, params["node"])
    cause = getattr(exc, "cause", None)
    if isinstance(cause, DomainError):  # the rule a step broke, said in full
        params["why"] = domain_message(cause)
    message: str = gettext(exc.message, **params)
    return message


def label(table: Mapping[Any, object], value: object) -> str:
    """The label of ``value`` in ``table``; the value itself when unknown or empty."""
    if value is None:
        return ""
    found = table.get(value)
    return str(found) if found is not None else str(value)


def deadline_label(deadline: Deadline) -> str:
    """What a deadline asks for, with its search target when it has one."""
    text = str(DEADLINE_KINDS[deadline.kind])
    if deadline.kind == DeadlineKind.SEARCH_COMPLETED:
        return text % {"target": label(SEARCH_TARGETS, deadline.target)}
    return text


def yuan(fen: int | None) -> str:
    """Format an amount in fen as yuan with two decimals and thousands separators."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


ONSITE_MEASURES = {
    OnsiteMeasure.SEIZURE: _l("Seizure (查封)"),
    OnsiteMeasure.IMPOUND: _l("Impound (扣押)"),
    OnsiteMeasure.SEARCH: _l("Search (搜查)"),
    OnsiteMeasure.EVICTION: _l("Eviction (腾退)"),
    OnsiteMeasure.SUMMONS: _l("Compulsory summons (拘传)"),
    OnsiteMeasure.AUCTION_SITE: _l("Auction on site (拍卖现场)"),
    OnsiteMeasure.OTHER: _l("Other measure"),
}
# Why an on-site action was cancelled, when the portal cancelled it (a judge's own words are shown as written).
ONSITE_CANCEL_REASONS = {
    "case_closed": _l("the case was closed"),
}
RATINGS = {
    Rating.SATISFIED: _l("Satisfied"),
    Rating.BASICALLY_SATISFIED: _l("Basically satisfied"),
    Rating.UNSATISFIED: _l("Unsatisfied"),
}
CARD_DIMENSIONS = {
    "procedure": _l("Lawful procedure and documents (规范执行)"),
    "civility": _l("Civility (文明执法)"),
    "efficiency": _l("Timeliness (执行效率)"),
    "integrity": _l("Integrity (廉洁)"),
    "results": _l("Results (执行效果)"),
    "overall": _l("Overall"),
}
INVITATION_STATUSES = {
    "pending": _l("Waiting for an answer"),
    "accepted": _l("Accepted the invitation"),
    "declined": _l("Declined the invitation"),
    "cancelled": _l("Cancelled by the judge"),
    "expired": _l("Expired"),
}
ATTENDANCE_RESPONSES = {
    AttendanceResponse.PENDING: _l("Not answered"),
    AttendanceResponse.CONFIRMED: _l("Will witness"),
    AttendanceResponse.DECLINED: _l("Will not come"),
}
GRID_KINDS = {
    GridKind.TOWNSHIP: _l("Township"),
    GridKind.VILLAGE: _l("Village grid"),
    GridKind.COMMUNITY: _l("Community grid"),
    GridKind.ENTERPRISE: _l("Enterprise grid"),
}
PUSH_EVENTS = {
    PushEvent.LISTED: _l("Listed as a dishonest defaulter"),
    PushEvent.RESTRICTED: _l("Consumption restriction order issued"),
    PushEvent.BOUNTY: _l("Named in a bounty notice"),
}
TASK_KINDS = {
    TaskKind.SERVE: _l("Serve a document"),
    TaskKind.LOCATE: _l("Locate the respondent"),
    TaskKind.CHECK_ASSET: _l("Check an asset"),
    TaskKind.MEDIATE: _l("Mediate"),
    TaskKind.URGE: _l("Urge payment"),
}
TASK_STATUSES = {
    TaskStatus.REQUESTED: _l("Waiting for the liaison"),
    TaskStatus.ACCEPTED: _l("Accepted by the liaison"),
    TaskStatus.REPORTED: _l("Reported back"),
    TaskStatus.CLOSED: _l("Closed"),
}
TASK_OUTCOMES = {
    TaskOutcome.DONE: _l("Done"),
    TaskOutcome.PARTLY: _l("Partly done"),
    TaskOutcome.NOT_POSSIBLE: _l("Could not be done"),
}
HARDSHIPS = {
    Hardship.SUPPORT: _l("Support or maintenance (赡养费、扶养费、抚养费)"),
    Hardship.WAGES: _l("Wages (劳动报酬)"),
    Hardship.INJURY: _l("Personal injury (人身损害赔偿)"),
    Hardship.OTHER: _l("Other hardship"),
}
AID_STATUSES = {
    AidStatus.SUBMITTED: _l("Under review"),
    AidStatus.GRANTED: _l("Granted, to be paid"),
    AidStatus.REFUSED: _l("Refused"),
    AidStatus.PAID: _l("Paid"),
}
FUND_SOURCES = {FundSource.ENFORCEMENT: _l("Enforcement"), FundSource.JUDICIAL_AID: _l("Judicial aid (司法救助)")}
# To whom a payout goes (the split of the money received), the state of a payout application, and where a
# receipt stands against the court's payout days.
PAYEE_KINDS = {
    PayeeKind.APPLICANT: _l("Applicant"),
    PayeeKind.RESPONDENT: _l("Respondent (refund)"),
    PayeeKind.COSTS: _l("Costs of enforcement"),
}
PAYOUT_STATUSES = {
    PayoutStatus.PENDING: _l("Waiting for approval"),
    PayoutStatus.APPROVED: _l("Approved and paid out"),
    PayoutStatus.REJECTED: _l("Rejected"),
}
CLOCK_STATUSES = {
    ClockStatus.PENDING: _l("Within the payout days"),
    ClockStatus.OVERDUE: _l("Overdue"),
    ClockStatus.DELAYED: _l("Delay approved"),
    ClockStatus.PAID: _l("Paid out on time"),
    ClockStatus.PAID_LATE: _l("Paid out late"),
}
OVERSEER_KINDS = {
    OverseerKind.DEPUTY: _l("People's deputy"),
    OverseerKind.CPPCC: _l("CPPCC member"),
}
OVERSEER_LEVELS = {
    OverseerLevel.COUNTY: _l("County"),
    OverseerLevel.CITY: _l("City"),
    OverseerLevel.PROVINCE: _l("Province"),
    OverseerLevel.NATIONAL: _l("National"),
}


TABLES = {
    "stage_label": STAGES,
    "closure_label": CLOSURE_MODES,
    "node_label": NODE_TYPES,
    "target_label": SEARCH_TARGETS,
    "deadline_status_label": DEADLINE_STATUSES,
    "side_label": PARTY_SIDES,
    "kind_label": PARTY_KINDS,
    "sex_label": SEXES,
    "direction_label": FUND_DIRECTIONS,
    "channel_label": CHANNELS,
    "ground_label": LISTING_GROUNDS,
    "removal_label": REMOVAL_REASONS,
    "performance_label": PERFORMANCE,
    "correction_ground_label": CORRECTION_GROUNDS,
    "correction_status_label": CORRECTION_STATUSES,
    "reward_kind_label": REWARD_KINDS,
    "bounty_status_label": BOUNTY_STATUSES,
    "restricted_item_label": RESTRICTED_ITEMS,
    "bound_role_label": BOUND_ROLES,
    "lift_reason_label": LIFT_REASONS,
    "measure_label": ONSITE_MEASURES,
    "cancel_reason_label": ONSITE_CANCEL_REASONS,
    "rating_label": RATINGS,
    "dimension_label": CARD_DIMENSIONS,
    "invitation_status_label": INVITATION_STATUSES,
    "attendance_label": ATTENDANCE_RESPONSES,
    "level_label": OVERSEER_LEVELS,
    "overseer_kind_label": OVERSEER_KINDS,
    "grid_kind_label": GRID_KINDS,
    "push_event_label": PUSH_EVENTS,
    "task_kind_label": TASK_KINDS,
    "task_status_label": TASK_STATUSES,
    "task_outcome_label": TASK_OUTCOMES,
    "hardship_label": HARDSHIPS,
    "aid_status_label": AID_STATUSES,
    "fund_source_label": FUND_SOURCES,
    "payee_label": PAYEE_KINDS,
    "payout_status_label": PAYOUT_STATUSES,
    "clock_status_label": CLOCK_STATUSES,
}


def exposure_channels(values: list[str]) -> str:
    """The channels of an exposure, as a list for a sentence."""
    separator: str = gettext(", ")
    return separator.join(label(EXPOSURE_CHANNELS, ExposureChannel(v)) for v in values)


def template_globals() -> dict[str, object]:
    """Label functions for the templates: ``stage_label(case.stage)`` and so on."""
    functions: dict[str, object] = {name: (lambda value, t=table: label(t, value)) for name, table in TABLES.items()}
    functions["deadline_label"] = deadline_label
    functions["exposure_channels"] = exposure_channels
    return functions
