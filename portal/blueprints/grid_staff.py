"""The court's side of 执行+网格 under /grid/staff/ (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grid_staff", __name__, url_prefix="/grid/staff")
