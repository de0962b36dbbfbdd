"""The vocabulary cases share: contact channels, national partners, missions, mandate scopes."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    COUNTER = "counter"
    PHONE = "phone"
    EMAIL = "email"
    CONTACT_FORM = "contact_form"
    VIDEO = "video"
    MAIL = "mail"

    @property
    def has_response_deadline(self) -> bool:
        """Art. 4.2: the 72 working hours rule covers e-mail and contact form."""
        return self in (Channel.EMAIL, Channel.CONTACT_FORM)


class Partner(StrEnum):
    FRANCE_TRAVAIL = "france_travail"
    CAF = "caf"
    CPAM = "cpam"
    CARSAT = "carsat"
    MSA = "msa"
    LA_POSTE = "la_poste"
    DGFIP = "dgfip"
    INTERIEUR = "interieur"
    JUSTICE = "justice"


class Mission(StrEnum):
    INFORMATION = "information"
    DIGITAL_HELP = "digital_help"
    ADMINISTRATIVE_HELP = "administrative_help"
    PARTNER_CONTACT = "partner_contact"
    SITUATION_REPORT = "situation_report"


class ScopeKind(StrEnum):
    ACT_ON_BEHALF = "act_on_behalf"
    DATA_COMMUNICATION = "data_communication"
