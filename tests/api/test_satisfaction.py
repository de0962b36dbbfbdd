"""Art. 4.7 through HTTP: paper forms, one-time links answered without any account, yearly
indicators for the structure's supervisor."""

from __future__ import annotations

from tests.api.test_contract import problem
from tests.builders import HOME, Api


def issue_link(api: Api) -> dict[str, str]:
    response = api.call(
        "POST",
        "/v1/satisfaction/links",
        "adviser",
        json={"structure_id": HOME, "channel": "counter"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_user_answers_a_link_once_without_any_account(api: Api) -> None:
    link = issue_link(api)
    assert link["path"] == f"/avis/{link['token']}"
    state = api.client.get(f"/v1/satisfaction/links/{link['token']}")
    assert state.json()["state"] == "open"
    url = f"/v1/satisfaction/links/{link['token']}/answer"
    bad = api.client.post(url, json={"answers": {"overall": "maybe", "name": "x"}})
    assert {e["field"] for e in problem(bad, 422, "invalid_input")["errors"]} == {  # type: ignore[union-attr]
        "answers.overall",
        "answers.name",
    }
    answered = api.client.post(url, json={"answers": {"overall": "satisfied", "waiting": "yes"}})
    assert answered.status_code == 201, answered.text
    assert answered.json() == {"recorded": True}
    problem(
        api.client.post(url, json={"answers": {"overall": "satisfied"}}), 409, "survey_link_used"
    )
    assert api.client.get(f"/v1/satisfaction/links/{link['token']}").json()["state"] == "used"
    problem(api.client.get("/v1/satisfaction/links/not-a-link"), 404, "not_found")
    problem(
        api.client.post("/v1/satisfaction/links/x/answer", json={"answers": {}}), 404, "not_found"
    )


def test_an_expired_link_says_so(api: Api) -> None:
    link = issue_link(api)
    api.clock.advance(days=30)
    assert api.client.get(f"/v1/satisfaction/links/{link['token']}").json()["state"] == "expired"
    late = api.client.post(
        f"/v1/satisfaction/links/{link['token']}/answer", json={"answers": {"overall": "satisfied"}}
    )
    problem(late, 409, "survey_link_expired")


def test_paper_forms_and_links_make_the_supervisors_yearly_indicators(api: Api) -> None:
    questionnaire = api.client.get("/v1/satisfaction/questionnaire").json()
    assert questionnaire["questions"][0]["code"] == "overall"
    assert questionnaire["questions"][0]["options"][0]["label"] == "Très satisfait(e)"
    for overall in ("very_satisfied", "dissatisfied"):
        recorded = api.call(
            "POST",
            "/v1/satisfaction/answers",
            "adviser",
            json={"structure_id": HOME, "channel": "phone", "answers": {"overall": overall}},
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["year"] == 2026
        assert recorded.json()["source"] == "paper"
    future = api.call(
        "POST",
        "/v1/satisfaction/answers",
        "adviser",
        json={
            "structure_id": HOME,
            "channel": "phone",
            "year": 2027,
            "answers": {"overall": "satisfied"},
        },
    )
    assert problem(future, 422, "invalid_input")["field"] == "year"
    link = issue_link(api)
    api.client.post(
        f"/v1/satisfaction/links/{link['token']}/answer", json={"answers": {"overall": "satisfied"}}
    )
    issue_link(api)
    api.catch_up()
    found = api.call(
        "GET", "/v1/satisfaction/indicators", "supervisor", params={"year": "2026"}
    ).json()
    assert found["structure_id"] == HOME
    assert found["questionnaires"] == 3
    assert found["satisfaction_rate"] == round(2 / 3, 4)
    assert found["by_source"] == {"link": 1, "paper": 2}
    assert found["by_channel"] == {"counter": 1, "phone": 2}
    assert found["links"] == {"issued": 2, "answered": 1}


def test_an_answer_through_a_link_names_neither_the_link_nor_who_handed_it_out(api: Api) -> None:
    """The anonymous answer holds its structure, year, channel, source and options only: not
    the token, not the link's id, not the adviser who printed it."""
    link = issue_link(api)
    before = api.position()
    url = f"/v1/satisfaction/links/{link['token']}/answer"
    assert api.client.post(url, json={"answers": {"overall": "satisfied"}}).status_code == 201
    recorder = api.services.ledger.recorder
    stored = recorder.select_notifications(before + 1, 10)
    (answer,) = [n for n in stored if n.topic.endswith("SatisfactionAnswer.Recorded")]
    (used,) = [n for n in stored if n.topic.endswith("SurveyLink.Used")]
    event = api.services.ledger.mapper.to_domain_event(answer)
    assert event.actor.name == "anonymous"
    assert event.answers == {"overall": "satisfied"}
    text = answer.state.decode("utf-8", "replace")
    assert "satisfied" in text  # the positive control: the stored state is readable
    for secret in (link["token"], used.originator_id.hex, str(used.originator_id), "adviser-ana"):
        assert secret not in text
