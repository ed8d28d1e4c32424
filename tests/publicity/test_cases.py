"""The case register: filing, legal transitions, corrections, resumption and the staff list."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core import audit
from publicity.core.errors import (
    BadCorrection,
    CaseClosed,
    CaseTerminated,
    ClosureModeRequired,
    DuplicateCase,
    IllegalTransition,
    NeedsAuction,
    NeedsSeizure,
    NoOpenObjection,
    NotResumable,
    TargetRequired,
    TerminationNotAllowed,
    WrongCourt,
)
from publicity.core.models import AuditRecord, Court
from publicity.record import cases, deadlines
from publicity.record.models import (
    CaseStage,
    ClosureMode,
    EnforcementCase,
    NodeType,
    Party,
    PartyKind,
    PartySide,
    SearchTarget,
)
from tests.factories import DAY, NOW, count, file, kinds, make_court, make_judge, node, terminate


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session)


@pytest.fixture
def filed_case(session: Session, court: Court) -> EnforcementCase:
    return file(session, court)


# --- filing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["(2026)鲁1427执1号", "（2026）鲁1427执1号", "（2026）鲁1427执0001号"])
def test_the_canonical_number_is_stored_whatever_the_spelling(session: Session, court: Court, written: str) -> None:
    case = file(session, court, written)
    session.commit()
    assert session.scalar(sa.select(EnforcementCase.number)) == "（2026）鲁1427执1号"
    assert (case.year, case.case_type, case.serial) == (2026, "执", 1)
    assert cases.find_case(session, "(2026)鲁1427执1号") is case


def test_a_number_of_another_court_is_refused(session: Session, court: Court) -> None:
    with pytest.raises(WrongCourt) as refused:
        file(session, court, "(2026)鲁1401执1号")
    assert "鲁1401" in str(refused.value)
    assert count(session, EnforcementCase) == 0


def test_a_duplicate_number_is_refused_in_either_spelling(session: Session, court: Court) -> None:
    file(session, court, "（2026）鲁1427执7号")
    with pytest.raises(DuplicateCase):
        file(session, court, "(2026)鲁1427执7号")
    assert count(session, EnforcementCase) == 1


def test_filing_with_a_judge_writes_the_filing_and_assignment_nodes_and_audit(session: Session, court: Court) -> None:
    judge = make_judge(session, court)
    case = file(session, court, judge=judge)
    session.commit()
    nodes = cases.nodes_of(session, case)
    assert [n.node_type for n in nodes] == [NodeType.FILED, NodeType.JUDGE_ASSIGNED]
    assert all(n.occurred_at == NOW for n in nodes)
    assert nodes[1].public_text == "王建国"
    assert case.judge_id == judge.id and case.team == "执行一组"
    assert case.stage == CaseStage.FILED
    records = audit.page(session, chain="鲁1427", limit=100)
    filings = [r for r in records if r.action == "case.file"]
    assert len(filings) == 1 and filings[0].object_id == str(case.id)
    assert "（2026）鲁1427执1号" in filings[0].changes
    node_ids = {r.object_id for r in records if r.action == "case_node.create"}
    assert node_ids == {str(n.id) for n in nodes}
    assert audit.verify(session).ok


def test_filing_without_a_judge_writes_only_the_filing_node(session: Session, court: Court) -> None:
    case = file(session, court)
    assert kinds(session, case) == [NodeType.FILED]
    assert case.judge_id is None


def test_parties_are_stored_with_their_personal_data(session: Session, court: Court) -> None:
    case = file(session, court)
    session.commit()
    session.expire_all()
    parties = list(session.scalars(sa.select(Party).where(Party.case_id == case.id).order_by(Party.id)))
    assert [(p.side, p.kind, p.name) for p in parties] == [
        (PartySide.APPLICANT, PartyKind.PERSON, "张三"),
        (PartySide.RESPONDENT, PartyKind.ENTITY, "夏津县恒丰商贸有限公司"),
    ]
    applicant, respondent = parties
    assert (applicant.id_number, applicant.phone, applicant.sex, applicant.address) == (
        "371427198203151234",
        "13800000000",
        "male",
        "夏津县银城街1号",
    )
    assert (respondent.credit_code, respondent.legal_representative) == ("91371427MA3C123459", "李四")


# --- legal transitions -------------------------------------------------------------------------


@pytest.mark.parametrize("node_type", [NodeType.APPRAISAL, NodeType.AUCTION_LISTED])
def test_appraisal_or_auction_needs_seized_property_first(
    session: Session, filed_case: EnforcementCase, node_type: NodeType
) -> None:
    node(session, filed_case, NodeType.DEDUCTION, at=NOW + DAY)  # a deduction seizes nothing to sell
    with pytest.raises(NeedsSeizure):
        node(session, filed_case, node_type, at=NOW + DAY)
    assert node_type not in kinds(session, filed_case)


@pytest.mark.parametrize("seizing", [NodeType.SEIZURE, NodeType.IMPOUND, NodeType.FREEZE])
def test_any_seizing_measure_opens_disposal(session: Session, filed_case: EnforcementCase, seizing: NodeType) -> None:
    node(session, filed_case, seizing, at=NOW + DAY)
    node(session, filed_case, NodeType.APPRAISAL, at=NOW + 2 * DAY)
    node(session, filed_case, NodeType.AUCTION_LISTED, at=NOW + 3 * DAY)
    assert filed_case.stage == CaseStage.DISPOSAL


def test_a_sale_needs_a_listing(session: Session, filed_case: EnforcementCase) -> None:
    with pytest.raises(NeedsAuction):
        node(session, filed_case, NodeType.AUCTION_SOLD, at=NOW + DAY)
    node(session, filed_case, NodeType.SEIZURE, at=NOW + DAY)
    node(session, filed_case, NodeType.AUCTION_LISTED, at=NOW + 2 * DAY)
    node(session, filed_case, NodeType.AUCTION_SOLD, at=NOW + 3 * DAY)
    with pytest.raises(NeedsAuction):  # one listing, one sale
        node(session, filed_case, NodeType.AUCTION_SOLD, at=NOW + 4 * DAY)
    assert kinds(session, filed_case).count(NodeType.AUCTION_SOLD) == 1


def test_a_ruling_needs_an_open_objection(session: Session, filed_case: EnforcementCase) -> None:
    with pytest.raises(NoOpenObjection):
        node(session, filed_case, NodeType.OBJECTION_RULED, at=NOW + DAY)
    node(session, filed_case, NodeType.OBJECTION_FILED, at=NOW + DAY)
    node(session, filed_case, NodeType.OBJECTION_RULED, at=NOW + 2 * DAY)
    with pytest.raises(NoOpenObjection):  # that objection is ruled already
        node(session, filed_case, NodeType.OBJECTION_RULED, at=NOW + 3 * DAY)


def test_an_objection_moves_the_case_to_ruling_and_the_ruling_returns_it(
    session: Session, filed_case: EnforcementCase
) -> None:
    node(session, filed_case, NodeType.SEARCH_STARTED, at=NOW + DAY)
    node(session, filed_case, NodeType.TEAM_ASSIGNED, at=NOW + DAY)
    assert filed_case.stage == CaseStage.IMPLEMENTATION
    node(session, filed_case, NodeType.OBJECTION_FILED, at=NOW + 2 * DAY)
    assert filed_case.stage == CaseStage.RULING
    with pytest.raises(IllegalTransition):  # one objection at a time
        node(session, filed_case, NodeType.OBJECTION_FILED, at=NOW + 2 * DAY)
    node(session, filed_case, NodeType.OBJECTION_RULED, at=NOW + 9 * DAY)
    assert filed_case.stage == CaseStage.IMPLEMENTATION


def test_progress_made_while_an_objection_is_open_is_kept_after_the_ruling(
    session: Session, filed_case: EnforcementCase
) -> None:
    """An objection does not stop enforcement: a step recorded meanwhile must not be lost by the ruling."""
    node(session, filed_case, NodeType.SEARCH_STARTED, at=NOW + DAY)
    node(session, filed_case, NodeType.OBJECTION_FILED, at=NOW + 2 * DAY)
    node(session, filed_case, NodeType.TEAM_ASSIGNED, at=NOW + 3 * DAY)
    node(session, filed_case, NodeType.OBJECTION_RULED, at=NOW + 9 * DAY)
    assert filed_case.stage == CaseStage.IMPLEMENTATION


def test_a_completed_search_names_what_was_searched(session: Session, filed_case: EnforcementCase) -> None:
    with pytest.raises(TargetRequired):
        node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + DAY)
    completed = node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + DAY, target=SearchTarget.VEHICLE)
    assert completed.search_target == SearchTarget.VEHICLE
    assert kinds(session, filed_case).count(NodeType.SEARCH_COMPLETED) == 1


@pytest.mark.parametrize("mode", [None, ClosureMode.TERMINATED_THIS_ROUND])
def test_closure_needs_a_closure_mode(session: Session, filed_case: EnforcementCase, mode: ClosureMode | None) -> None:
    with pytest.raises(ClosureModeRequired):
        node(session, filed_case, NodeType.CLOSED, at=NOW + DAY, mode=mode)
    assert filed_case.stage == CaseStage.FILED and filed_case.closed_at is None


def test_closing_closes_the_case(session: Session, filed_case: EnforcementCase) -> None:
    closed_on = NOW + 40 * DAY
    node(session, filed_case, NodeType.CLOSED, at=closed_on, mode=ClosureMode.FULLY_PERFORMED, now=closed_on + DAY)
    session.commit()
    session.expire_all()
    case = session.get(EnforcementCase, filed_case.id)
    assert case.stage == CaseStage.CLOSED
    assert case.closure_mode == ClosureMode.FULLY_PERFORMED
    assert case.closed_at == closed_on


@pytest.mark.parametrize(
    "node_type",
    [
        NodeType.SEARCH_STARTED,
        NodeType.SEIZURE,
        NodeType.FINE,
        NodeType.CLOSED,
        NodeType.OBJECTION_FILED,
        NodeType.TERMINATED_THIS_ROUND,
    ],
)
def test_a_closed_case_takes_only_corrections(
    session: Session, filed_case: EnforcementCase, node_type: NodeType
) -> None:
    node(session, filed_case, NodeType.CLOSED, at=NOW + DAY, mode=ClosureMode.WITHDRAWN)
    with pytest.raises(CaseClosed):
        node(
            session,
            filed_case,
            node_type,
            at=NOW + 2 * DAY,
            target=SearchTarget.PERSON,
            mode=ClosureMode.FULLY_PERFORMED,
            now=NOW + 200 * DAY,
        )
    filed = cases.nodes_of(session, filed_case)[0]
    correction = cases.correct_node(
        session,
        case=filed_case,
        corrects_id=filed.id,
        public_text="更正立案日期",
        reason="笔误",
        actor="clerk",
        now=NOW + 3 * DAY,
    )
    assert correction.node_type == NodeType.CORRECTION
    assert kinds(session, filed_case) == [NodeType.FILED, NodeType.CLOSED, NodeType.CORRECTION]
    assert filed_case.stage == CaseStage.CLOSED


def test_termination_lists_what_is_missing_until_everything_is_done(
    session: Session, filed_case: EnforcementCase
) -> None:
    late_enough = deadlines.add_months(NOW, 3) + DAY

    def missing(now: datetime) -> list[str]:
        with pytest.raises(TerminationNotAllowed) as refused:
            node(session, filed_case, NodeType.TERMINATED_THIS_ROUND, at=now, now=now)
        return str(refused.value.params["missing"]).split(", ")

    assert set(missing(NOW + DAY)) == {
        "notice_served",
        "asset_report_ordered",
        "consumption_restriction",
        "applicant_heard",
        "search_completed:person",
        "search_completed:vehicle",
        "search_completed:deposits",
        "search_completed:business",
        "search_completed:real_estate",
        "3_months_since_filing",
    }
    for node_type in cases.TERMINATION_REQUIRES:
        node(session, filed_case, node_type, at=NOW + DAY)
        assert node_type.value not in missing(NOW + DAY)
    for target in SearchTarget:
        node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + DAY, target=target)
    assert missing(deadlines.add_months(NOW, 3) - timedelta(minutes=1)) == ["3_months_since_filing"]
    assert NodeType.TERMINATED_THIS_ROUND not in kinds(session, filed_case)

    node(session, filed_case, NodeType.TERMINATED_THIS_ROUND, at=late_enough)
    assert filed_case.stage == CaseStage.TERMINATED_THIS_ROUND
    assert filed_case.closure_mode == ClosureMode.TERMINATED_THIS_ROUND
    assert filed_case.closed_at == late_enough


def test_termination_needs_every_search_target(session: Session, filed_case: EnforcementCase) -> None:
    for node_type in cases.TERMINATION_REQUIRES:
        node(session, filed_case, node_type, at=NOW + DAY)
    for target in SearchTarget:
        if target != SearchTarget.REAL_ESTATE:
            node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + DAY, target=target)
    with pytest.raises(TerminationNotAllowed) as refused:
        node(session, filed_case, NodeType.TERMINATED_THIS_ROUND, at=NOW + 100 * DAY)
    assert refused.value.params["missing"] == "search_completed:real_estate"


@pytest.mark.parametrize(
    "node_type",
    [
        NodeType.SEIZURE,
        NodeType.SEARCH_STARTED,
        NodeType.NOTICE_SERVED,
        NodeType.CLOSED,
        NodeType.TERMINATED_THIS_ROUND,
        NodeType.OBJECTION_FILED,
    ],
)
def test_after_termination_only_periodic_searches_and_corrections(
    session: Session, filed_case: EnforcementCase, node_type: NodeType
) -> None:
    terminated_at = terminate(session, filed_case)
    later = terminated_at + 30 * DAY
    with pytest.raises(CaseTerminated):
        node(session, filed_case, node_type, at=later, target=SearchTarget.PERSON, mode=ClosureMode.TERMINATION)
    node(session, filed_case, NodeType.PERIODIC_SEARCH, at=later, target=SearchTarget.DEPOSITS)
    cases.correct_node(
        session,
        case=filed_case,
        corrects_id=cases.nodes_of(session, filed_case)[-2].id,
        public_text="更正",
        reason="笔误",
        actor="clerk",
        now=later,
    )
    assert kinds(session, filed_case)[-3:] == [
        NodeType.TERMINATED_THIS_ROUND,
        NodeType.PERIODIC_SEARCH,
        NodeType.CORRECTION,
    ]
    assert filed_case.stage == CaseStage.TERMINATED_THIS_ROUND


def test_a_periodic_search_belongs_to_a_terminated_case(session: Session, filed_case: EnforcementCase) -> None:
    with pytest.raises(IllegalTransition):
        node(session, filed_case, NodeType.PERIODIC_SEARCH, at=NOW + DAY, target=SearchTarget.PERSON)


def test_the_stage_moves_forward_and_never_back(session: Session, filed_case: EnforcementCase) -> None:
    stages = []
    for node_type in (NodeType.SEARCH_STARTED, NodeType.TEAM_ASSIGNED, NodeType.SEIZURE, NodeType.AUCTION_LISTED):
        node(session, filed_case, node_type, at=NOW + DAY)
        stages.append(filed_case.stage)
    assert stages == [CaseStage.SEARCH, CaseStage.IMPLEMENTATION, CaseStage.IMPLEMENTATION, CaseStage.DISPOSAL]
    node(session, filed_case, NodeType.SEARCH_COMPLETED, at=NOW + 2 * DAY, target=SearchTarget.REAL_ESTATE)
    node(session, filed_case, NodeType.TEAM_ASSIGNED, at=NOW + 2 * DAY)
    session.commit()
    session.expire_all()
    assert session.get(EnforcementCase, filed_case.id).stage == CaseStage.DISPOSAL


# --- corrections -------------------------------------------------------------------------------


def test_a_correction_is_a_new_node_and_the_original_stays(session: Session, filed_case: EnforcementCase) -> None:
    seizure = node(session, filed_case, NodeType.SEIZURE, at=NOW + DAY, text="查封房产一套")
    session.commit()
    correction = cases.correct_node(
        session,
        case=filed_case,
        corrects_id=seizure.id,
        public_text="查封房产两套",
        reason="房产套数笔误",
        internal_note="笔误",
        actor="judge",
        now=NOW + 2 * DAY,
    )
    session.commit()
    session.expire_all()
    nodes = cases.nodes_of(session, session.get(EnforcementCase, filed_case.id))
    assert [n.node_type for n in nodes] == [NodeType.FILED, NodeType.SEIZURE, NodeType.CORRECTION]
    original, fixed = nodes[1], nodes[2]
    assert (original.public_text, original.occurred_at, original.corrects_id) == ("查封房产一套", NOW + DAY, None)
    assert fixed.id == correction.id and fixed.corrects_id == original.id
    assert fixed.public_text == "查封房产两套" and fixed.author == "judge"


def test_a_correction_must_point_at_a_node_of_the_same_case(
    session: Session, court: Court, filed_case: EnforcementCase
) -> None:
    other = file(session, court, "（2026）鲁1427执2号")
    foreign = node(session, other, NodeType.SEIZURE, at=NOW + DAY)
    with pytest.raises(BadCorrection):
        cases.correct_node(
            session, case=filed_case, corrects_id=foreign.id, public_text="x", reason="r", actor="c", now=NOW
        )
    with pytest.raises(BadCorrection):
        cases.correct_node(
            session, case=filed_case, corrects_id=foreign.id + 1000, public_text="x", reason="r", actor="c", now=NOW
        )
    assert NodeType.CORRECTION not in kinds(session, filed_case) + kinds(session, other)


# --- resumption --------------------------------------------------------------------------------


def test_only_a_terminated_case_can_be_resumed(session: Session, court: Court, filed_case: EnforcementCase) -> None:
    with pytest.raises(NotResumable):
        cases.resume_case(
            session, case=filed_case, new_number=None, occurred_at=NOW + DAY, public_text="", actor="c", now=NOW + DAY
        )
    closed = file(session, court, "（2026）鲁1427执2号")
    node(session, closed, NodeType.CLOSED, at=NOW + DAY, mode=ClosureMode.FULLY_PERFORMED)
    with pytest.raises(NotResumable):
        cases.resume_case(
            session, case=closed, new_number=None, occurred_at=NOW + DAY, public_text="", actor="c", now=NOW + DAY
        )
    assert count(session, EnforcementCase) == 2


def test_resuming_files_a_linked_resumed_case_with_the_next_serial(session: Session, court: Court) -> None:
    judge = make_judge(session, court)
    old = file(session, court, "（2025）鲁1427执40号", filed_at=NOW - 200 * DAY, judge=judge)
    terminate(session, old)
    file(session, court, "（2026）鲁1427执恢3号", filed_at=NOW)  # the year's 执恢 serials so far
    history = [(n.id, n.node_type) for n in cases.nodes_of(session, old)]
    resumed_on = NOW + 10 * DAY
    new = cases.resume_case(
        session,
        case=old,
        new_number=None,
        occurred_at=resumed_on,
        public_text="发现新财产",
        actor="judge",
        now=resumed_on,
    )
    session.commit()
    session.expire_all()
    new = session.get(EnforcementCase, new.id)
    old = session.get(EnforcementCase, old.id)
    assert new.number == "（2026）鲁1427执恢4号"
    assert (new.case_type, new.serial, new.year) == ("执恢", 4, 2026)
    assert new.resumed_from_id == old.id
    assert new.filed_at == resumed_on and new.stage == CaseStage.FILED
    assert new.judge_id == judge.id
    assert [(p.side, p.name, p.id_number, p.phone, p.credit_code) for p in new.parties] == [
        (p.side, p.name, p.id_number, p.phone, p.credit_code) for p in old.parties
    ]
    assert {p.id for p in new.parties}.isdisjoint({p.id for p in old.parties})
    old_nodes = cases.nodes_of(session, old)
    assert [(n.id, n.node_type) for n in old_nodes[:-1]] == history
    assert old_nodes[-1].node_type == NodeType.RESUMED
    assert old_nodes[-1].linked_case_id == new.id
    assert kinds(session, new)[0] == NodeType.FILED


def test_a_resumed_case_cannot_be_resumed_again(session: Session, filed_case: EnforcementCase) -> None:
    """One 终本 case, one resumption: a second call must not file a second live 执恢 case for the same debt."""
    at = terminate(session, filed_case) + 10 * DAY
    cases.resume_case(session, case=filed_case, new_number=None, occurred_at=at, public_text="", actor="c", now=at)
    with pytest.raises(NotResumable):
        cases.resume_case(
            session, case=filed_case, new_number=None, occurred_at=at + DAY, public_text="", actor="c", now=at + DAY
        )
    assert count(session, EnforcementCase) == 2


# --- the staff list and the node counter --------------------------------------------------------


def test_list_filters_by_stage_judge_and_overdue(session: Session, court: Court) -> None:
    judge = make_judge(session, court)
    searching = file(session, court, "（2026）鲁1427执1号", judge=judge)
    node(session, searching, NodeType.SEARCH_STARTED, at=NOW + DAY)
    late = file(session, court, "（2026）鲁1427执2号", filed_at=NOW - 10 * DAY)
    fresh = file(session, court, "（2026）鲁1427执3号", filed_at=NOW)

    def ids(**where: object) -> list[int]:
        return [c.id for c in cases.list_cases(session, where=cases.CaseFilter(**where), now=NOW + DAY)]

    assert ids() == [fresh.id, late.id, searching.id]
    assert ids(stage=CaseStage.SEARCH) == [searching.id]
    assert ids(stage=CaseStage.FILED) == [fresh.id, late.id]
    assert ids(judge_id=judge.id) == [searching.id]
    assert ids(overdue=True) == [late.id]
    assert ids(court_id=court.id + 1) == []


@pytest.mark.parametrize("query", ["(2026)鲁1427执2号", "（2026）鲁1427执2号", " ( 2026 )鲁1427执002号"])
def test_list_finds_a_case_number_in_either_spelling(session: Session, court: Court, query: str) -> None:
    file(session, court, "（2026）鲁1427执1号")
    wanted = file(session, court, "（2026）鲁1427执2号")
    file(session, court, "（2026）鲁1427执12号")
    found = cases.list_cases(session, where=cases.CaseFilter(query=query), now=NOW)
    assert [c.id for c in found] == [wanted.id]


def test_list_finds_cases_by_the_start_of_a_party_name(session: Session, court: Court) -> None:
    other = cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="赵六")
    first = file(session, court, "（2026）鲁1427执1号")
    second = file(session, court, "（2026）鲁1427执2号", parties=[other])
    third = file(session, court, "（2026）鲁1427执3号")
    assert [c.id for c in cases.list_cases(session, where=cases.CaseFilter(query="夏津县恒丰"), now=NOW)] == [
        third.id,
        first.id,
    ]
    assert [c.id for c in cases.list_cases(session, where=cases.CaseFilter(query="赵"), now=NOW)] == [second.id]
    assert cases.list_cases(session, where=cases.CaseFilter(query="恒丰"), now=NOW) == []  # a prefix, not a substring


def test_list_pages_by_keyset(session: Session, court: Court) -> None:
    made = [file(session, court, f"（2026）鲁1427执{i}号").id for i in range(1, 6)]
    pages, before = [], None
    while True:
        page = cases.list_cases(session, where=cases.CaseFilter(), now=NOW, before_id=before, limit=2)
        if not page:
            break
        pages.append([c.id for c in page])
        before = page[-1].id
    assert pages == [[made[4], made[3]], [made[2], made[1]], [made[0]]]


def test_the_public_node_counter_counts_nodes_per_court(session: Session, court: Court) -> None:
    other_court = make_court(session, "鲁1402", "德州市德城区人民法院")
    case = file(session, court, judge=make_judge(session, court))
    node(session, case, NodeType.SEARCH_STARTED, at=NOW + DAY)
    file(session, other_court, "（2026）鲁1402执1号")
    assert cases.public_node_count(session) == 4
    assert cases.public_node_count(session, court_id=court.id) == 3
    assert cases.public_node_count(session, court_id=other_court.id) == 1
    assert count(session, AuditRecord) > 0 and audit.verify(session).ok
