"""Uploaded attachments (correction requests, bounty clues, grid reports, aid applications): what is accepted."""

from __future__ import annotations

ATTACHMENT_LIMIT_MB = 5
# What an attachment may be, recognised by its first bytes (never by its name).
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def sniff(content: bytes) -> str | None:
    """The attachment's type from its content, or None when it is none we accept."""
    return next((kind for magic, kind in SIGNATURES.items() if content.startswith(magic)), None)
