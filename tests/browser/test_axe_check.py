"""The accessibility check itself: a page in a state axe-core passed is not checked twice; any change is."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.helpers import AxePassed, assert_accessible

pytestmark = pytest.mark.browser

# htmx is what assert_accessible waits for; a stand-in that is never busy.
PAGE = """<!doctype html><html lang="zh-CN"><head><title>检查</title><script>window.htmx = {}</script></head>
<body><main><h1>标题</h1>{body}</main></body></html>"""
SAME_IMAGE = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="{alt}">'


def axe_ran(page: Page) -> bool:
    """Whether the last check injected axe-core (and so ran it); forgets it for the next check."""
    return bool(page.evaluate("() => { const ran = typeof window.axe !== 'undefined'; delete window.axe; return ran }"))


def test_a_page_that_passed_is_not_checked_again_and_any_change_is(browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content(PAGE.replace("{body}", SAME_IMAGE.replace("{alt}", "法院徽标")))
        assert_accessible(page)
        assert axe_ran(page)

        page.set_content(PAGE.replace("{body}", SAME_IMAGE.replace("{alt}", "法院徽标")))
        assert_accessible(page)
        assert not axe_ran(page)  # the same page again: the pass is remembered

        # One attribute changed (an image without its text alternative): checked again, and it fails.
        page.set_content(PAGE.replace("{body}", SAME_IMAGE.replace(' alt="{alt}"', "")))
        with pytest.raises(AssertionError, match="image-alt"):
            assert_accessible(page)

        # What was typed is part of the state: an empty field and a filled one are different pages.
        form = '<label>姓名 <input name="q"></label>'
        page.set_content(PAGE.replace("{body}", form))
        assert_accessible(page)
        assert axe_ran(page)
        page.set_content(PAGE.replace("{body}", form))
        assert_accessible(page)
        assert not axe_ran(page)
        page.fill("input[name=q]", "张三")
        assert_accessible(page)
        assert axe_ran(page)
    finally:
        context.close()


def test_a_failing_page_is_never_remembered(browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content(PAGE.replace("{body}", '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'))
        for _ in range(2):  # and fails every time it is checked
            with pytest.raises(AssertionError, match="image-alt"):
                assert_accessible(page)
        remembered = AxePassed.path(page)
        assert remembered is not None and not remembered.exists()
    finally:
        context.close()
