"""The key vault shared by both recorders: pending keys, subject hashes and visit tokens.

* Keys are prepared in memory, used by the mapper to seal, and inserted by the recorder in the
  same transaction as the first events of their envelope.
* The subject hash (HMAC of the normalised identity, key outside the database) sits on the key's
  row, so a DPO can find every envelope of one person, and it disappears with the key.
* A visit token (HMAC of structure, quarter and identity) tells whether a person was already seen
  at a structure this quarter, for the quarterly count of distinct users; tokens are kept only
  for the current and previous quarter (``purge_visit_tokens``).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from store.sealing import new_key
from store.wrapping import MasterKeys

IMMUTABLE_TABLES = ("event_chain", "destroyed_envelopes")  # besides the events


class PendingKeys:
    """Never popped by the recorder, so a retried insert stores the keys again; the Ledger
    discards them once the save is over, stored or not."""

    def __init__(self) -> None:
        self._keys: dict[UUID, tuple[UUID, bytes, bytes | None]] = {}
        self._lock = threading.Lock()

    def prepare(self, envelope_id: UUID, owner_id: UUID, subject_hash: bytes | None) -> None:
        with self._lock:
            self._keys[envelope_id] = (owner_id, new_key(), subject_hash)

    def discard(self, envelope_id: UUID) -> None:
        with self._lock:
            self._keys.pop(envelope_id, None)

    def key(self, envelope_id: UUID) -> bytes | None:
        with self._lock:
            entry = self._keys.get(envelope_id)
        return entry[1] if entry else None

    def rows(self, envelope_ids: Sequence[UUID]) -> list[tuple[UUID, UUID, bytes, bytes | None]]:
        with self._lock:
            return [(e, *self._keys[e]) for e in envelope_ids]


class KeyVault(ABC):
    """Mixed into both recorders. A vault opened without the subject key (projection runners,
    ``ledger verify``) reads keys but cannot hash identities."""

    def _init_vault(self, subject_key: bytes | None, master: Callable[[], MasterKeys]) -> None:
        self.pending = PendingKeys()
        self.subject_key = subject_key
        self._master_loader = master

    @cached_property
    def master(self) -> MasterKeys:
        """Loaded at the first key wrapped or opened: a process that never touches a key
        (a projection runner, ``ledger verify``) is never given the master key."""
        return self._master_loader()

    def _wrapped_rows(
        self, envelope_ids: Sequence[UUID]
    ) -> list[tuple[UUID, UUID, bytes, bytes | None]]:
        """The pending keys of ``envelope_ids`` as the rows to insert: each key wrapped under
        the master key (``store.wrapping``), never stored bare."""
        return [
            (envelope, owner, self.master.wrap(envelope, key), subject)
            for envelope, owner, key, subject in self.pending.rows(envelope_ids)
        ]

    def _hmac(self, purpose: str, text: str) -> bytes:
        if not self.subject_key:
            raise RuntimeError("this store was opened without the subject key (a reader)")
        return hmac.new(self.subject_key, f"{purpose}|{text}".encode(), hashlib.sha256).digest()

    def prepare_key(self, envelope_id: UUID, owner_id: UUID, subject: str | None = None) -> None:
        subject_hash = None if subject is None else self._hmac("subject", subject)
        self.pending.prepare(envelope_id, owner_id, subject_hash)

    def discard_pending(self, envelope_id: UUID) -> None:
        self.pending.discard(envelope_id)

    def get_key(self, envelope_id: UUID) -> bytes | None:
        if (pending := self.pending.key(envelope_id)) is not None:
            return pending
        stored = self._value("key", envelope_id)
        return None if stored is None else self.master.unwrap(envelope_id, bytes(stored))

    def get_keys(self, envelope_ids: Collection[UUID]) -> dict[UUID, bytes]:
        """The keys of several envelopes in one statement (a page that shows many cases); a
        destroyed envelope is absent. Nothing is kept after the call: destruction stays
        immediate."""
        found = {e: key for e in envelope_ids if (key := self.pending.key(e)) is not None}
        wanted = [e for e in set(envelope_ids) if e not in found]
        for envelope, stored in self._keys_of(wanted) if wanted else []:
            found[envelope] = self.master.unwrap(envelope, stored)
        return found

    def key_kinds(self) -> dict[str, int]:
        """How many stored keys each master wrapped (``ledger keys status``)."""
        counts: dict[str, int] = {}
        for _, stored in self._stored_keys():
            kind = self.master.kind(stored)
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def rewrap(self, *, bare_only: bool = False) -> int:
        """Wraps every stored key not yet under the writing master (a bare key of an older
        store, or the previous master's during a rotation; only bare keys when ``bare_only``)
        in one transaction, then scrubs the old forms away. Returns how many were re-wrapped."""
        changed = [
            (envelope, self.master.wrap(envelope, self.master.unwrap(envelope, stored)))
            for envelope, stored in self._stored_keys()
            if self.master.needs_rewrap(stored)
            and (not bare_only or self.master.kind(stored) == "bare")
        ]
        if changed:
            self._replace_keys(changed)
            self.scrub()
        return len(changed)

    def owner_of(self, envelope_id: UUID) -> UUID | None:
        owner = self._value("owner", envelope_id)
        return None if owner is None else UUID(str(owner))

    def same_subject(self, first: UUID, second: UUID) -> bool:
        """Whether two live envelopes hold the data of one person (their keyed subject hashes
        are equal): no identity is read or compared in clear."""
        one, other = self._value("subject", first), self._value("subject", second)
        return one is not None and other is not None and bytes(one) == bytes(other)

    def envelopes_of(self, subject: str) -> list[UUID]:
        """Every live envelope of one person (GDPR 15 access requests)."""
        return [UUID(str(e)) for e in self._values("by_subject", self._hmac("subject", subject))]

    def visit_token(self, subject: str, structure_id: UUID, quarter: str) -> tuple[bytes, bool]:
        """The person's token at this structure and quarter, and whether it was seen before."""
        token = self._hmac("visit", f"{structure_id.hex}|{quarter}|{subject}")
        return token, bool(self._values("visit", token))

    @abstractmethod
    def _value(self, query: str, key: Any) -> Any: ...

    @abstractmethod
    def _values(self, query: str, key: Any) -> list[Any]: ...

    @abstractmethod
    def _keys_of(self, envelope_ids: Sequence[UUID]) -> list[tuple[UUID, bytes]]: ...

    @abstractmethod
    def select_events_of(self, originator_ids: Collection[UUID]) -> list[StoredEvent]:
        """Every event of several aggregates in one statement, each aggregate's in order."""

    @abstractmethod
    def _stored_keys(self) -> list[tuple[UUID, bytes]]: ...

    @abstractmethod
    def _replace_keys(self, rows: list[tuple[UUID, bytes]]) -> None:
        """Stores the new wrapped keys in one transaction and leaves the old ones to ``scrub``."""

    @abstractmethod
    def scrub(self) -> bool: ...

    @abstractmethod
    def purge_visit_tokens(self, before_quarter: str) -> int: ...
