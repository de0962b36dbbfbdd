"""``ledger demo``: a realistic synthetic department (Tarn-et-Garonne, 82).

Twenty structures with their timetables, requests across partners, channels and missions with
responses (one in 25 still unanswered), escalations and resolutions (each resolved case's data
destroyed then, as the scheduler does), mandates (some used, some revoked), one breach, and the
convention's evaluation: paper questionnaires, complaints (some answered late), two referents per
structure and three flash audits. Every name is synthetic. Commands run with ``now`` = the
instant each step happened.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from tqdm import tqdm

from application.ledger import Ledger
from domain.actor import SYSTEM, Actor
from domain.errors import VersionConflict
from domain.request import Outcome
from domain.vocabulary import Channel, Mission, Partner

TOWNS = [
    "montauban",
    "moissac",
    "castelsarrasin",
    "caussade",
    "valence-d-agen",
    "negrepelisse",
    "beaumont-de-lomagne",
    "lafrancaise",
    "caylus",
    "saint-antonin",
    "grisolles",
    "verdun-sur-garonne",
    "montech",
    "labastide-saint-pierre",
    "lavit",
    "montaigu-de-quercy",
    "molieres",
    "auvillar",
    "nohic",
    "bus-quercy",
]
THEMES = {
    "caf": ["rsa", "housing_aid", "family_allowance"],
    "france_travail": ["registration", "job_search"],
    "cpam": ["health_card", "css"],
    "carsat": ["pension"],
    "msa": ["farm_benefits"],
    "la_poste": ["mail_redirection"],
    "dgfip": ["income_tax", "property_tax"],
    "interieur": ["identity_card", "driving_licence", "vehicle_registration"],
    "justice": ["legal_aid"],
}
FIRST = ["Camille", "Lucas", "Manon", "Hugo", "Léa", "Nathan", "Chloé", "Louis", "Inès", "Jules"]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
]
CHANNELS = (
    [Channel.COUNTER] * 10
    + [Channel.PHONE] * 4
    + [Channel.EMAIL] * 3
    + [Channel.CONTACT_FORM] * 2
    + [Channel.VIDEO, Channel.MAIL]
)
ADMIN = Actor("demo-admin", "admin")
DPO = Actor("demo-dpo", "dpo")
AUDITOR = Actor("demo-auditor", "admin")


def _timetable(rng: random.Random) -> list[dict[str, Any]]:
    days = range(1, 6) if rng.random() < 0.85 else range(1, 5)
    closes = rng.choice(["13:00", "14:00", "16:30"])
    return [{"weekday": d, "opens": "09:00", "closes": closes} for d in days]


def _person(rng: random.Random) -> dict[str, str]:
    return {
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "birth_date": f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
    }


def load_demo(ledger: Ledger, *, requests: int, seed: int, now: datetime) -> dict[str, int]:
    rng = random.Random(seed)
    start = now - timedelta(days=90)
    codes = _structures(ledger, start)
    counts = {
        "structures": len(codes),
        "requests": 0,
        "mandates": 0,
        "actions": 0,
        "destructions": 0,
        "breaches": 0,
    }
    for _ in tqdm(range(requests), desc="requests", unit="req", mininterval=0.5):
        received = start + timedelta(seconds=rng.uniform(0, 80 * 86400))
        counts["mandates"] += _one_case(ledger, rng, rng.choice(codes), received, counts)
        counts["requests"] += 1
    _breach(ledger, now - timedelta(hours=30))
    counts["breaches"] = 1
    ledger.personal_data.scrub()
    counts["questionnaires"] = _questionnaires(ledger, random.Random(seed + 1), codes, start, now)
    counts |= _evaluation(ledger, random.Random(seed + 2), codes, start, now)
    return counts


OVERALL = {"very_satisfied": 5, "satisfied": 4, "dissatisfied": 1, "very_dissatisfied": 1}


def _questionnaires(
    ledger: Ledger, rng: random.Random, codes: list[str], start: datetime, now: datetime
) -> int:
    """Paper questionnaires (Art. 4.7), a few per structure, mostly satisfied; its own random
    stream, so that the cases of a seed stay what they were."""
    recorded = 0
    for code in codes:
        adviser = Actor(f"adviser-{code}-1", "adviser")
        for _ in range(rng.randint(2, 6)):
            at = start + (now - start) * rng.random()
            overall = rng.choices(list(OVERALL), weights=list(OVERALL.values()))[0]
            answers = {"overall": overall, "waiting": rng.choice(["yes", "yes", "no"])}
            ledger.satisfaction.record_answer(
                structure_code=code, channel="counter", answers=answers, actor=adviser, now=at
            )
            recorded += 1
    return recorded


def _evaluation(
    ledger: Ledger, rng: random.Random, codes: list[str], start: datetime, now: datetime
) -> dict[str, int]:
    """Complaints (answered within 5 to 45 days when that has come, so some late), a CAF and a
    France Travail referent per structure, and flash audits of three structures (two closed);
    their own random stream, as the questionnaires'."""
    counts = {"complaints": 0, "referents": 0, "audits": 0}
    for code in codes:
        adviser = Actor(f"adviser-{code}-1", "adviser")
        for _ in range(rng.randint(0, 3)):
            received = start + (now - start) * rng.random()
            complaint = ledger.complaints.receive_complaint(
                structure_code=code,
                channel=rng.choice(["counter", "mail", "email"]),
                topic=rng.choice(["waiting", "opening_hours", "answer_delay", "welcome", "other"]),
                received_at=received,
                complainant=_person(rng),
                text="Plainte de démonstration.",
                actor=adviser,
                now=received,
            )
            answered = received + timedelta(days=rng.uniform(5, 45))
            if answered < now:
                ledger.complaints.answer_complaint(
                    complaint,
                    at=answered,
                    answer="Réponse de démonstration.",
                    actor=adviser,
                    now=answered,
                )
            counts["complaints"] += 1
        for partner in ("caf", "france_travail"):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            ledger.referents.appoint_referent(
                structure_code=code,
                partner=partner,
                contact={
                    "first_name": first,
                    "last_name": last,
                    "phone": f"05 63 {rng.randint(10, 99)} {rng.randint(10, 99)} 00",
                    "email": f"{first.lower()}.{last.lower()}@{partner}.demo.invalid",
                },
                actor=ADMIN,
                now=start,
            )
            counts["referents"] += 1
    for i, code in enumerate(codes[:3]):
        at = now - timedelta(days=20 - 5 * i)
        audit = ledger.audits.open_audit(structure_code=code, evidence={}, actor=AUDITOR, now=at)
        if i == 2:
            counts["audits"] += 1
            continue  # still open
        for criterion in audit.criteria:
            result = rng.choices(["met", "partly_met", "not_met"], weights=[8, 2, i])[0]
            ledger.audits.assess_criterion(
                audit, criterion=criterion.code, result=result, actor=AUDITOR, now=at
            )
        ledger.audits.close_audit(audit, actor=AUDITOR, now=at + timedelta(hours=2))
        counts["audits"] += 1
    return counts


