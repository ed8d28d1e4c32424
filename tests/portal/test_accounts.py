"""Account services: password checks and lockouts, with the clock passed in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from portal.identity import accounts
from portal.models import Role
from publicity.core import audit, courts
from tests.factories import NOW, PASSWORD

POLICY = accounts.LoginPolicy(account_failures=5, ip_failures=20, lock=timedelta(minutes=15))


@pytest.fixture
def judge(session: Session) -> accounts.Account:
    court = courts.add_court(session, code="鲁1427", name="夏津县人民法院", province="山东省", actor="t", now=NOW)
    account = accounts.create_account(
        session,
        username="Judge",
        display_name="张法官",
        role=Role.JUDGE,
        password=PASSWORD,
        court=court,
        actor="admin",
        now=NOW,
    )
    session.commit()
    return account


def attempt(
    session: Session, password: str, *, minutes: float = 0, ip: str = "10.0.0.1", username: str = "judge"
) -> accounts.Account:
    try:
        return accounts.authenticate(
            session, username=username, password=password, ip=ip, policy=POLICY, now=NOW + timedelta(minutes=minutes)
        )
    finally:
        session.commit()


def test_usernames_are_case_insensitive_and_passwords_hashed(session: Session, judge: accounts.Account) -> None:
    assert judge.username == "judge"
    assert PASSWORD not in judge.password_hash and judge.password_hash.startswith("$argon2id$")
    assert attempt(session, PASSWORD, username="JUDGE").id == judge.id


def test_five_failures_lock_the_account_even_for_the_right_password(session: Session, judge: accounts.Account) -> None:
    for i in range(5):
        with pytest.raises(accounts.LoginRefused):
            attempt(session, "wrong-password", minutes=i)
    with pytest.raises(accounts.LoginLocked) as locked:
        attempt(session, PASSWORD, minutes=5)
    assert locked.value.until == NOW + timedelta(minutes=15)
    # Still locked a second before the window ends, open right after.
    with pytest.raises(accounts.LoginLocked):
        attempt(session, PASSWORD, minutes=14.99)
    assert attempt(session, PASSWORD, minutes=15.01).id == judge.id


def test_success_clears_the_failure_count(session: Session, judge: accounts.Account) -> None:
    for _ in range(4):
        with pytest.raises(accounts.LoginRefused):
            attempt(session, "wrong-password")
    attempt(session, PASSWORD)
    for _ in range(4):
        with pytest.raises(accounts.LoginRefused):
            attempt(session, "wrong-password")
    assert attempt(session, PASSWORD).id == judge.id


def test_an_address_trying_many_usernames_is_locked_out(session: Session, judge: accounts.Account) -> None:
    for i in range(20):
        with pytest.raises(accounts.LoginRefused):
            attempt(session, "guess", username=f"user{i}", ip="10.9.9.9")
    with pytest.raises(accounts.LoginLocked):
        attempt(session, PASSWORD, ip="10.9.9.9")
    assert attempt(session, PASSWORD, ip="10.1.1.1").id == judge.id


def test_unknown_user_and_wrong_password_give_the_same_error(session: Session, judge: accounts.Account) -> None:
    with pytest.raises(accounts.LoginRefused) as unknown:
        attempt(session, PASSWORD, username="nobody")
    with pytest.raises(accounts.LoginRefused) as wrong:
        attempt(session, "wrong-password")
    assert unknown.value.message == wrong.value.message


def test_a_deactivated_account_cannot_log_in(session: Session, judge: accounts.Account) -> None:
    token = judge.session_token
    accounts.set_active(session, account=judge, active=False, actor="admin", now=NOW)
    session.commit()
    assert judge.session_token != token
    with pytest.raises(accounts.AccountDisabled):
        attempt(session, PASSWORD)


def test_a_reset_changes_the_password_and_ends_sessions(session: Session, judge: accounts.Account) -> None:
    token = judge.session_token
    accounts.set_password(session, account=judge, password="a-brand-new-password", actor="admin", now=NOW, reset=True)
    session.commit()
    assert judge.session_token != token
    with pytest.raises(accounts.LoginRefused):
        attempt(session, PASSWORD)
    assert attempt(session, "a-brand-new-password").id == judge.id


def test_every_account_change_is_audited(session: Session, judge: accounts.Account) -> None:
    accounts.set_active(session, account=judge, active=False, actor="admin", now=NOW)
    accounts.set_active(session, account=judge, active=True, actor="admin", now=NOW)
    accounts.set_password(session, account=judge, password="another-password1", actor="admin", now=NOW, reset=True)
    attempt(session, "another-password1")
    actions = [r.action for r in reversed(audit.page(session, object_type="account", object_id=str(judge.id)))]
    assert actions == [
        "account.create",
        "account.deactivate",
        "account.activate",
        "account.reset_password",
        "account.login",
    ]
    assert audit.verify(session).ok


def test_duplicate_usernames_are_refused(session: Session, judge: accounts.Account) -> None:
    with pytest.raises(accounts.UsernameTaken):
        accounts.create_account(
            session, username="judge", display_name="另一人", role=Role.CLERK, password=PASSWORD, actor="admin", now=NOW
        )


@pytest.mark.commits
def test_parallel_guesses_cannot_outrun_the_lock(engine, judge: accounts.Account) -> None:  # type: ignore[no-untyped-def]
    """Ten guesses at once: at most five are checked against the password, the rest are locked out."""
    import threading

    from sqlalchemy.orm import Session as PlainSession

    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def guess() -> None:
        with PlainSession(engine) as own:
            barrier.wait()
            try:
                accounts.authenticate(
                    own, username="judge", password="wrong-password", ip="10.0.0.9", policy=POLICY, now=NOW
                )
            except accounts.LoginLocked:
                outcomes.append("locked")
            except accounts.LoginRefused:
                outcomes.append("refused")
            finally:
                own.commit()

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["locked"] * 5 + ["refused"] * 5
