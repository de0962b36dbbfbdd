"""The yearly report as the steering committee reads it (Art. 6): a PDF in French, with charts,
drawn from ``projections.yearly.yearly_report`` by ReportLab (pure Python, no system library,
charts included). Counts only: the report holds no person.
"""

from __future__ import annotations

import math
from datetime import datetime
from io import BytesIO
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from api.console.french import day, label

BLUE = colors.HexColor("#000091")  # the State's blue, as the console
GREY = colors.HexColor("#e5e5e5")
WIDTH = A4[0] - 4 * cm


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u00a0")


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}\u00a0%".replace(".", ",")


KEY_FIGURES = (
    ("Demandes reçues", "requests", number),
    ("dont accueil physique", "visits", number),
    ("Usagers distincts", "distinct_users", number),
    ("Réponses dans les 72 h", "answered_on_time", number),
    ("Réponses après 72 h", "answered_late", number),
    ("Sans réponse, délai dépassé", "open_overdue", number),
    ("Taux de réponse dans les 72 h", "on_time_rate", rate),
    ("Mandats signés", "mandates_signed", number),
    ("Mandats révoqués", "mandates_revoked", number),
    ("Questionnaires de satisfaction", "questionnaires", number),
    ("Taux de satisfaction", "satisfaction_rate", rate),
    ("Réclamations reçues", "complaints_received", number),
    ("Réclamations répondues dans le délai", "complaints_answered_on_time", number),
    ("Réclamations répondues en retard", "complaints_answered_late", number),
    ("Réclamations sans réponse", "complaints_unanswered", number),
    ("Audits flash ouverts", "audits_opened", number),
    ("Audits flash clos", "audits_closed", number),
    ("Audits flash conformes", "audits_conform", number),
    ("Destructions de données", "destructions", number),
    ("dont plus d'un jour après l'échéance", "destructions_late", number),
    ("Destructions en retard à la date du rapport", "destructions_overdue", number),
)
BREACH_FIGURES = (
    ("Violations déclarées", "declared"),
    ("dont à notifier à la CNIL", "notification_required"),
    ("Notifiées dans les 72 h", "notified_on_time"),
    ("Notifiées en retard", "notified_late"),
    ("Non notifiées, délai dépassé", "overdue"),
)
STRUCTURE_COLUMNS = (
    ("Demandes", "requests", number),
    ("72 h", "on_time_rate", rate),
    ("Satisfaction", "satisfaction_rate", rate),
    ("Réclam.", "complaints_received", number),
    ("Audits", "audits_opened", number),
    ("Destructions", "destructions", number),
)


def structure_cells(figures: dict[str, Any]) -> list[str]:
    """A structure's line in the report's table, after its name."""
    return [show(figures[key]) for _, key, show in STRUCTURE_COLUMNS]


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], textColor=BLUE),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], textColor=BLUE),
        "h3": ParagraphStyle("h3", parent=sheet["Heading3"]),
        "body": ParagraphStyle("body", parent=sheet["BodyText"]),
        "small": ParagraphStyle("small", parent=sheet["BodyText"], fontSize=8, leading=10),
    }


def _table(rows: list[list[str]], widths: list[float], header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style: list[Any] = [
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, GREY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), BLUE),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("FONTSIZE", (0, 0), (-1, 0), 8),
        ]
    table.setStyle(TableStyle(style))
    return table


def _bars(title: str, items: list[tuple[str, float]], percent: bool) -> Drawing:
    """A horizontal bar chart, one bar per item, with its value at the bar's end."""
    height = 40 + 16 * max(len(items), 1)
    drawing = Drawing(WIDTH, height)
    drawing.add(String(0, height - 12, title, fontName="Helvetica-Bold", fontSize=10))
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 10
    chart.width, chart.height = int(WIDTH) - 200, height - 36
    chart.data = [[v for _, v in items] or [0]]
    chart.categoryAxis.categoryNames = [n for n, _ in items] or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.reverseDirection = True
    chart.valueAxis.valueMin = 0
    top = 100.0 if percent else max([v for _, v in items] + [1.0])
    chart.valueAxis.valueMax = top if percent else top * 1.15
    chart.valueAxis.valueStep = 20 if percent else max(1, math.ceil(top / 5))
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = BLUE
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabelFormat = (lambda v: f"{v:.1f} %".replace(".", ",")) if percent else "%d"
    drawing.add(chart)
    return drawing


