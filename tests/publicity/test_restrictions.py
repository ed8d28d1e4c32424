"""Consumption restriction orders (限制消费令): issuing, validation, lifting, bound persons, public search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from publicity.core.errors import PublicityError
from publicity.core.models import AuditRecord, Court
from publicity.lists import names, restrictions
from publicity.lists.models import BoundRole, LiftReason, RestrictedItem, RestrictionBoundPerson, RestrictionOrder
from publicity.lists.restrictions import BoundPersonData, Filters
from publicity.record import cases, notices
from publicity.record.models import (
    CaseNode,
    CaseStage,
    Channel,
    ClosureMode,
    EnforcementCase,
    NodeType,
    OutboxMessage,
    Party,
    PartyKind,
    PartySide,
    SubscriptionTopic,
)
from tests.factories import APPLICANT, DAY, NOW, RESPONDENT, count, file, make_court, node, pid, prepare_termination

KEY = b"k"
TODAY = date(2026, 3, 2)  # NOW in the court's zone
FILED = NOW - 30 * DAY
COMPANY_CODE = RESPONDENT.credit_code
LEGAL_REP_ID = pid("19750505", "321")
CONTROLLER_ID = pid("19680808", "654")
PERSON_ID = pid("19820315")
PERSON = cases.PartyData(
    side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="赵六", sex="male", id_number=PERSON_ID, phone="13900000000"
)
ITEMS = [RestrictedItem.HIGH_SPEED_RAIL, RestrictedItem.FLIGHTS]


@pytest.fixture
def court(session: Session) -> Court:
    return make_court(session)


@pytest.fixture
def case(session: Session, court: Court) -> EnforcementCase:
    return file(session, court, filed_at=FILED, parties=(APPLICANT, RESPONDENT, PERSON))


def party(case: EnforcementCase, name: str) -> Party:
    return next(p for p in case.parties if p.name == name)


def issue(
    session: Session,
    case: EnforcementCase,
    name: str = RESPONDENT.name,
    *,
    items: Sequence[RestrictedItem | str] = ITEMS,
    bound: Sequence[BoundPersonData | tuple[str, str, str]] = (),
    issued_on: date = TODAY,
) -> RestrictionOrder:
    return restrictions.issue_order(
        session,
        case=case,
        respondent=party(case, name),
        items=items,
        issued_on=issued_on,
        bound_persons=bound,  # type: ignore[arg-type]
        key=KEY,
        actor="judge",
        now=NOW,
    )


BOUND = [
    BoundPersonData(BoundRole.LEGAL_REPRESENTATIVE, "李四", LEGAL_REP_ID),
    BoundPersonData(BoundRole.ACTUAL_CONTROLLER, "单雄", CONTROLLER_ID),
    BoundPersonData(BoundRole.MAIN_RESPONSIBLE, "钱七"),
]


def public_ids(session: Session, query: str, *, filters: Filters = Filters(), cursor: str | None = None) -> list[int]:
    page = restrictions.search(session, query=query, filters=filters, cursor=cursor, key=KEY, now=NOW)
    return [o.id for o in page.items]


# --- Issuing ---------------------------------------------------------------------------------------------------


def test_an_order_against_an_entity_binds_its_persons_and_is_public_at_once(
    session: Session, case: EnforcementCase
) -> None:
    order = issue(session, case, bound=BOUND)
    session.commit()
    assert order.name == RESPONDENT.name and order.kind == PartyKind.ENTITY and order.case_number == case.number
    assert order.id_number == COMPANY_CODE and order.id_masked == names.mask_number(COMPANY_CODE)
    assert order.id_hash == names.number_hash(COMPANY_CODE, key=KEY)
    assert order.items == ["flights", "high_speed_rail"]  # the rule's order, whatever order they were ticked in
    assert order.issued_on == TODAY and order.published_at == NOW and order.court_id == case.court_id
    assert restrictions.is_public(order, NOW) and not restrictions.is_public(order, NOW - DAY)
    assert [(p.role, p.name, p.id_masked) for p in order.bound_persons] == [
        (BoundRole.LEGAL_REPRESENTATIVE, "李四", names.mask_number(LEGAL_REP_ID)),
        (BoundRole.ACTUAL_CONTROLLER, "单雄", names.mask_number(CONTROLLER_ID)),
        (BoundRole.MAIN_RESPONSIBLE, "钱七", ""),
    ]
    assert order.bound_persons[1].name_pinyin == "shanxiong"  # 单 read as a surname
    record = session.scalar(sa.select(AuditRecord).where(AuditRecord.action == "restriction.issue"))
    assert record.object_id == str(order.id) and "李四" in record.changes and LEGAL_REP_ID not in record.changes
    # The case records the measure as a node, the respondent's name as its text.
    restriction_nodes = [n for n in cases.nodes_of(session, case) if n.node_type == NodeType.CONSUMPTION_RESTRICTION]
    assert [n.public_text for n in restriction_nodes] == [RESPONDENT.name]


def test_an_order_against_a_person(session: Session, case: EnforcementCase) -> None:
    order = issue(session, case, "赵六", items=["travel"])
    assert order.kind == PartyKind.PERSON and order.id_masked == "3714271982****1232" and order.bound_persons == []
    assert order.name_pinyin == "zhaoliu" and order.name_initials == "zl"


def test_tuples_are_accepted_for_bound_persons(session: Session, case: EnforcementCase) -> None:
    order = issue(session, case, bound=[("legal_representative", "李四", LEGAL_REP_ID.lower())])
    assert order.bound_persons[0].role == BoundRole.LEGAL_REPRESENTATIVE
    assert order.bound_persons[0].id_number == LEGAL_REP_ID  # a lower-case x is stored upper-case


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"items": []}, restrictions.NoItems),
        ({"items": ["flights", "yachts"]}, restrictions.UnknownItem),
        ({"name": "赵六", "bound": BOUND[:1]}, restrictions.BoundPersonsOnlyForEntities),
        ({"name": APPLICANT.name}, restrictions.NotARespondent),
        ({"issued_on": TODAY + timedelta(days=1)}, restrictions.IssueDateInFuture),
        ({"issued_on": TODAY - timedelta(days=31)}, restrictions.IssuedBeforeFiling),
        (
            {"bound": [BoundPersonData(BoundRole.LEGAL_REPRESENTATIVE, "李四", LEGAL_REP_ID[:-1] + "0")]},
            restrictions.InvalidBoundNumber,
        ),
        ({"bound": [BoundPersonData(BoundRole.LEGAL_REPRESENTATIVE, "  ")]}, restrictions.BoundPersonNameRequired),
        (
            {"bound": [BoundPersonData(BoundRole.MAIN_RESPONSIBLE, f"人{i}") for i in range(11)]},
            restrictions.TooManyBoundPersons,
        ),
    ],
)
def test_invalid_orders_are_refused_and_nothing_is_saved(
    session: Session, case: EnforcementCase, change: dict[str, object], error: type[PublicityError]
) -> None:
    session.commit()
    nodes_before = count(session, CaseNode)
    kwargs = {"items": ITEMS, "bound": (), "issued_on": TODAY, **change}
    with pytest.raises(error):
        issue(session, case, kwargs.pop("name", RESPONDENT.name), **kwargs)
    session.rollback()
    assert count(session, RestrictionOrder) == 0 and count(session, RestrictionBoundPerson) == 0
    assert count(session, CaseNode) == nodes_before


def test_the_respondent_must_belong_to_the_case(session: Session, court: Court, case: EnforcementCase) -> None:
    other = file(session, court, "（2026）鲁1427执2号", filed_at=FILED)
    with pytest.raises(restrictions.NotARespondent):
        restrictions.issue_order(
            session,
            case=case,
            respondent=party(other, RESPONDENT.name),
            items=ITEMS,
            issued_on=TODAY,
            key=KEY,
            actor="judge",
            now=NOW,
        )


def test_a_respondent_without_a_number_cannot_be_restricted(session: Session, court: Court) -> None:
    nameless = cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="无号人")
    case = file(session, court, filed_at=FILED, parties=(APPLICANT, nameless))
    with pytest.raises(restrictions.RespondentWithoutNumber):
        issue(session, case, "无号人")


def test_one_order_in_force_per_respondent_and_case(session: Session, case: EnforcementCase) -> None:
    first = issue(session, case)
    with pytest.raises(restrictions.OrderAlreadyActive):
        issue(session, case)
    restrictions.lift_order(session, order=first, reason=LiftReason.GUARANTEE, actor="judge", now=NOW)
    assert issue(session, case).id != first.id  # a new order once the first is lifted


def test_a_closed_case_takes_no_order(session: Session, case: EnforcementCase) -> None:
    node(session, case, NodeType.CLOSED, at=NOW - DAY, mode=ClosureMode.FULLY_PERFORMED)
    with pytest.raises(restrictions.RestrictionCaseClosed):
        issue(session, case)


def test_after_termination_the_order_is_issued_without_a_node(session: Session, court: Court) -> None:
    case = file(session, court, filed_at=NOW - 200 * DAY, parties=(APPLICANT, RESPONDENT))
    prepare_termination(session, case, NOW - 100 * DAY)
    node(session, case, NodeType.TERMINATED_THIS_ROUND, at=NOW - 10 * DAY)
    nodes_before = count(session, CaseNode)
    order = issue(session, case)
    assert order.id is not None and case.stage == CaseStage.TERMINATED_THIS_ROUND
    assert count(session, CaseNode) == nodes_before


# --- Lifting --------------------------------------------------------------------------------------------------


def test_lifting_takes_the_order_off_at_once(session: Session, case: EnforcementCase) -> None:
    order = issue(session, case, bound=BOUND)
    with pytest.raises(restrictions.WrongLiftReason):
        restrictions.lift_order(session, order=order, reason=LiftReason.FORMER_REPRESENTATIVE, actor="judge", now=NOW)
    assert public_ids(session, "") == [order.id]
    restrictions.lift_order(
        session, order=order, reason=LiftReason.PERFORMED, note=" 已全部履行 ", actor="judge", now=NOW
    )
    session.commit()
    assert order.lifted_at == NOW and order.lift_reason == LiftReason.PERFORMED and order.lift_note == "已全部履行"
    assert order.lifted_by == "judge" and not restrictions.is_public(order, NOW)
    assert public_ids(session, "") == [] and public_ids(session, "李四") == []
    assert list(restrictions.iter_public(session, now=NOW)) == []
    with pytest.raises(restrictions.AlreadyLifted):
        restrictions.lift_order(session, order=order, reason=LiftReason.PERFORMED, actor="judge", now=NOW)
    with pytest.raises(restrictions.AlreadyLifted):
        restrictions.lift_bound_person(session, person=order.bound_persons[0], actor="judge", now=NOW)
    assert "performed" in session.scalar(sa.select(AuditRecord.changes).where(AuditRecord.action == "restriction.lift"))


def test_a_former_legal_representative_is_released_alone(session: Session, case: EnforcementCase) -> None:
    order = issue(session, case, bound=BOUND)
    representative, controller = order.bound_persons[0], order.bound_persons[1]
    with pytest.raises(restrictions.NotFormerRepresentative):
        restrictions.lift_bound_person(session, person=controller, actor="judge", now=NOW)
    with pytest.raises(restrictions.WrongLiftReason):
        restrictions.lift_bound_person(
            session, person=representative, reason=LiftReason.PERFORMED, actor="judge", now=NOW
        )
    assert public_ids(session, "李四") == [order.id]
    restrictions.lift_bound_person(
        session, person=representative, note="已于2024年变更法定代表人", actor="judge", now=NOW
    )
    session.commit()
    assert representative.lift_reason == LiftReason.FORMER_REPRESENTATIVE and representative.lifted_at == NOW
    assert order.lifted_at is None and restrictions.is_public(order, NOW)
    assert [p.name for p in restrictions.restricted_persons(order)] == ["单雄", "钱七"]
    # He no longer finds the order under his name; the company and the others still do.
    assert public_ids(session, "李四") == [] and public_ids(session, f"李四 {LEGAL_REP_ID}") == []
    assert public_ids(session, "单雄") == [order.id] and public_ids(session, RESPONDENT.name) == [order.id]
    with pytest.raises(restrictions.AlreadyLifted):
        restrictions.lift_bound_person(session, person=representative, actor="judge", now=NOW)
    assert "李四" in session.scalar(
        sa.select(AuditRecord.changes).where(AuditRecord.action == "restriction.lift_bound_person")
    )


# --- Notices --------------------------------------------------------------------------------------------------


def test_a_listings_subscriber_is_told_of_the_order_and_of_its_lifting(session: Session, case: EnforcementCase) -> None:
    applicant = party(case, APPLICANT.name)
    notices.subscribe(
        session,
        case=case,
        party=applicant,
        channel=Channel.SMS,
        address="13800000001",
        locale="zh_CN",
        now=NOW,
        topic=SubscriptionTopic.LISTINGS,
    )
    session.commit()
    order = issue(session, case)
    restrictions.lift_order(session, order=order, reason=LiftReason.APPLICANT_CONSENT, actor="judge", now=NOW)
    session.commit()
    events = [
        (m.recipient, m.kind, m.params["event"], m.params["respondent"])
        for m in session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "listing_event").order_by(OutboxMessage.id)
        )
    ]
    assert events == [
        ("13800000001", "listing_event", "restricted", RESPONDENT.name),
        ("13800000001", "listing_event", "restriction_lifted", RESPONDENT.name),
    ]


# --- Public search --------------------------------------------------------------------------------------------


@pytest.fixture
def orders(session: Session, court: Court, case: EnforcementCase) -> dict[str, int]:
    company = issue(session, case, bound=BOUND)
    person = issue(session, case, "赵六")
    other = file(
        session,
        court,
        "（2026）鲁1427执9号",
        filed_at=FILED,
        parties=(
            APPLICANT,
            cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="赵六六", id_number=pid("19900101")),
        ),
    )
    zhao66 = issue(session, other, "赵六六")
    lifted_case = file(
        session,
        court,
        "（2026）鲁1427执10号",
        filed_at=FILED,
        parties=(
            APPLICANT,
            cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="王五", id_number=pid("19650101")),
        ),
    )
    lifted = issue(session, lifted_case, "王五")
    restrictions.lift_order(session, order=lifted, reason=LiftReason.PERFORMED, actor="judge", now=NOW)
    session.commit()
    return {"company": company.id, "person": person.id, "zhao66": zhao66.id, "lifted": lifted.id}


SEARCHES = [
    ("", ["company", "person", "zhao66"]),
    ("赵六", ["person", "zhao66"]),  # an exact name and a name it begins
    ("赵六六", ["zhao66"]),
    ("zl", ["person"]),
    ("ZHAOLIU", ["person"]),
    ("zhaoliuliu", ["zhao66"]),
    ("夏津县恒丰", ["company"]),
    ("李四", ["company"]),  # a bound person by name
    ("ls", ["company"]),  # ... and by initials
    ("shanxiong", ["company"]),
    (f"李四 {LEGAL_REP_ID}", ["company"]),  # a bound person's full number, with the name
    (f"单雄 {LEGAL_REP_ID}", []),  # the wrong name
    (f"{RESPONDENT.name} {COMPANY_CODE}", ["company"]),
    (f"赵六 {PERSON_ID}", ["person"]),
    (PERSON_ID, []),  # a bare full number is not searched
    ("3714271982****1232", ["person"]),
    (names.mask_number(CONTROLLER_ID), ["company"]),  # a bound person's masked number
    ("（2026）鲁1427执1号", ["company", "person"]),
    ("(2026)鲁1427执9号", ["zhao66"]),
    ("王五", []),  # lifted
    ("(2026)鲁1427执10号", []),
]


def test_search_modes(session: Session, orders: dict[str, int]) -> None:
    for query, expected in SEARCHES:
        assert sorted(public_ids(session, query)) == sorted(orders[k] for k in expected), query
    assert restrictions.search(session, query=PERSON_ID, key=KEY, now=NOW).mode == "id_without_name"
    assert restrictions.search(session, query="zl", key=KEY, now=NOW).mode == "pinyin"


def test_the_court_filter(session: Session, orders: dict[str, int]) -> None:
    court_id = session.get(RestrictionOrder, orders["company"]).court_id
    assert len(public_ids(session, "", filters=Filters(court_id=court_id))) == 3
    assert public_ids(session, "", filters=Filters(court_id=court_id + 1)) == []


def test_keyset_pages_visit_every_order_once(session: Session, court: Court) -> None:
    respondents = [
        cases.PartyData(
            side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name=f"测试人{i:02d}", id_number=pid(f"198001{i + 1:02d}")
        )
        for i in range(25)
    ]
    case = file(session, court, filed_at=FILED, parties=(APPLICANT, *respondents))
    issued = [issue(session, case, p.name).id for p in respondents]
    session.commit()
    for query in ("", "测试人"):
        seen: list[int] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = restrictions.search(session, query=query, cursor=cursor, key=KEY, now=NOW, limit=10)
            seen += [o.id for o in page.items]
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == 3 and seen == sorted(issued, reverse=True), query
    assert public_ids(session, "", cursor="not a cursor") == public_ids(session, "")[:20]


def test_iter_public_and_the_staff_list(session: Session, orders: dict[str, int]) -> None:
    assert [o.id for o in restrictions.iter_public(session, now=NOW, batch=2)] == sorted(
        (orders["company"], orders["person"], orders["zhao66"]), reverse=True
    )
    court_id = session.get(RestrictionOrder, orders["company"]).court_id
    first, after = restrictions.orders_of_court(session, court_id=court_id, limit=2)
    rest, end = restrictions.orders_of_court(session, court_id=court_id, after=after, limit=2)
    assert end is None
    assert [o.id for o in first + rest] == [orders["zhao66"], orders["person"], orders["company"], orders["lifted"]]


def test_closing_the_case_as_performed_lifts_its_orders_and_starts_the_removal_clock(
    session: Session, court: Court, case: EnforcementCase
) -> None:
    from publicity.lists import defaulters
    from publicity.lists.models import DefaulterEntry, RemovalReason
    from tests.factories import entry_data

    order = issue(session, case)
    entry = defaulters.list_defaulter(
        session,
        court=court,
        case=case,
        key=KEY,
        actor="judge",
        now=NOW,
        data=entry_data(RESPONDENT.name, RESPONDENT.credit_code, 1, kind=PartyKind.ENTITY, case_number=case.number),
    )
    other = file(session, court, "（2026）鲁1427执9号", filed_at=FILED, parties=(APPLICANT, RESPONDENT))
    untouched = issue(session, other)
    session.commit()
    closed_at = NOW + DAY  # Tuesday 3 March 2026
    node(session, case, NodeType.CLOSED, at=closed_at, mode=ClosureMode.FULLY_PERFORMED)
    session.commit()
    assert order.lifted_at == closed_at and order.lift_reason == LiftReason.PERFORMED
    assert untouched.lifted_at is None
    assert public_ids(session, RESPONDENT.name) == [untouched.id]
    listed = session.get(DefaulterEntry, entry.id)
    assert listed.removal_reason == RemovalReason.PERFORMED and listed.removed_at is None
    assert listed.removal_due == date(2026, 3, 6)  # three working days: Wed 4, Thu 5, Fri 6 March


def test_closing_otherwise_lifts_nothing(session: Session, case: EnforcementCase) -> None:
    order = issue(session, case)
    node(session, case, NodeType.CLOSED, at=NOW + DAY, mode=ClosureMode.WITHDRAWN)
    session.commit()
    assert order.lifted_at is None


def test_a_resumed_case_performed_in_full_lifts_the_order_of_the_case_it_resumed(
    session: Session, court: Court
) -> None:
    from publicity.lists import defaulters
    from publicity.lists.models import DefaulterEntry, RemovalReason
    from tests.factories import entry_data, terminate

    original = file(session, court, filed_at=NOW - 200 * DAY, parties=(APPLICANT, RESPONDENT))
    order = restrictions.issue_order(
        session,
        case=original,
        respondent=party(original, RESPONDENT.name),
        items=ITEMS,
        issued_on=TODAY - 150 * DAY,  # before the 终本 (filing + 3 months), as a restriction must be
        key=KEY,
        actor="judge",
        now=NOW - 150 * DAY,
    )
    # Imported from the national list: linked to the register by its case number only.
    defaulters.bulk_insert(
        session,
        defaulters.bulk_rows(
            court,
            [
                entry_data(
                    RESPONDENT.name, RESPONDENT.credit_code, 1, kind=PartyKind.ENTITY, case_number=original.number
                )
            ],
            key=KEY,
            now=NOW - 50 * DAY,
        ),
    )
    terminate(session, original)
    resumed = cases.resume_case(
        session, case=original, new_number=None, occurred_at=NOW - DAY, public_text="", actor="judge", now=NOW - DAY
    )
    session.commit()
    node(session, resumed, NodeType.CLOSED, at=NOW, mode=ClosureMode.FULLY_PERFORMED)
    session.commit()
    assert order.lifted_at == NOW and not restrictions.is_public(order, NOW)
    entry = session.scalar(sa.select(DefaulterEntry))
    assert entry.case_id is None and entry.removal_reason == RemovalReason.PERFORMED


def test_termination_of_enforcement_is_a_removal_ground_but_lifts_no_order(
    session: Session, court: Court, case: EnforcementCase
) -> None:
    from publicity.lists import defaulters
    from publicity.lists.models import DefaulterEntry, RemovalReason
    from tests.factories import entry_data

    order = issue(session, case)
    defaulters.bulk_insert(
        session,
        defaulters.bulk_rows(
            court,
            [entry_data(RESPONDENT.name, RESPONDENT.credit_code, 1, kind=PartyKind.ENTITY, case_number=case.number)],
            key=KEY,
            now=NOW,
        ),
    )
    node(session, case, NodeType.CLOSED, at=NOW + DAY, mode=ClosureMode.TERMINATION)
    session.commit()
    assert session.scalar(sa.select(DefaulterEntry.removal_reason)) == RemovalReason.TERMINATION
    assert order.lifted_at is None
