"""The console in a real browser (Debian's Chromium through Selenium and its ChromeDriver), on a
real ``ledger serve``, each backend: an adviser's day, what the supervisor and the DPO then see,
the role x structure matrix as pages, and axe-core on every page. Screenshots of each page go to
``LEDGER_SCREENSHOTS`` (``var/screenshots`` by default; ``make test`` says where)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from domain.audit_flash import CURRENT_GRID
from runtime.settings import Settings
from runtime.wiring import open_view_db
from tests.builders import HOME, OTHER
from tests.live import LiveServer, request_body

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("LEDGER_SCREENSHOTS", "var/screenshots"))
SERIOUS = {"serious", "critical"}


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        pytest.skip("Chromium and ChromeDriver missing: `make test` installs Debian's packages")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1280,1000", "--lang=fr-FR"):
        options.add_argument(argument)
    # the browser's own widgets (date fields) follow its locale: French, as at the counter
    service = webdriver.ChromeService(
        DRIVER, env=os.environ | {"LANGUAGE": "fr", "LANG": "fr_FR.UTF-8"}
    )
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


class Walk:
    """One browser on the console: visit, fill, check axe, take the screenshot."""

    def __init__(self, driver: Any, server: LiveServer, backend: str) -> None:
        self.driver, self.server, self.backend = driver, server, backend
        self.pages: list[str] = []

    def go(self, path: str) -> None:
        self.driver.get(self.server.url + path)

    def sign_in(self, name: str) -> None:
        self.driver.delete_all_cookies()
        self.go("/console/connexion")
        self.driver.find_element(By.ID, "jeton").send_keys(self.server.tokens[name])
        self.click(self.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))

    def fill(self, values: dict[str, str], action: str | None = None) -> None:
        """Types ``values`` into the fields of that name (of the form posting to ``action``)."""
        scope = self.driver
        if action:
            scope = self.driver.find_element(By.CSS_SELECTOR, f"form[action='{action}']")
        for name, value in values.items():
            element = scope.find_element(By.NAME, name)
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            elif element.get_attribute("type") in ("date", "datetime-local"):
                # the widget's typed format follows the browser's locale: set the value itself
                self.driver.execute_script("arguments[0].value = arguments[1]", element, value)
            elif element.get_attribute("type") == "radio":
                scope.find_element(
                    By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']"
                ).click()
            elif element.get_attribute("type") == "checkbox":
                if not element.is_selected():
                    element.click()
            else:
                element.clear()
                element.send_keys(value)

    def submit(self, action: str) -> None:
        form = self.driver.find_element(By.CSS_SELECTOR, f"form[action='{action}']")
        self.click(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    def click(self, element: Any) -> None:
        """Clicks and waits for the next page (the current one goes stale)."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()

        def gone(_: Any) -> bool:
            try:
                page.is_enabled()
            except WebDriverException:  # stale, or (Chromium 156) "does not belong to the document"
                return True
            return False

        WebDriverWait(self.driver, 20).until(gone)
        WebDriverWait(self.driver, 20).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    @property
    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def shot(self, name: str) -> None:
        """Checks the page with axe-core (no serious or critical violation), then saves it."""
        self.driver.execute_script(AXE.read_text())
        violations = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])));"
        )
        serious = [v for v in violations if v[1] in SERIOUS]
        assert serious == [], (name, serious)
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{self.backend}-{len(self.pages):02d}-{name}.png"))
        self.pages.append(name)


