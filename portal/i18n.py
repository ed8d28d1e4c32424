"""Language choice: Chinese by default, English on request, remembered in a cookie."""

from __future__ import annotations

from flask import Flask, current_app, request

from portal.extensions import babel

LANG_COOKIE = "mingjing_lang"


def select_locale() -> str:
    """The visitor's chosen language, else the default (zh_CN); browsers' hints are ignored."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen is not None and chosen in current_app.config["LANGUAGES"]:
        return chosen
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    return default


def select_timezone() -> str:
    """Times are shown in the court's time zone (Asia/Shanghai unless configured)."""
    zone: str = current_app.config["MINGJING_TIMEZONE"]
    return zone


def html_lang(locale: str) -> str:
    """The BCP 47 tag for <html lang> (zh_CN → zh-CN)."""
    return locale.replace("_", "-")


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
