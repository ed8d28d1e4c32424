"""Every URL rule, as anonymous and as every role: exactly the declared roles get in."""

from __future__ import annotations

from flask import Flask

from portal.identity import access
from portal.models import Role
from tests.factories import create_account, login

ALL = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.JUDGE, Role.CLERK})
PUBLIC = "public"
CASEWORK = {Role.JUDGE, Role.CLERK}
# A court's administrator manages its accounts; a province administrator its administrators (one account page,
# each scoped to whom its role manages: anyone else's account answers 404, tested in test_court_admins.py).
ADMINISTRATORS = {Role.ADMIN, Role.PROVINCE}
# Oversight files of a case: to anyone but these roles the URL does not exist (404, even anonymous).
HIDDEN_OVERSEER = access.Hidden({Role.OVERSEER})
HIDDEN_JUDGE = access.Hidden({Role.JUDGE})
HIDDEN_LIAISON = access.Hidden({Role.LIAISON})

# The expected policy, written out by hand: a new route fails this test until it is added here.
EXPECTED: dict[str, object] = {
    "static": PUBLIC,
    "public.home": PUBLIC,
    "public.set_language": PUBLIC,
    "public.health": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": ALL,
    "auth.home": ALL,
    "auth.change_password": ALL,
    "auth.login_sessions": ALL,
    "auth.end_sessions": ALL,
    "anchors.index": PUBLIC,
    "anchors.as_json": PUBLIC,
    "anchors.feed": PUBLIC,
    "admin.index": {Role.ADMIN},
    "admin.new_account": {Role.ADMIN},
    "admin.account": ADMINISTRATORS,
    "admin.toggle_active": ADMINISTRATORS,
    "admin.reset_password": ADMINISTRATORS,
    "admin.set_contact": ADMINISTRATORS,
    # Courts and their administrators: the province administrator only.
    "admin.courts": {Role.PROVINCE},
    "admin.new_court": {Role.PROVINCE},
    "admin.court": {Role.PROVINCE},
    "admin.new_court_admin": {Role.PROVINCE},
    "staff.home": {Role.JUDGE, Role.CLERK},
    "audit.index": STAFF,
    "overseer.home": {Role.OVERSEER},
    "overseer.answer": {Role.OVERSEER},
    "grid.home": {Role.LIAISON},
    "cases.lookup": PUBLIC,
    "cases.view": PUBLIC,
    "cases.more_nodes": PUBLIC,
    "cases.subscribe": PUBLIC,
    "cases.leave": PUBLIC,
    "cases.unsubscribe": PUBLIC,
    "api.case_lookup": PUBLIC,
    "api.openapi": PUBLIC,
    "casework.index": CASEWORK,
    "casework.new": CASEWORK,
    "casework.show": CASEWORK,
    "casework.add_node": CASEWORK,
    "casework.correct": CASEWORK,
    "casework.add_funds": CASEWORK,
    "casework.pay_out": CASEWORK,
    "casework.reverse_funds": CASEWORK,
    "casework.decide_payout": {Role.JUDGE},
    "casework.delay_payout": {Role.JUDGE},
    "casework.assign_judge": CASEWORK,
    "casework.add_party": CASEWORK,
    "casework.reissue_code": CASEWORK,
    "casework.resume": CASEWORK,
    "casework.slip": CASEWORK,
    "lists.defaulters": PUBLIC,
    "lists.defaulter": PUBLIC,
    "lists.defaulters_csv": PUBLIC,
    "lists.defaulters_feed": PUBLIC,
    "lists.correction": PUBLIC,
    "lists.corrections_worklist": CASEWORK,
    "lists.correction_review": CASEWORK,
    "lists.correction_attachment": CASEWORK,
    "lists.removals": CASEWORK,
    "lists.staff_entry": CASEWORK,
    "lists.remove_entry": CASEWORK,
    "api.defaulters_api": PUBLIC,
    "api.terminated_api": PUBLIC,
    "restrictions.search": PUBLIC,
    "restrictions.order": PUBLIC,
    "restrictions.csv": PUBLIC,
    "restrictions.issue": CASEWORK,
    "restrictions.staff_list": CASEWORK,
    "restrictions.staff_order": CASEWORK,
    "api.restrictions_api": PUBLIC,
    "lists.terminated": PUBLIC,
    "bounties.notices": PUBLIC,
    "bounties.notice": PUBLIC,
    "bounties.clue": PUBLIC,
    "bounties.new": CASEWORK,
    "bounties.worklist": CASEWORK,
    "bounties.staff_notice": CASEWORK,
    "bounties.clue_attachment": CASEWORK,
    "api.bounties_api": PUBLIC,
    "exposure.board": PUBLIC,
    "exposure.new_feature": CASEWORK,
    "exposure.staff_board": CASEWORK,
    "exposure.withdraw": CASEWORK,
    "search.index": PUBLIC,
    "bounties.csv": PUBLIC,
    "lists.terminated_csv": PUBLIC,
    "overseer.invitation": PUBLIC,
    "overseer.decline_without_account": PUBLIC,
    "dashboard.index": PUBLIC,
    "dashboard.csv": PUBLIC,
    "dashboard.judges": STAFF,
    "api.stats_api": PUBLIC,
    "aid.apply": PUBLIC,
    "aid.decision": PUBLIC,
    "aid.decision_pdf": PUBLIC,
    "aid.worklist": CASEWORK,
    "aid.application": CASEWORK,
    "aid.decide": {Role.JUDGE},
    "aid.pay": CASEWORK,
    "aid.staff_decision": CASEWORK,
    "aid.staff_decision_pdf": CASEWORK,
    "aid.document": CASEWORK,
    "grid.mark_read": {Role.LIAISON},
    "grid.task": HIDDEN_LIAISON,
    "grid.accept": HIDDEN_LIAISON,
    "grid_staff.areas": {Role.ADMIN},
    "grid_staff.liaisons": {Role.ADMIN},
    "grid_staff.liaison": {Role.ADMIN},
    "grid_staff.case": CASEWORK,
    "grid_staff.locate": CASEWORK,
    "grid_staff.request_task": {Role.JUDGE},
    "grid_staff.close_task": {Role.JUDGE},
    "grid_staff.attachment": CASEWORK,
    "grid_staff.tasks": {Role.JUDGE},
    "grid_staff.stats": STAFF,
    "overseer.case": HIDDEN_OVERSEER,
    "overseer.respond": HIDDEN_OVERSEER,
    "overseer.witnessed": HIDDEN_OVERSEER,
    "overseer.card": HIDDEN_OVERSEER,
    "overseer.save_card": HIDDEN_OVERSEER,
    "overseer.amend_card": HIDDEN_OVERSEER,
    "overseer.ask": HIDDEN_OVERSEER,
    "overseer.talk": HIDDEN_OVERSEER,
    "overseer.acknowledge": HIDDEN_OVERSEER,
    "overseer.report_pdf": HIDDEN_OVERSEER,
    "oversight_staff.worklist": {Role.JUDGE},
    "oversight_staff.statistics": STAFF,
    # The roster is kept by the administrators; judges read it and invite from it.
    "oversight_staff.roster": {Role.ADMIN, Role.JUDGE},
    "oversight_staff.add_overseer": {Role.ADMIN},
    "oversight_staff.edit_overseer": {Role.ADMIN},
    "oversight_staff.case": HIDDEN_JUDGE,
    "oversight_staff.invite": HIDDEN_JUDGE,
    "oversight_staff.cancel_invitation": HIDDEN_JUDGE,
    "oversight_staff.schedule_action": HIDDEN_JUDGE,
    "oversight_staff.cancel_action": HIDDEN_JUDGE,
    "oversight_staff.reschedule_action": HIDDEN_JUDGE,
    "oversight_staff.action_outcome": HIDDEN_JUDGE,
    "oversight_staff.answer_card": HIDDEN_JUDGE,
    "oversight_staff.answer_question": HIDDEN_JUDGE,
    "oversight_staff.file_report": HIDDEN_JUDGE,
    "oversight_staff.report_pdf": HIDDEN_JUDGE,
}


