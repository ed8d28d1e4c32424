"""Judicial aid (司法救助) under /aid/ (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("aid", __name__, url_prefix="/aid")
