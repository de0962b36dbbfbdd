"""The ``satisfaction`` view: questionnaire answers counted by structure, year, channel and
question (Art. 4.7), and the one-time links handed out and used. No personal data: answers
hold none, and a link is its token's hash."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from domain.satisfaction import QUESTIONNAIRES, SatisfactionAnswer, SurveyLink
from projections.base import Projection
from projections.db import Tx, hex_id

satisfaction = Projection(
    name="satisfaction",
    version=1,
    tables={
        "satisfaction_answers": "position BIGINT NOT NULL, question TEXT NOT NULL, "
        "structure_id TEXT NOT NULL, year INTEGER NOT NULL, channel TEXT NOT NULL, "
        "source TEXT NOT NULL, questionnaire TEXT NOT NULL, answer TEXT NOT NULL, "
        "PRIMARY KEY (position, question)",
        "satisfaction_links": "link_id TEXT PRIMARY KEY, structure_id TEXT NOT NULL, "
        "year INTEGER NOT NULL, channel TEXT NOT NULL, used INTEGER NOT NULL",
    },
    indexes={
        "satisfaction_answers": ["structure_id, year"],
        "satisfaction_links": ["structure_id, year"],
    },
)


@satisfaction.on(SatisfactionAnswer.Recorded)
def _recorded(tx: Tx, event: Any, notification: Notification) -> None:
    common = {
        "p": notification.id,
        "s": hex_id(event.structure_id),
        "y": event.year,
        "c": event.channel,
        "src": event.source,
        "q": event.questionnaire,
    }
    tx.many(
        "INSERT INTO {satisfaction_answers} VALUES (:p, :question, :s, :y, :c, :src, :q, :a)",
        [common | {"question": k, "a": v} for k, v in sorted(event.answers.items())],
    )


@satisfaction.on(SurveyLink.Issued)
def _issued(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "INSERT INTO {satisfaction_links} VALUES (:l, :s, :y, :c, 0)",
        {
            "l": hex_id(event.originator_id),
            "s": hex_id(event.structure_id),
            "y": event.year,
            "c": event.channel,
        },
    )


@satisfaction.on(SurveyLink.Used)
def _used(tx: Tx, event: Any, _: Notification) -> None:
    tx.run(
        "UPDATE {satisfaction_links} SET used = 1 WHERE link_id = :l",
        {"l": hex_id(event.originator_id)},
    )


def indicators(tx: Tx, structure_id: str | None, year: int) -> dict[str, Any]:
    """A year's indicators for one structure (view id) or, with ``None``, every structure: the
    number of questionnaires (by channel and by source), each question's answers counted, the
    satisfaction rate (share of satisfied answers to the questionnaire's headline question),
    and the links handed out and answered."""
    where = "year = :y" + (" AND structure_id = :s" if structure_id else "")
    params = {"y": year, "s": structure_id}
    rows = tx.all(
        f"SELECT questionnaire, question, answer, channel, source, COUNT(*) "
        f"FROM {{satisfaction_answers}} WHERE {where} "
        f"GROUP BY questionnaire, question, answer, channel, source",
        params,
    )
    questions: dict[str, dict[str, int]] = {}
    by_channel: dict[str, int] = {}
    by_source: dict[str, int] = {}
    satisfied = rated = 0
    for version, question, answer, channel, source, count in rows:
        per_question = questions.setdefault(question, {})
        per_question[answer] = per_question.get(answer, 0) + count
        headline = QUESTIONNAIRES[version]
        if question == headline.satisfied_question:  # answered by every questionnaire
            by_channel[channel] = by_channel.get(channel, 0) + count
            by_source[source] = by_source.get(source, 0) + count
            rated += count
            satisfied += count if answer in headline.satisfied_options else 0
    links = tx.one(
        f"SELECT COUNT(*), COALESCE(SUM(used), 0) FROM {{satisfaction_links}} WHERE {where}",
        params,
    )
    issued, used = (int(v) for v in links) if links else (0, 0)
    return {
        "year": year,
        "questionnaires": rated,
        "satisfaction_rate": round(satisfied / rated, 4) if rated else None,
        "by_channel": dict(sorted(by_channel.items())),
        "by_source": dict(sorted(by_source.items())),
        "questions": {q: dict(sorted(a.items())) for q, a in sorted(questions.items())},
        "links": {"issued": issued, "answered": used},
    }
