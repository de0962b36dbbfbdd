"""Anchors of the hash chain, kept outside the database.

The chain proves that nothing changed after it was written, but someone able to write the
database could cut its end, or rewrite an event and every later link. An anchor records the
chain's head (position and hash) at an instant, signed with a key that is not in the database
(HMAC-SHA256), in an append-only file elsewhere. ``ledger verify`` then fails when the log is
shorter than the latest anchor, or its recomputed link at the anchored position differs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from store.chain import Verification


class AnchorTampered(ValueError):
    """The anchor file's latest line does not carry a valid signature."""


@dataclass(frozen=True)
class Anchor:
    position: int
    hash: str
    at: str
    signature: str = ""

    def payload(self) -> bytes:
        return f"{self.position}|{self.hash}|{self.at}".encode()

    def signed(self, secret: bytes) -> Anchor:
        digest = hmac.new(secret, self.payload(), hashlib.sha256).hexdigest()
        return Anchor(self.position, self.hash, self.at, digest)

    def valid(self, secret: bytes) -> bool:
        return hmac.compare_digest(self.signed(secret).signature, self.signature)


def write_anchor(path: Path, secret: bytes, head: tuple[int, bytes], now: datetime) -> Anchor:
    """Appends the head as a signed JSON line, flushed to disk."""
    position, digest = head
    anchor = Anchor(position, digest.hex(), now.astimezone(UTC).isoformat()).signed(secret)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(asdict(anchor), sort_keys=True) + "\n")
        file.flush()
        os.fsync(file.fileno())
    return anchor


def latest_anchor(path: Path, secret: bytes) -> Anchor | None:
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return None
    try:
        anchor = Anchor(**json.loads(lines[-1]))
    except (ValueError, TypeError):
        raise AnchorTampered("the latest anchor cannot be read") from None
    if not anchor.valid(secret):
        raise AnchorTampered("the latest anchor's signature does not match")
    return anchor


def holds(verification: Verification, anchor: Anchor | None) -> str | None:
    """Why the log does not hold against the anchor, or ``None`` when it does."""
    if anchor is None or not verification.ok:
        return None
    if (verification.verified_through or 0) < anchor.position:
        return f"the log ends at {verification.verified_through}, before anchor {anchor.position}"
    remembered = verification.remembered_hash
    if remembered is None or remembered.hex() != anchor.hash:
        return f"the chain at position {anchor.position} differs from its anchor"
    return None
