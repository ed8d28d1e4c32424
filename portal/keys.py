"""The keys query codes and full ID numbers are hashed with (never stored beside the hashes; they must never change):
the pages, the API and the CLI hash with the same ones."""

from __future__ import annotations

from flask import current_app


def search_key() -> bytes:
    """The key full ID numbers are hashed with for search (must never change)."""
    key: str = current_app.config["MINGJING_ID_SEARCH_KEY"] or current_app.config["SECRET_KEY"]
    return key.encode()


def query_code_key() -> bytes:
    """The key query codes are hashed with (never stored beside the hashes; must never change)."""
    key: str = current_app.config["MINGJING_QUERY_CODE_KEY"] or current_app.config["SECRET_KEY"]
    return key.encode()