def _key_figures(figures: dict[str, Any], s: dict[str, ParagraphStyle]) -> Table:
    rows = [[name, show(figures[key])] for name, key, show in KEY_FIGURES]
    return _table(rows, [WIDTH * 0.7, WIDTH * 0.3])


def _department(department: dict[str, Any], s: dict[str, ParagraphStyle]) -> list[Any]:
    totals, structures = department["totals"], department["structures"]
    story: list[Any] = [
        Paragraph(f"Département {department['department']}", s["h2"]),
        Paragraph(f"{totals['structures']} structures France Services.", s["body"]),
        Spacer(1, 6),
        _key_figures(totals, s),
        Spacer(1, 12),
    ]
    by_partner = [
        (label("partner", p), float(n))
        for p, n in sorted(totals["requests_by_partner"].items(), key=lambda i: -i[1])
    ]
    story += [_bars("Demandes par partenaire", by_partner, percent=False), Spacer(1, 12)]
    by_channel = [
        (label("channel", c), float(n))
        for c, n in sorted(totals["requests_by_channel"].items(), key=lambda i: -i[1])
    ]
    story += [_bars("Demandes par canal", by_channel, percent=False), Spacer(1, 12)]
    rates = [
        (st["name"], 100 * st["on_time_rate"])
        for st in structures
        if st["on_time_rate"] is not None
    ]
    title = "Taux de réponse dans les 72 h par structure"
    story += [
        _bars(title, rates, percent=True)
        if rates
        else Paragraph(f"{title} : aucune demande soumise au délai cette année.", s["body"]),
        Spacer(1, 12),
        Paragraph("Indicateurs par structure", s["h3"]),
    ]
    rows: list[list[Any]] = [["Structure", *(name for name, _, _ in STRUCTURE_COLUMNS)]]
    rows += [[Paragraph(st["name"], s["small"]), *structure_cells(st)] for st in structures]
    widths = [WIDTH * 0.28] + [WIDTH * 0.12] * len(STRUCTURE_COLUMNS)
    story += [_table(rows, widths, header=True), Spacer(1, 12)]
    return story


def yearly_pdf(report: dict[str, Any], generated: datetime) -> bytes:
    """The report's PDF: a title, each department's key figures and charts and its structures'
    table, then the data controller's breaches and the definitions."""
    s = _styles()
    year = report["year"]
    story: list[Any] = [
        Paragraph(f"Rapport annuel {year} des structures France Services", s["title"]),
        Paragraph(
            "Pour le comité de pilotage départemental (article 6 de la convention) et la "
            "publication des indicateurs de qualité (article 4.7). Données agrégées, sans "
            "aucune donnée personnelle.",
            s["body"],
        ),
        Paragraph(f"Établi le {day(generated)}.", s["body"]),
        Spacer(1, 12),
    ]
    for i, department in enumerate(report["departments"]):
        story += ([PageBreak()] if i else []) + _department(department, s)
    if not report["departments"]:
        story.append(Paragraph("Aucune structure enregistrée.", s["body"]))
    breaches = report["breaches"]
    if breaches is not None:
        rows = [[name, number(breaches[key])] for name, key in BREACH_FIGURES]
        story.append(
            KeepTogether(
                [
                    Paragraph("Violations de données personnelles", s["h2"]),
                    Paragraph(
                        "Comptées pour le responsable de traitement, toutes structures "
                        "confondues (article 33 du RGPD : notification à la CNIL dans les 72 h).",
                        s["body"],
                    ),
                    _table(rows, [WIDTH * 0.7, WIDTH * 0.3]),
                ]
            )
        )
    story += [
        Spacer(1, 12),
        Paragraph("Définitions", s["h3"]),
        Paragraph(
            "Année civile dans le fuseau horaire du département. Taux de réponse dans les "
            "72 h : demandes répondues dans le délai parmi celles répondues ou dont le délai "
            "est dépassé. Taux de satisfaction : réponses « satisfait » ou « très satisfait » "
            "à la question générale. Une destruction est en retard quand elle a lieu plus "
            "d'un jour après l'échéance de conservation.",
            s["small"],
        ),
    ]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Rapport annuel {year}",
        author="Registre France Services",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _footer(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"page {document.page}")
    canvas.restoreState()
