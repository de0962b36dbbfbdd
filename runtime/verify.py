"""``ledger verify``: recompute the hash chain from the stored events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast

from eventsourcing.persistence import Notification

from domain.application import Ledger
from domain.chain import Verification, verify


class ChainedRecorder(Protocol):
    def select_after(self, after: int | None, limit: int) -> Sequence[Notification]: ...

    def select_chain(self, after: int | None, limit: int) -> list[tuple[int, bytes]]: ...


def verify_ledger(ledger: Ledger) -> Verification:
    recorder = cast(ChainedRecorder, ledger.recorder)
    return verify(recorder.select_after, recorder.select_chain)