def test_an_advisers_day_then_what_the_supervisor_and_the_dpo_see(
    browser: Any, live: LiveServer, settings: Settings
) -> None:
    walk = Walk(browser, live, settings.backend)
    walk.go("/console/demandes")
    assert "Connexion" in browser.title  # no session: the sign-in page
    walk.shot("connexion")

    walk.sign_in("adviser-ana")
    assert "Demandes de France Services montauban" in walk.text
    walk.shot("demandes")
    walk.go("/console/demandes/nouvelle")
    walk.shot("nouvelle-demande")
    walk.fill(
        {
            "first_name": "Jeanne",
            "last_name": "Martin",
            "birth_date": "1950-02-03",
            "channel": "email",
            "partner": "caf",
            "theme": "rsa",
        }
    )
    walk.submit("/console/demandes/nouvelle")
    assert "Demande enregistrée." in walk.text, walk.text
    case_url = browser.current_url.split("?")[0]
    walk.shot("demande")

    walk.go("/console/mandats/nouveau")
    walk.submit("/console/mandats/nouveau")  # nothing filled: every precondition named at once
    assert "problèmes à corriger" in walk.text
    walk.shot("mandat-incomplet")
    walk.fill(
        {
            "first_name": "Jeanne",
            "last_name": "Martin",
            "birth_date": "1950-02-03",
            "identity_checked": "on",
            "notice_given": "on",
            "document_sha256": "a" * 64,
            "signed_on_site": "on",
        }
    )
    browser.find_element(By.CSS_SELECTOR, "input[name=scope_caf][value=act_on_behalf]").click()
    walk.submit("/console/mandats/nouveau")
    assert "Mandat enregistré." in walk.text
    walk.shot("mandat")

    browser.get(case_url)
    case_path = case_url.removeprefix(live.url)
    walk.fill({"procedure": "rsa_renewal"})
    walk.submit(f"{case_path}/action")
    assert "action pour le compte de l'usager" in walk.text
    walk.fill({"summary": "Pièces à fournir listées"})
    walk.submit(f"{case_path}/reponse")
    assert "réponse apportée" in walk.text
    walk.shot("demande-traitee")

    walk.sign_in("supervisor-sam")
    assert "Tableau de bord de France Services montauban" in walk.text
    walk.shot("tableau-de-bord")
    browser.get(case_url)
    assert "mandat" in walk.text
    assert "réponse apportée" in walk.text
    walk.fill({"au": datetime.now(UTC).date().isoformat()})
    walk.submit(case_path)
    assert "État au" in walk.text
    walk.shot("chronologie")

    walk.sign_in("dpo-lea")
    assert "Journal d'audit" in walk.text
    assert "données consultées" in walk.text  # the adviser's and supervisor's reads
    walk.shot("audit")
    walk.go("/console/violations/nouvelle")
    walk.fill(
        {
            "description": "ordinateur portable volé",
            "data_categories": "identity",
            "approx_subjects": "40",
            "approx_records": "120",
            "likely_consequences": "usurpation d'identité",
            "measures": "effacement à distance",
            "contact": "dpd@example.org",
        }
    )
    walk.submit("/console/violations/nouvelle")
    assert "à notifier, dans les délais" in walk.text
    assert "ordinateur portable volé" in walk.text
    assert "2 j 23 h" in walk.text  # the CNIL countdown: 72 hours from now
    walk.shot("violations")
    walk.go("/console/acces")
    walk.fill({"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1950-02-03"})
    walk.submit("/console/acces")
    walk.shot("droit-d-acces")
    walk.click(browser.find_element(By.LINK_TEXT, "voir"))
    walk.submit("/console/destructions")
    assert "Données détruites" in walk.text
    walk.shot("donnees-detruites")

    walk.sign_in("adviser-ana")
    browser.get(case_url)
    assert "Données détruites" in walk.text
    assert "Martin" not in walk.text
    walk.shot("demande-detruite")


