"""Sealing of personal fields: each envelope has its own AES-256-GCM key, held by the store.

Events name their personal fields (``personal_fields``) and carry the ``envelope_id``. The
mapper encrypts each such field alone, so everything else of the event stays readable; the
associated data binds a ciphertext to its envelope, event type and field. When the key is gone
(destroyed) or the mapper has no key access at all (projections), the field comes back ``None``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Collection, Sequence
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from domain.errors import PersonalDataDestroyedError

SEALED = "__sealed__"
NONCE_BYTES = 12


class KeyReader(Protocol):
    def get_key(self, envelope_id: UUID) -> bytes | None: ...

    def get_keys(self, envelope_ids: Collection[UUID]) -> dict[UUID, bytes]: ...


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(envelope_id: UUID, topic: str, field: str) -> bytes:
    return f"{envelope_id.hex}|{topic}|{field}".encode()


def seal(key: bytes, value: Any, aad: bytes) -> dict[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, aad)
    return {SEALED: base64.b64encode(nonce + ciphertext).decode("ascii")}


def unseal(key: bytes, sealed: dict[str, str], aad: bytes) -> Any:
    blob = base64.b64decode(sealed[SEALED])
    plaintext = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    return json.loads(plaintext)


class SealingMapper(Mapper[UUID]):
    """Given no key reader, it seals nothing and redacts every sealed field (the views' reader)."""

    def __init__(self, transcoder: Transcoder, keys: KeyReader | None = None) -> None:
        super().__init__(transcoder=transcoder)
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        fields: tuple[str, ...] = getattr(type(domain_event), "personal_fields", ())
        if not fields:
            return super().to_stored_event(domain_event)
        envelope_id: UUID | None = domain_event.envelope_id
        if envelope_id is None:  # an entry written before it had an envelope keeps its form
            return super().to_stored_event(domain_event)
        key = self.keys.get_key(envelope_id) if self.keys is not None else None
        if key is None:
            raise PersonalDataDestroyedError("the personal data of this case were destroyed")
        topic = get_topic(type(domain_event))
        state = dict(vars(domain_event))
        for field in fields:
            if state[field] is not None:
                state[field] = seal(key, state[field], _aad(envelope_id, topic, field))
        sealed_event = object.__new__(type(domain_event))
        object.__setattr__(sealed_event, "__dict__", state)
        return super().to_stored_event(sealed_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event: Any = super().to_domain_event(stored_event)
        if not self._sealed(event):
            return event
        key = self.keys.get_key(event.envelope_id) if self.keys is not None else None
        return self._unsealed(event, stored_event.topic, key)

    def to_domain_events(self, stored_events: Sequence[StoredEvent]) -> list[Any]:
        """Several events decoded with one read of the keys of all their envelopes."""
        decode = super().to_domain_event
        events: list[Any] = [decode(stored) for stored in stored_events]
        wanted = {event.envelope_id for event in events if self._sealed(event)}
        keys = self.keys.get_keys(wanted) if self.keys is not None and wanted else {}
        return [
            self._unsealed(event, stored.topic, keys.get(event.envelope_id))
            if self._sealed(event)
            else event
            for event, stored in zip(events, stored_events, strict=True)
        ]

    @staticmethod
    def _sealed(event: Any) -> bool:
        return bool(getattr(type(event), "personal_fields", ())) and event.envelope_id is not None

    @staticmethod
    def _unsealed(event: Any, topic: str, key: bytes | None) -> Any:
        for field in type(event).personal_fields:
            value = event.__dict__[field]
            if isinstance(value, dict) and SEALED in value:
                event.__dict__[field] = (  # no key: destroyed, or a reader without keys
                    None
                    if key is None
                    else unseal(key, value, _aad(event.envelope_id, topic, field))
                )
        return event
