"""The yearly report in the console (Art. 4.7 and 6): the supervisor reads their structures', a
DPO or an admin every structure's with the breaches; CSV and PDF downloads; an adviser is refused
and a year that makes no sense is named in French."""

from __future__ import annotations

import csv
import io

from tests.builders import HOME, OTHER, Api
from tests.console.test_pages import sign_in


def test_the_supervisor_reads_their_structures_year_and_downloads_it(api: Api) -> None:
    api.open_request(channel="counter")
    api.open_request(OTHER)
    sign_in(api, "supervisor-sam")
    page = api.client.get("/console/rapport-annuel", params={"annee": "2026"})
    assert page.status_code == 200
    assert "Rapport annuel 2026" in page.text
    assert "Demandes reçues" in page.text
    assert "Violations de données personnelles" not in page.text  # not a structure's
    assert page.text.count('<th scope="row">France Services') == 1  # their one structure
    listed = api.client.get("/console/rapport-annuel", params={"annee": "2026", "format": "csv"})
    lines = list(csv.DictReader(io.StringIO(listed.text)))
    assert [line["structure_id"] for line in lines if line["scope"] == "structure"] == [HOME]
    assert lines[0]["requests"] == "1"
    pdf = api.client.get("/console/rapport-annuel", params={"annee": "2026", "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_the_dpo_sees_every_structure_and_the_breaches(api: Api) -> None:
    api.open_request()
    api.open_request(OTHER)
    sign_in(api, "dpo-lea")
    page = api.client.get("/console/rapport-annuel")  # this year by default
    assert page.status_code == 200
    assert page.text.count('<th scope="row">France Services') == 2
    assert "Violations de données personnelles" in page.text


def test_an_adviser_is_refused_and_a_bad_year_is_named(api: Api) -> None:
    sign_in(api, "adviser-ana")
    assert api.client.get("/console/rapport-annuel").status_code == 403
    sign_in(api, "admin-paul")
    for bad in ({"annee": "1999"}, {"annee": "deux"}, {"format": "docx"}):
        refused = api.client.get("/console/rapport-annuel", params=bad)
        assert refused.status_code == 422
        assert "<html" in refused.text
