"""How an ``Actor`` is written in stored events (the ``actor`` transcoding)."""

from __future__ import annotations

from eventsourcing.persistence import Transcoding

from domain.actor import Actor


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return {"name": obj.name, "role": obj.role}

    def decode(self, data: dict[str, str]) -> Actor:
        return Actor(**data)
