"""The portal in a real browser (Chromium, htmx, CSRF on): what a visitor sees, and axe-core on every page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from portal.extensions import db as flask_db
from portal.models import Role
from publicity.core.models import AuditRecord, Court
from tests.browser.helpers import assert_accessible, login, logout, open_login, path_is, submit_login, wait_for_htmx
from tests.factories import create_account

pytestmark = [pytest.mark.browser, pytest.mark.commits]  # a served app: its threads commit for real

# Where /home sends each role, and the heading the visitor sees there.
ROLE_HOMES = {
    Role.ADMIN: ("/admin/", "账户管理"),
    Role.JUDGE: ("/staff/", "工作台"),
    Role.CLERK: ("/staff/", "工作台"),
    Role.OVERSEER: ("/oversight/", "我的监督"),
    Role.LIAISON: ("/grid/", "我的网格"),
    Role.PROVINCE: ("/admin/courts", "法院"),
}


def heading(page: Page, level: int = 1):
    return page.locator(f"main h{level}")


def nav_login_link(page: Page):
    return page.get_by_role("navigation").get_by_role("link", name="登录", exact=True)


def test_login_logout_each_role(page: Page, accounts_by_role: dict[Role, int]) -> None:
    page.goto("/")
    wait_for_htmx(page)
    expect(heading(page)).to_have_text("阳光执行")
    assert_accessible(page)

    for role, (home, title) in ROLE_HOMES.items():
        open_login(page)
        assert_accessible(page)  # the login form
        submit_login(page, role.value)

        expect(page).to_have_url(path_is(home))
        expect(heading(page)).to_have_text(title)
        expect(page.locator("header")).to_contain_text("当前用户")
        expect(page.locator("header")).to_contain_text(f"测试{role.value}（{role.value}）")
        expect(nav_login_link(page)).to_have_count(0)
        assert_accessible(page)  # the role's home

        logout(page)
        expect(page.locator("#flashes")).to_contain_text("您已退出登录")
        expect(nav_login_link(page)).to_be_visible()
        expect(page.locator("header")).not_to_contain_text("当前用户")
        assert_accessible(page)  # home after logging out

        # The session is really over: the role's home sends the visitor to the login page.
        page.goto(home)
        expect(page).to_have_url(path_is("/login"))
        expect(heading(page)).to_have_text("登录")
        expect(page.locator("#flashes")).to_contain_text("请先登录后再访问此页面")
        assert_accessible(page)


def test_wrong_password_shows_chinese_error(page: Page, accounts_by_role: dict[Role, int]) -> None:
    login(page, "judge", "not-the-password")

    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    expect(page).to_have_url(path_is("/login"))
    expect(heading(page)).to_have_text("登录")
    expect(page.locator("header")).not_to_contain_text("当前用户")
    assert_accessible(page)


def test_chinese_is_the_default_language(page: Page, court: Court) -> None:
    page.goto("/")
    wait_for_htmx(page)

    expect(heading(page)).to_have_text("阳光执行")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    footer = page.locator("footer")
    expect(footer.get_by_role("button", name="中文")).to_have_attribute("aria-pressed", "true")
    expect(footer.get_by_role("button", name="English")).not_to_have_attribute("aria-pressed", "true")


def test_language_switch_is_remembered(page: Page, court: Court) -> None:
    page.goto("/")
    wait_for_htmx(page)
    expect(heading(page)).to_have_text("阳光执行")

    page.locator("footer").get_by_role("button", name="English").click()
    expect(heading(page)).to_have_text("Enforcement in the open")
    expect(page).to_have_url(path_is("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)  # the English home

    # Remembered: a fresh page load is still in English.
    page.goto("/login")
    expect(heading(page)).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username")).to_be_visible()
    assert_accessible(page)

    page.locator("footer").get_by_role("button", name="中文").click()
    expect(heading(page)).to_have_text("登录")
    expect(page).to_have_url(path_is("/login"))
    page.get_by_role("navigation").get_by_role("link", name="首页").click()
    expect(heading(page)).to_have_text("阳光执行")
    page.reload()
    expect(heading(page)).to_have_text("阳光执行")
    expect(page.locator("html")).not_to_have_attribute("lang", "en")


def test_audit_load_more_swaps_in_place(app: Flask, page: Page, accounts_by_role: dict[Role, int]) -> None:
    for n in range(60):
        create_account(app, f"bulk{n:03d}", Role.CLERK)

    login(page, "admin")
    expect(page).to_have_url(path_is("/admin/"))
    with app.app_context():
        total = flask_db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord))
    assert total > 60  # court, 5 role accounts, 60 bulk accounts, the admin's login

    page.goto("/audit/")
    wait_for_htmx(page)
    expect(heading(page)).to_have_text("全程留痕")
    rows = page.locator("tbody#audit-rows > tr")
    expect(rows).to_have_count(50 + 1)  # a page of records and the load-more row
    load_more = page.get_by_role("link", name="加载更早的记录")
    expect(load_more).to_be_visible()
    expect(rows.last).to_contain_text("加载更早的记录")
    expect(rows.first).to_contain_text("admin")  # newest first: the admin's own login
    expect(page.locator("tbody#audit-rows")).not_to_contain_text("登记法院")  # the oldest is not shown yet
    assert_accessible(page)

    url_before = page.url
    page.evaluate("() => { window.__sameDocument = true }")  # survives only if nothing reloads the page
    load_more.click()

    expect(rows).to_have_count(total)
    wait_for_htmx(page)
    assert page.url == url_before, "loading older records must not change the address"
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded instead of swapped"
    expect(page.locator("table")).to_have_count(1)
    expect(load_more).to_have_count(0)  # nothing older left
    # The oldest records are now at the bottom: the court's registration, then the first accounts.
    expect(rows.last).to_contain_text("登记法院")
    expect(rows.last).to_contain_text("court #")
    expect(page.locator("tbody#audit-rows")).to_contain_text('"username":"bulk000"')
    # No record is shown twice: each (chain, seq) pair is unique.
    numbers = [text.strip() for text in rows.locator("td:nth-child(6)").all_inner_texts()]
    assert len(numbers) == total and len(set(numbers)) == total, numbers
    assert_accessible(page)


def test_admin_creates_account_with_csrf(page: Page, accounts_by_role: dict[Role, int]) -> None:
    login(page, "admin")
    expect(page).to_have_url(path_is("/admin/"))
    assert_accessible(page)  # the account list

    # The link is styled as a button (Pico's <a role="button">), so that is its accessible role.
    page.get_by_role("link", name="新建账户").click()
    expect(page).to_have_url(path_is("/admin/accounts/new"))
    expect(heading(page)).to_have_text("新建账户")
    csrf = page.locator("#new-account form input[name=csrf_token]")
    expect(csrf).to_have_count(1)
    assert csrf.get_attribute("value"), "the form carries a CSRF token"
    assert_accessible(page)  # the new-account form

    page.get_by_label("用户名").fill("wangfang")
    page.get_by_label("姓名").fill("王芳")
    page.get_by_label("角色").select_option("judge")
    expect(page.get_by_label("角色").locator("option:checked")).to_have_text("执行法官")
    page.get_by_label("法院").select_option("鲁1427")
    page.get_by_label("手机号码（干警本人）").fill("139 1234 0001")
    page.get_by_label("初始密码").fill("wangfang-initial-1")
    page.get_by_role("button", name="创建账户").click()

    expect(page).to_have_url(re.compile(r"/admin/accounts/\d+$"))
    expect(page.locator("#flashes")).to_contain_text("账户 wangfang 已创建")
    expect(heading(page)).to_contain_text("王芳")
    expect(page.locator("dl.facts")).to_contain_text("执行法官")
    expect(page.locator("dl.facts")).to_contain_text("夏津县人民法院")
    expect(page.locator("dl.facts")).to_contain_text("13912340001")  # stored without the spaces typed
    assert_accessible(page)  # the account page

    logout(page)
    # At the first login the new officer must choose their own password (the administrator knows this one):
    # every page leads to the change-password page until it is done.
    login(page, "wangfang", "wangfang-initial-1")
    expect(page).to_have_url(path_is("/account/password"))
    expect(heading(page)).to_have_text("修改密码")
    expect(page.locator("#flashes")).to_contain_text("请先设置您自己的密码")
    assert_accessible(page)  # the change-password page
    page.goto("/staff/")
    expect(page).to_have_url(path_is("/account/password"))
    page.locator("#current").fill("wangfang-initial-1")
    page.locator("#password").fill("wangfang-own-pass-2")
    page.locator("#confirm").fill("wangfang-own-pass-2")
    page.get_by_role("button", name="设置密码").click()
    expect(page.locator("#flashes")).to_contain_text("密码已修改")
    expect(page).to_have_url(path_is("/staff/"))
    expect(heading(page)).to_have_text("工作台")
    expect(page.locator("header")).to_contain_text("当前用户：王芳（wangfang）")


def test_404_page_is_chinese(page: Page, court: Court) -> None:
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404

    expect(heading(page)).to_have_text("页面不存在")
    expect(page.get_by_text("错误代码 404")).to_be_visible()
    expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    assert_accessible(page)
