"""Bodies of the referent endpoints (Art. 5.2.1)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from api.schemas.common import Code, Id, In

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Contact(In):
    first_name: Short
    last_name: Short
    phone: Short
    email: Short
    title: Short | None = None


class ReferentIn(In):
    structure_id: Id
    partner: Code
    contact: Contact

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "structure_id": "montauban",
                    "partner": "caf",
                    "contact": {
                        "first_name": "Claire",
                        "last_name": "Dubois",
                        "phone": "05 63 00 00 00",
                        "email": "claire.dubois@caf.example",
                        "title": "référente partenariats",
                    },
                }
            ]
        },
    )


class ContactIn(In):
    contact: Contact


class ReferentOut(BaseModel):
    """A referent as the structure's staff see them; ``contact`` is ``null`` once they left."""

    id: str
    version: int
    structure_id: str
    partner: str
    active: bool
    left_at: str | None
    contact: dict[str, str] | None
