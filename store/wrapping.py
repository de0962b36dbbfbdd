"""Envelope keys are stored wrapped under a master key that is never in the database.

A copied database file alone therefore decrypts nothing: every row of ``envelope_keys`` holds
``version | key id | nonce | AES-256-GCM(master, envelope key)``, the associated data binding it
to its envelope (a wrapped key moved to another row does not open). The master key is derived
from the configured secret (HKDF-SHA256), and its key id (8 bytes of a hash of the derived key)
tells which master wrapped a row, so that a rotation can run while both masters are known.

During a rotation a *next* master is configured beside the current one: new keys are wrapped
under it, both open, and ``rewrap`` moves every older row to it (``ledger keys rotate``).
Rows written before wrapping existed hold the bare 32-byte key; they still open, and
``ledger migrate`` wraps them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"
KEY_ID_BYTES = 8
NONCE_BYTES = 12
BARE_KEY_BYTES = 32
_INFO = b"france-services-ledger envelope key wrapping v1"


class MasterKeyMismatch(RuntimeError):
    """A stored key was wrapped under a master this process does not hold."""


@dataclass(frozen=True)
class _Master:
    aead: AESGCM
    key_id: bytes

    @classmethod
    def derive(cls, secret: bytes) -> _Master:
        if len(secret) < 16:
            raise ValueError("a master key secret has at least 16 bytes")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
        key_id = hashlib.sha256(b"key id|" + derived).digest()[:KEY_ID_BYTES]
        return cls(AESGCM(derived), key_id)


class MasterKeys:
    """The current master and, during a rotation, the next one (which then wraps new keys)."""

    def __init__(self, current: bytes, following: bytes | None = None) -> None:
        self._current = _Master.derive(current)
        self._next = None if following is None else _Master.derive(following)
        self._by_id = {m.key_id: m for m in (self._current, self._next) if m is not None}

    @property
    def writer(self) -> _Master:
        return self._next or self._current

    def wrap(self, envelope_id: UUID, key: bytes) -> bytes:
        writer, nonce = self.writer, os.urandom(NONCE_BYTES)
        return VERSION + writer.key_id + nonce + writer.aead.encrypt(nonce, key, envelope_id.bytes)

    def unwrap(self, envelope_id: UUID, stored: bytes) -> bytes:
        if len(stored) == BARE_KEY_BYTES:  # written before wrapping; ``ledger migrate`` wraps it
            return stored
        key_id = stored[1 : 1 + KEY_ID_BYTES]
        master = self._by_id.get(key_id) if stored[:1] == VERSION else None
        if master is None:
            raise MasterKeyMismatch(
                "an envelope key is wrapped under a master key this process was not given "
                "(LEDGER_MASTER_KEY, or the .master-key file beside the SQLite database)"
            )
        start = 1 + KEY_ID_BYTES
        nonce, sealed = stored[start : start + NONCE_BYTES], stored[start + NONCE_BYTES :]
        return master.aead.decrypt(nonce, sealed, envelope_id.bytes)

    def kind(self, stored: bytes) -> str:
        """``current``, ``next``, ``bare`` (never wrapped) or ``unknown`` (another master)."""
        if len(stored) == BARE_KEY_BYTES:
            return "bare"
        key_id = stored[1 : 1 + KEY_ID_BYTES]
        if self._next is not None and key_id == self._next.key_id:
            return "next"
        return "current" if key_id == self._current.key_id else "unknown"

    def needs_rewrap(self, stored: bytes) -> bool:
        return len(stored) == BARE_KEY_BYTES or stored[1 : 1 + KEY_ID_BYTES] != self.writer.key_id
