"""Secrets in the outbox (an invitation's one-time link) are kept encrypted until the message is delivered.

A message waits in ``publicity_outbox_message`` (and in every backup taken meanwhile) until a delivery worker
sends it; whoever reads the table or a backup must not find a usable link there. ``seal`` replaces the secret
parameters with a Fernet token (AES-128-CBC and HMAC-SHA-256, from the ``cryptography`` package) under a key
derived with HKDF-SHA-256 from the audit key: a key kept outside the database and its backups, which every portal
process (web, command line, delivery worker) already holds and which the services reach without Flask. The
sealed parameter names the audit key it was derived from, so a message sealed before the audit key was rotated
is still opened with the retired key (key files keep retired keys). ``reveal`` opens it at delivery;
``erase`` drops it once the message is sent or given up.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterable, Mapping

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from publicity.core import audit

SEALED = "sealed"  # the parameter holding {"key": audit key id, "data": Fernet token of the secrets as JSON}
INFO = b"mingjing outbox secrets v1"  # HKDF's context: this key is used for nothing else


class Unreadable(ValueError):
    """The sealed secrets cannot be opened with this portal's keys."""


@functools.lru_cache(maxsize=16)
def _fernet(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(params: Mapping[str, object], names: Iterable[str], *, keys: audit.Keyring | None = None) -> dict[str, object]:
    """``params`` with the parameters named (those present) replaced by one sealed parameter."""
    secrets = {name: params[name] for name in names if name in params}
    if not secrets:
        return dict(params)
    ring = keys or audit.keyring()
    token = _fernet(ring.keys[ring.current]).encrypt(json.dumps(secrets, ensure_ascii=False).encode("utf-8"))
    rest = {name: value for name, value in params.items() if name not in secrets}
    return {**rest, SEALED: {"key": ring.current, "data": token.decode("ascii")}}


def reveal(params: Mapping[str, object], *, keys: audit.Keyring | None = None) -> dict[str, object]:
    """``params`` with the sealed secrets opened; ``Unreadable`` when they cannot be (another key, altered)."""
    sealed = params.get(SEALED)
    if sealed is None:
        return dict(params)
    ring = keys or audit.keyring()
    if not isinstance(sealed, Mapping) or not isinstance(sealed.get("data"), str):
        raise Unreadable("the sealed secrets of this message are damaged")
    key_id = str(sealed.get("key"))
    secret = ring.keys.get(key_id)
    if secret is None:
        raise Unreadable(f"the secrets of this message were sealed with audit key {key_id!r}, which this portal lacks")
    try:
        opened = json.loads(_fernet(secret).decrypt(sealed["data"].encode("ascii")))
    except (InvalidToken, ValueError):
        raise Unreadable(
            f"the secrets of this message cannot be decrypted with audit key {key_id!r}: the key differs from the "
            "one they were sealed with, or the row was altered"
        ) from None
    rest = {name: value for name, value in params.items() if name != SEALED}
    return {**rest, **opened}


def erase(params: Mapping[str, object], names: Iterable[str]) -> dict[str, object]:
    """``params`` without its secrets, sealed or not (once the message is sent, or will never be)."""
    names = set(names)
    return {name: value for name, value in params.items() if name != SEALED and name not in names}