def _structures(ledger: Ledger, at: datetime) -> list[str]:
    rng = random.Random(0)
    for code in TOWNS:
        try:
            ledger.structures.register_structure(
                code=code,
                name=f"France Services {code.replace('-', ' ').title()}",
                department="82",
                timetable=_timetable(rng),
                actor=ADMIN,
                now=at,
            )
        except VersionConflict:
            continue  # loaded by an earlier demo run
    return TOWNS


def _one_case(
    ledger: Ledger, rng: random.Random, code: str, received: datetime, counts: dict[str, int]
) -> int:
    adviser = Actor(f"adviser-{code}-{rng.randint(1, 3)}", "adviser")
    partner = rng.choice(list(Partner)).value
    person = _person(rng)
    request = ledger.requests.open_request(
        structure_code=code,
        channel=rng.choice(CHANNELS).value,
        partner=partner,
        mission=rng.choice(list(Mission)).value,
        theme=rng.choice(THEMES[partner]),
        received_at=received,
        user=person,
        actor=adviser,
        now=received,
    )
    if counts["requests"] % 25 == 24:
        return 0  # not answered yet
    at = received + timedelta(hours=min(rng.expovariate(1 / 30), 120))
    ledger.requests.respond(request.id, at=at, summary="first answer given", actor=adviser, now=at)
    signed = 0
    if rng.random() < 0.12:
        signed = 1
        mandate = ledger.mandates.sign_mandate(
            structure_code=code,
            mandant=person,
            identity_verification={"document_type": "id_card", "verified_at": at},
            information_notice_version="2026-01",
            scopes=[{"partner": partner, "kinds": ["act_on_behalf", "data_communication"]}],
            valid_until=at + timedelta(days=rng.choice([31, 182, 365])),
            originals=2,
            signed_document_sha256=f"{rng.getrandbits(256):064x}",
            signed_on_site=True,
            actor=adviser,
            now=at,
        )
        ledger.requests.act_on_behalf(
            request.id,
            mandate_id=mandate.id,
            partner=partner,
            scope="act_on_behalf",
            procedure=f"{partner}_online_procedure",
            at=at,
            actor=adviser,
            now=at,
        )
        counts["actions"] += 1
        if rng.random() < 0.2:
            ledger.mandates.revoke_mandate(
                mandate.id,
                requested_by="mandant",
                channel="phone",
                reason="user now manages alone",
                at=at,
                actor=adviser,
                now=at,
            )
    if rng.random() < 0.08:
        ledger.requests.escalate(
            request.id, partner=partner, reason="file blocked", at=at, actor=adviser, now=at
        )
    if rng.random() < 0.7:
        done = at + timedelta(hours=rng.uniform(1, 72))
        ledger.requests.resolve(
            request.id, outcome=rng.choice(list(Outcome)).value, at=done, actor=adviser, now=done
        )
        # the procedure ended: its data go at once (grace 0), scrubbed once at the end
        ledger.personal_data.destroy_envelope(
            request.envelope_id,
            reason="procedure_resolved",
            actor=SYSTEM,
            now=done,
            scrub=False,
        )
        counts["destructions"] += 1
    return signed


def _breach(ledger: Ledger, aware_at: datetime) -> None:
    ledger.breaches.declare_breach(
        aware_at=aware_at,
        detected_at=aware_at - timedelta(hours=3),
        nature=["confidentiality"],
        description="An adviser's laptop was stolen from the itinerant bus.",
        data_categories=["identity", "partner file numbers"],
        subject_categories=["users"],
        approx_subjects=35,
        approx_records=140,
        likely_consequences="phishing, identity theft",
        measures="remote wipe; passwords rotated",
        contact="dpo@demo.invalid",
        actor=DPO,
        now=aware_at + timedelta(hours=1),
    )
