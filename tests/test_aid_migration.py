"""Migration 0013 (judicial aid review) on a database that already holds applications: history is kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from publicity.core import courts
from publicity.core.models import OfficerKind
from publicity.outreach import aid
from publicity.outreach.models import Hardship
from publicity.record import cases
from publicity.record.models import PartyKind, PartySide
from tests.databases import ENGINES, WORKER, pg_url, reset_pg_schema
from tests.factories import DAY, NOW, make_app


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/aid-migrated.sqlite3"
    reset_pg_schema(f"mingjing_aid_migration_{WORKER}", create_tables=False)
    return pg_url(f"mingjing_aid_migration_{WORKER}")


def _applications(conn: sa.Connection) -> list[tuple[int, str]]:
    return [
        tuple(row) for row in conn.execute(sa.text("SELECT attempt, status FROM publicity_aid_application ORDER BY id"))
    ]


def test_existing_applications_are_numbered_and_nothing_else_is_rewritten(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        session = db.session
        court = courts.add_court(session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW)
        reviewer = courts.add_officer(session, court=court, name="李明", kind=OfficerKind.JUDGE, actor="t", now=NOW)
        case = cases.file_case(
            session,
            court=court,
            number="（2026）鲁1427执1号",
            basis_issuer="夏津县人民法院",
            basis_number="（2025）鲁1427民初1号",
            amount_applied_fen=5_000_000,
            filed_at=NOW,
            parties=[
                cases.PartyData(side=PartySide.APPLICANT, kind=PartyKind.PERSON, name="张三", phone="13800000000"),
                cases.PartyData(side=PartySide.RESPONDENT, kind=PartyKind.PERSON, name="李四"),
            ],
            actor="t",
            now=NOW,
        )
        applicant = case.parties[0]
        first = aid.apply(
            session,
            case=case,
            party=applicant,
            hardship=Hardship.WAGES,
            household="失业",
            amount_asked_fen=100_000,
            documents=[],
            now=NOW,
        )
        aid.decide(
            session,
            application=first,
            reviewer=reviewer,
            grant=False,
            amount_granted_fen=None,
            reasons="不符合条件",
            decided_at=NOW + DAY,
            actor="t",
            now=NOW + DAY,
        )
        first_id = first.id
        session.commit()
        session.remove()
        downgrade(revision="0012")
        # Before 0013 an applicant could apply again after a refusal without saying what changed: two such rows.
        with db.engine.begin() as conn:
            for _ in range(2):
                conn.execute(
                    sa.text(
                        "INSERT INTO publicity_aid_application (case_id, party_id, hardship, household, "
                        "amount_asked_fen, status, submitted_at, review_due_at, decided_by, reasons) "
                        "SELECT case_id, party_id, hardship, household, amount_asked_fen, 'refused', submitted_at, "
                        "review_due_at, decided_by, reasons FROM publicity_aid_application WHERE id = :id"
                    ),
                    {"id": first_id},
                )
        upgrade()
        with db.engine.connect() as conn:
            assert _applications(conn) == [(1, "refused"), (2, "refused"), (3, "refused")]
            kept = conn.execute(
                sa.text("SELECT reviewer_id, reasons, changed_circumstances, paid_fen FROM publicity_aid_application")
            ).all()
            assert [tuple(row) for row in kept] == [(None, "不符合条件", "", None)] * 3
        db.engine.dispose()
