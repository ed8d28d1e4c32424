"""Chinese first, English second: the catalogue is complete and the choice is remembered."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def test_every_message_in_the_source_has_a_chinese_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "N_", "-o", str(pot), str(ROOT)]
    )
    with pot.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with CATALOGUE.open("rb") as f:
        catalogue = {m.id: m for m in read_po(f, locale="zh_CN") if m.id}
    assert len(extracted) > 100
    untranslated = sorted(
        str(mid) for mid in extracted if mid not in catalogue or not catalogue[mid].string or catalogue[mid].fuzzy
    )
    assert untranslated == []


def test_chinese_is_the_default(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    body = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in body
    assert "阳光执行" in body and "登录" in body


def test_switching_to_english_is_remembered(client: FlaskClient) -> None:
    response = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert "mingjing_lang=en" in response.headers["Set-Cookie"]
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page and "登录" not in page
    assert "Enforcement in the open" in client.get("/").get_data(as_text=True)
    client.post("/lang", data={"lang": "zh_CN"})
    assert "阳光执行" in client.get("/").get_data(as_text=True)


def test_english_error_messages(client: FlaskClient) -> None:
    client.post("/lang", data={"lang": "en"})
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_unknown_language_and_foreign_redirects_are_refused(client: FlaskClient) -> None:
    assert client.post("/lang", data={"lang": "fr"}).status_code == 400
    response = client.post("/lang", data={"lang": "en", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"