def test_the_other_pages_of_each_role(browser: Any, live: LiveServer, settings: Settings) -> None:
    """The pages the first walk does not reach, each checked by axe and photographed: the
    adviser's person search, the supervisor's report and alerts, the DPO's destruction queue,
    integrity and alerts, the admin's structures, timetable change and tokens."""
    walk = Walk(browser, live, f"{settings.backend}-pages")
    with live.client("adviser") as adviser:
        adviser.post("/v1/requests", json=request_body()).raise_for_status()
    walk.sign_in("adviser-ana")
    walk.go("/console/personnes")
    walk.fill({"first_name": "Jeanne", "last_name": "Martin", "birth_date": "1950-02-03"})
    walk.submit("/console/personnes")
    assert "CAF — rsa, reçue le" in walk.text  # her case, found by the keyed lookup
    walk.shot("personnes")

    walk.sign_in("supervisor-sam")
    for path, name in (
        ("/console/rapport", "rapport"),
        ("/console/alertes", "alertes-responsable"),
    ):
        walk.go(path)
        walk.shot(name)

    walk.sign_in("dpo-lea")
    for path, name in (
        ("/console/destructions", "destructions"),
        ("/console/integrite", "integrite"),
        ("/console/alertes", "alertes"),
    ):
        walk.go(path)
        walk.shot(name)

    walk.sign_in("admin-paul")
    assert "Structures" in walk.text
    walk.shot("structures")
    walk.click(browser.find_element(By.LINK_TEXT, f"Modifier les horaires de {HOME}"))
    walk.shot("horaires")
    walk.fill({"samedi": "9h-12h"})
    walk.submit(f"/console/structures/{HOME}/horaires")
    assert "Horaires enregistrés." in walk.text
    walk.go("/console/jetons")
    walk.fill({"name": "agent-0042", "role": "adviser", "structures": HOME}, "/console/jetons")
    walk.submit("/console/jetons")
    assert "affiché une seule fois" in walk.text
    walk.shot("jetons")


def test_a_user_gives_an_opinion_through_a_one_time_link(
    browser: Any, live: LiveServer, settings: Settings
) -> None:
    """Art. 4.7: the adviser enters a paper questionnaire and prints a link; the user opens it
    without any account and answers once; the adviser records a complaint and answers it; the
    supervisor reads the year's satisfaction indicators."""
    walk = Walk(browser, live, f"{settings.backend}-avis")
    walk.sign_in("adviser-ana")
    walk.go("/console/avis")
    walk.shot("avis")
    walk.fill({"channel": "phone", "q_overall": "dissatisfied"}, "/console/avis/papier")
    walk.submit("/console/avis/papier")
    assert "Le questionnaire a été enregistré." in walk.text
    walk.fill({"channel": "counter"}, "/console/avis/liens")
    walk.submit("/console/avis/liens")
    assert "Donnez-nous votre avis" in walk.text
    walk.shot("lien-a-imprimer")
    url = browser.find_element(By.ID, "lien-avis").text
    path = url.removeprefix(live.url)
    assert path.startswith("/avis/")

    browser.delete_all_cookies()  # the user: no account, no session
    walk.go(path)
    assert "Votre avis sur France Services" in walk.text
    walk.shot("questionnaire-usager")
    walk.fill({"q_overall": "very_satisfied", "q_outcome": "partly"}, path)
    walk.submit(path)
    assert "Merci ! Votre avis a bien été enregistré." in walk.text
    walk.shot("merci")
    walk.go(path)
    assert "Ce lien a déjà servi" in walk.text  # one answer per link

    walk.sign_in("adviser-ana")  # a complaint in the register, then its answer
    walk.go("/console/reclamations/nouvelle")
    walk.fill(
        {
            "first_name": "Paul",
            "last_name": "Durand",
            "contact": "06 00 00 00 00",
            "channel": "counter",
            "topic": "waiting",
            "text": "Deux heures d'attente sans être reçu.",
        }
    )
    walk.shot("nouvelle-reclamation")
    walk.submit("/console/reclamations/nouvelle")
    assert "Réclamation de Paul Durand" in walk.text
    assert "sans réponse, dans les délais" in walk.text
    complaint = browser.current_url.removeprefix(live.url)
    walk.fill({"answer": "Nous avons ajouté un créneau d'accueil le mardi."})
    walk.submit(f"{complaint}/reponse")
    assert "répondue" in walk.text
    walk.shot("reclamation")
    walk.go("/console/reclamations")
    assert "temps d'attente" in walk.text
    walk.shot("reclamations")

    walk.sign_in("supervisor-sam")
    walk.go("/console/satisfaction")
    figures = " ".join(walk.text.split())
    assert "2 questionnaires" in figures
    assert "50 % d'usagers satisfaits" in figures  # one satisfied of two
    assert "1 / 1 liens d'avis utilisés" in figures
    walk.shot("satisfaction")


