"""What a French reader sees: labels of the ledger's codes, dates in the structure's time zone
("lundi 30 novembre 2026, 14 h 00"), and the French sentence of each refusal's ``code``.

Codes stay English in the ledger, the API and the logs; only the console shows these words.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from domain.satisfaction import CURRENT

PARIS = ZoneInfo("Europe/Paris")

LABELS: dict[str, dict[str, str]] = {
    "channel": {
        "counter": "accueil physique",
        "phone": "téléphone",
        "email": "courriel",
        "contact_form": "formulaire de contact",
        "video": "visioconférence",
        "mail": "courrier",
    },
    "partner": {
        "france_travail": "France Travail",
        "caf": "CAF",
        "cpam": "Assurance maladie (CPAM)",
        "carsat": "Assurance retraite (Carsat)",
        "msa": "MSA",
        "la_poste": "La Poste",
        "dgfip": "Finances publiques (DGFiP)",
        "interieur": "Ministère de l'Intérieur (ANTS)",
        "justice": "Ministère de la Justice",
    },
    "mission": {
        "information": "information",
        "digital_help": "aide numérique",
        "administrative_help": "aide administrative",
        "partner_contact": "mise en relation avec le partenaire",
        "situation_report": "diagnostic de situation",
    },
    "status": {
        "open": "ouverte",
        "answered": "répondue",
        "escalated": "transmise au partenaire",
        "resolved": "clôturée",
    },
    "sla_state": {
        "on_track": "dans les délais",
        "due_soon": "échéance proche",
        "overdue": "en retard",
        "met": "délai respecté",
        "missed": "délai dépassé",
    },
    "outcome": {
        "solved": "résolue",
        "partially_solved": "partiellement résolue",
        "redirected": "réorientée",
        "not_solved": "non résolue",
        "abandoned": "abandonnée",
    },
    "scope": {
        "act_on_behalf": "agir pour le compte",
        "data_communication": "communication de données",
    },
    "role": {
        "adviser": "conseiller",
        "supervisor": "responsable de structure",
        "dpo": "délégué à la protection des données",
        "admin": "administrateur",
    },
    "level": {"warning": "avertissement", "critical": "critique"},
    "breach_state": {
        "on_time": "à notifier, dans les délais",
        "due_soon": "à notifier, échéance proche",
        "overdue": "à notifier, délai dépassé",
        "notified": "notifiée à la CNIL",
        "notified_late": "notifiée en retard",
        "not_required": "notification non requise",
    },
    "purpose": {
        "case_handling": "traitement du dossier",
        "subject_access_request": "droit d'accès (RGPD, art. 15)",
    },
    "source": {"paper": "questionnaire papier", "link": "lien d'avis"},
    "topic": {
        "welcome": "accueil",
        "waiting": "temps d'attente",
        "opening_hours": "horaires d'ouverture",
        "answer_quality": "qualité de la réponse",
        "answer_delay": "délai de réponse",
        "accessibility": "accessibilité",
        "personal_data": "données personnelles",
        "partner": "démarche auprès d'un partenaire",
        "other": "autre",
    },
    "complaint_state": {
        "open": "sans réponse, dans les délais",
        "due_soon": "sans réponse, échéance proche",
        "overdue": "sans réponse, délai dépassé",
        "answered": "répondue",
        "answered_late": "répondue en retard",
    },
    "mandate_state": {"active": "actif", "revoked": "révoqué", "expired": "échu"},
    "kind": {
        "sla": "délai de réponse",
        "cnil": "notification CNIL",
        "mandate": "fin de mandat",
        "retention": "destruction des données",
        "complaint": "réponse à une réclamation",
    },
    "reason": {
        "procedure_resolved": "démarche terminée",
        "inactive": "dossier inactif",
        "retention_expired": "durée de conservation écoulée",
        "data_subject_request": "demande de la personne (RGPD, art. 17)",
    },
    "risk": {"none": "aucun risque", "risk": "risque", "high_risk": "risque élevé"},
    "event": {
        "Opened": "demande enregistrée",
        "AdviserAssigned": "conseiller désigné",
        "Responded": "réponse apportée",
        "Escalated": "transmise au référent du partenaire",
        "PartnerAnswered": "réponse du partenaire",
        "ActedOnBehalf": "action pour le compte de l'usager",
        "Resolved": "demande clôturée",
        "Reopened": "demande rouverte",
        "PersonalDataDestroyed": "données personnelles détruites",
        "Signed": "mandat signé",
        "Used": "mandat utilisé",
        "Revoked": "mandat révoqué",
        "Expired": "mandat arrivé à échéance",
        "PersonalDataRead": "données consultées",
        "Declared": "violation déclarée",
        "RiskAssessed": "risque évalué",
        "CnilNotified": "notifiée à la CNIL",
        "SubjectsInformed": "personnes informées",
        "SubjectsExempted": "personnes non informées (motif)",
        "Closed": "violation close",
        "Registered": "structure enregistrée",
        "TimetableChanged": "horaires modifiés",
        "Raised": "alerte levée",
        "Acknowledged": "alerte prise en charge",
        "DeliveryAttempted": "alerte envoyée",
        "Received": "réclamation enregistrée",
        "Named": "référent désigné",
        "CriterionAssessed": "critère évalué",
        "ContactChanged": "coordonnées du référent modifiées",
        "Left": "départ du référent",
        "Answered": "réponse à la réclamation",
        "Issued": "lien d'avis remis",
        "Recorded": "questionnaire enregistré",
    },
}

# The French sentence of each refusal (``code`` of the ledger's errors and of the API's).
MESSAGES: dict[str, str] = {
    "invalid_input": "Cette valeur n'est pas acceptée.",
    "not_found": "Cette page n'existe pas, ou elle relève d'une autre structure.",
    "forbidden": "Votre rôle ne permet pas cette action.",
    "mandate_required": (
        "Aucun mandat actif de cette personne ne couvre ce partenaire et cette démarche."
    ),
    "mandate_other_person": (
        "Ce mandat a été donné par une autre personne que l'usager de la demande."
    ),
    "mandate_revoked": "Ce mandat a été révoqué.",
    "mandate_expired": "Ce mandat est arrivé à échéance.",
    "mandate_out_of_scope": "Ce mandat ne couvre pas ce partenaire ou cette démarche.",
    "mandate_precondition_missing": "Une condition préalable à la signature manque (art. 4.6).",
    "breach_state": "Cette étape ne correspond pas à l'état de la violation.",
    "late_reason_required": "Une notification tardive doit en donner les raisons.",
    "rule_violation": "Une règle du registre interdit cette action.",
    "request_resolved": "Cette demande est clôturée : rouvrez-la d'abord.",
    "personal_data_destroyed": "Les données personnelles de ce dossier ont été détruites.",
    "version_conflict": "Quelqu'un d'autre a modifié ce dossier entre-temps : rechargez.",
    "precondition_failed": "Quelqu'un d'autre a modifié ce dossier entre-temps : rechargez.",
    "structure_exists": "Une structure porte déjà cet identifiant.",
    "timetable_change_in_past": "Un changement d'horaires ne peut pas prendre effet dans le passé.",
    "timetable_format": (
        "Écrivez les plages d'un jour comme « 09:00-12:00, 13:30-17:00 » (ou « 9h-12h »)."
    ),
    "timetable_overlap": "Deux plages d'un même jour se chevauchent, ou une plage ferme avant "
    "d'ouvrir.",
    "destruction_reason_mismatch": "Ce motif de destruction ne correspond pas à l'état du dossier.",
    "token_expired": "Ce jeton a expiré : demandez-en un nouveau.",
    "unauthorized": "Jeton inconnu, révoqué ou expiré.",
    "csrf": "Le formulaire a expiré : rechargez la page et recommencez.",
    "audit_incomplete": "Tous les critères doivent être évalués avant de clore l'audit.",
    "audit_closed": "Cet audit est clos.",
    "referent_left": "Ce référent a déjà quitté ses fonctions.",
    "complaint_answered": "Cette réclamation a déjà reçu sa réponse.",
    "survey_link_used": "Ce lien a déjà servi : il ne permet de donner qu'un avis.",
    "survey_link_expired": "Ce lien a expiré : demandez-en un nouveau à l'accueil.",
}

FIELDS: dict[str, str] = {
    "received_at": "date de réception",
    "at": "date",
    "user": "usager",
    "user.first_name": "prénom",
    "user.last_name": "nom",
    "user.birth_date": "date de naissance",
    "mandant": "mandant",
    "mandant.first_name": "prénom du mandant",
    "mandant.last_name": "nom du mandant",
    "mandant.birth_date": "date de naissance du mandant",
    "identity_verification": "vérification d'identité",
    "identity_verification.verified_at": "date de vérification d'identité",
    "identity_verification.document_type": "pièce d'identité",
    "information_notice": "notice d'information",
    "information_notice.version": "version de la notice d'information",
    "scopes": "périmètre du mandat",
    "valid_until": "date de fin du mandat",
    "originals": "nombre d'originaux",
    "signed_document_sha256": "empreinte du document signé",
    "signed_on_site": "signature sur place",
    "summary": "réponse",
    "reason": "motif",
    "partner": "partenaire",
    "procedure": "démarche",
    "mandate_id": "mandat",
    "theme": "thème",
    "structure_id": "structure",
    "description": "description",
    "aware_at": "date de prise de connaissance",
    "approx_subjects": "nombre de personnes concernées",
    "approx_records": "nombre d'enregistrements concernés",
    "likely_consequences": "conséquences probables",
    "measures": "mesures prises",
    "contact": "contact",
    "nature": "nature de la violation",
    "data_categories": "catégories de données",
    "timetable": "horaires",
    "effective_from": "date d'effet",
    "channel": "canal",
    "year": "année",
    "answers": "réponses",
    "source": "origine",
    "topic": "objet",
    "text": "texte de la réclamation",
    "answer": "réponse",
    "complainant": "auteur de la réclamation",
    "contact.first_name": "prénom du référent",
    "contact.last_name": "nom du référent",
    "contact.phone": "téléphone direct",
    "contact.email": "courriel",
    "contact.title": "fonction",
    "referent_id": "référent",
    "complainant.first_name": "prénom",
    "complainant.last_name": "nom",
    "complainant.birth_date": "date de naissance",
    **{f"answers.{q.code}": q.short for q in CURRENT.questions},
}


def label(kind: str, code: str | None) -> str:
    if code is None:
        return "—"
    return LABELS.get(kind, {}).get(str(code), str(code))


def message(code: str) -> str:
    return MESSAGES.get(code, "Cette action n'a pas pu être faite.")


def field(name: str | None) -> str:
    if not name:
        return ""
    return FIELDS.get(name, FIELDS.get(name.split("[")[0], name))


def moment(instant: datetime | None, tz: ZoneInfo = PARIS) -> str:
    """``lundi 30 novembre 2026, 14 h 00`` in the structure's time zone."""
    if instant is None:
        return "—"
    return format_datetime(instant, "EEEE d MMMM y, HH 'h' mm", tzinfo=tz, locale="fr_FR")


def stored(value: str | datetime | None, tz: ZoneInfo = PARIS) -> str:
    """An instant as the views store it (ISO text, UTC) shown like ``moment``."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment(value, tz)


def day(instant: datetime | None, tz: ZoneInfo = PARIS) -> str:
    if instant is None:
        return "—"
    return format_date(instant.astimezone(tz).date(), "EEEE d MMMM y", locale="fr_FR")


def hours(value: float) -> str:
    """``25 h``, ``19,5 h``: a number of hours as a French reader writes it."""
    return f"{value:g} h".replace(".", ",")


def duration(left: timedelta) -> str:
    """``2 j 4 h``, ``3 h 20 min``, ``45 min`` (negative: ``en retard de ...``)."""
    late = left < timedelta(0)
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} j {hours} h"
    elif hours:
        text = f"{hours} h {mins:02d} min"
    else:
        text = f"{mins} min"
    return f"en retard de {text}" if late else text