def sample_url(app: Flask, rule, account_id: int) -> str:  # type: ignore[no-untyped-def]
    values = {}
    for name in rule.arguments:
        values[name] = {
            "account_id": account_id,
            "court_id": 999999,
            "filename": "css/mingjing.css",
            "case_id": 999999,
            "party_id": 999999,
            "token": "no-such-token",
            "entry_id": 999999,
            "request_id": 999999,
            "notice_id": 999999,
            "clue_id": 999999,
            "order_id": 999999,
            "feature_id": 999999,
            "action_id": 999999,
            "card_id": 999999,
            "question_id": 999999,
            "invitation_id": 999999,
            "overseer_id": 999999,
            "task_id": 999999,
            "liaison_id": 999999,
            "application_id": 999999,
            "document_id": 999999,
        }[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_every_rule_is_in_the_expected_policy(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED)


def test_every_view_declares_its_access(app: Flask) -> None:
    undeclared = [e for e in app.view_functions if access.access_of(app, e) is None]
    assert undeclared == []


def test_access_matrix(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    target = create_account(app, "target", Role.CLERK)  # an account the admin may act on
    clients = {}
    for identity in [None, *Role]:
        clients[identity] = app.test_client()
        if identity is not None:
            assert login(clients[identity], identity.value).status_code == 303
    # Logging out (everywhere, then here) would end the session the later checks need: those go last.
    last = {"auth.end_sessions": 1, "auth.logout": 2}
    rules = sorted(app.url_map.iter_rules(), key=lambda r: last.get(r.endpoint, 0))
    failures = []
    for rule in rules:
        url = sample_url(app, rule, target)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
        expected = EXPECTED[rule.endpoint]
        for identity, client in clients.items():
            response = client.open(url, method=method)
            response.close()  # streamed bodies (the CSV export) end inside their request
            redirected_to_login = response.status_code == 302 and "/login" in response.headers["Location"]
            denied = redirected_to_login or response.status_code == 403
            allowed = expected == PUBLIC or (identity is not None and identity in expected)
            if allowed and denied:
                failures.append(f"{identity} refused at {method} {url} ({response.status_code})")
            if not allowed and isinstance(expected, access.Hidden):
                if response.status_code != 404:
                    failures.append(f"{identity} not hidden at {method} {url} ({response.status_code})")
            elif not allowed:
                want = 302 if identity is None else 403
                if response.status_code != want or (identity is None and not redirected_to_login):
                    failures.append(f"{identity} not refused at {method} {url} ({response.status_code})")
            if rule.endpoint == "auth.end_sessions" and identity is not None:  # logged out everywhere: back in
                assert login(client, identity.value).status_code == 303
    assert failures == []


def test_the_denial_page_is_chinese(app: Flask, accounts_by_role: dict[Role, int]) -> None:
    client = app.test_client()
    login(client, "clerk")
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "您的账户无权访问此页面" in response.get_data(as_text=True)