def test_a_flash_audit_with_prefilled_evidence(
    browser: Any, live: LiveServer, settings: Settings
) -> None:
    """Art. 4.7: the administrator opens an ANCT flash audit; the ledger shows what it holds
    for each criterion; every criterion assessed, the audit is closed; the supervisor reads it."""
    walk = Walk(browser, live, f"{settings.backend}-audit")
    with live.client("adviser") as adviser:
        adviser.post("/v1/requests", json=request_body()).raise_for_status()
    walk.sign_in("admin-paul")
    walk.go("/console/audits")
    walk.shot("audits")
    walk.fill({"structure": HOME}, "/console/audits")
    walk.submit("/console/audits")
    assert "Ce que montre le registre" in walk.text
    assert "au minimum de 24 heures sur 5 jours" in walk.text
    assert "1 demande soumise au délai" in walk.text
    audit = browser.current_url.removeprefix(live.url)
    codes = [
        e.get_attribute("name").removeprefix("r_")
        for e in browser.find_elements(By.CSS_SELECTOR, "input[type=radio][value=met]")
    ]
    assert len(codes) == len(CURRENT_GRID.criteria)
    walk.fill({f"r_{code}": "met" for code in codes} | {"clore": "1"}, audit)
    walk.fill({"m_signage": "Enseigne posée en 2025."}, audit)
    walk.submit(audit)
    assert "Audit enregistré." in walk.text
    assert "conforme (clos le" in walk.text
    walk.shot("audit-flash")
    walk.sign_in("supervisor-sam")
    walk.go("/console/audits")
    assert "conforme" in walk.text
    walk.go(audit)
    assert "Enseigne posée en 2025." in walk.text


def test_the_yearly_report_downloaded_as_a_pdf_and_looked_at(
    browser: Any, live: LiveServer, settings: Settings, tmp_path: Path
) -> None:
    """Art. 6: the DPO reads the year's figures, downloads the steering committee's PDF through
    the page's link; each of its pages is turned into an image beside the screenshots."""
    walk = Walk(browser, live, f"{settings.backend}-rapport")
    with live.client("adviser") as adviser:
        for channel in ("counter", "email"):
            adviser.post("/v1/requests", json=request_body(channel=channel)).raise_for_status()
    walk.sign_in("dpo-lea")
    walk.go("/console/rapport-annuel")
    year = datetime.now(UTC).year
    assert f"Rapport annuel {year}" in walk.text
    assert "Violations de données personnelles" in walk.text
    walk.shot("rapport-annuel")
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "rapport (PDF")
    link.click()
    pdf = tmp_path / f"rapport-annuel-{year}.pdf"
    WebDriverWait(browser, 30).until(lambda _: pdf.exists() and pdf.stat().st_size > 0)
    document = pdfium.PdfDocument(pdf)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert f"Rapport annuel {year} des structures France Services" in text
    assert "Demandes par partenaire" in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i in range(len(document)):
        image = document[i].render(scale=1.5).to_pil()
        assert image.getextrema() != ((255, 255), (255, 255), (255, 255))  # something drawn
        image.save(SHOTS / f"{settings.backend}-rapport-pdf-page-{i + 1}.png")


def test_the_role_matrix_in_the_browser(browser: Any, live: LiveServer, settings: Settings) -> None:
    walk = Walk(browser, live, f"{settings.backend}-matrice")
    with live.client("adviser", OTHER) as theirs:
        elsewhere = theirs.post("/v1/requests", json=request_body(OTHER)).json()
    walk.sign_in("adviser-ana")
    walk.go(f"/console/demandes/{elsewhere['id']}")
    assert "Page introuvable" in walk.text  # another structure's case does not exist here
    walk.shot("404")
    walk.go("/console/audit")
    assert "Accès refusé" in walk.text
    walk.shot("403")
    _idle(settings, minutes=31)
    walk.go("/console/demandes")
    assert "Connexion" in browser.title  # an expired session goes back to sign-in


def _idle(settings: Settings, minutes: int) -> None:
    """Every console session last seen ``minutes`` ago (the server's clock is the real one)."""
    seen = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="microseconds")
    views = open_view_db(settings)
    try:
        with views.transaction() as tx:
            tx.run("UPDATE console_sessions SET last_seen_at = :at", {"at": seen[:26] + "Z"})
    finally:
        views.close()
