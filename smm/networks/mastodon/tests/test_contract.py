"""The contract recorder itself: it must catch what the spec does not allow, or its silence means nothing."""

from __future__ import annotations

import requests

from tests.peers.contract import MASTODON_MOCK_DEVIATIONS, ContractRecorder
from tests.peers.mastodon import Reply, ScriptedServer, load_fixture

STATUS = load_fixture("notifications_mastodon_4_3.json")[4]["status"]


def recorded(server: ScriptedServer, **options: object) -> tuple[ContractRecorder, requests.Session]:
    recorder = ContractRecorder(server.base_url, **options)  # type: ignore[arg-type]
    return recorder, recorder.attach(requests.Session())


def messages(recorder: ContractRecorder) -> list[str]:
    return [str(violation) for violation in recorder.violations]


def test_it_accepts_what_mastodon_py_sends(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(body=STATUS))
    recorder, session = recorded(scripted_mastodon, known_deviations=())

    session.post(
        f"{scripted_mastodon.base_url}/api/v1/statuses",
        data={"status": "hi", "media_ids[]": ["1", "2"], "sensitive": "0", "visibility": "unlisted", "language": "en"},
        headers={"Idempotency-Key": "k", "Authorization": "Bearer t"},
    )

    assert recorder.violations == []
    assert recorder.operations() == ["POST /api/v1/statuses"]


def test_it_flags_an_operation_the_spec_does_not_know(scripted_mastodon: ScriptedServer) -> None:
    recorder, session = recorded(scripted_mastodon)

    session.get(f"{scripted_mastodon.base_url}/api/v1/statuses/1/nonsense")
    session.put(f"{scripted_mastodon.base_url}/api/v1/notifications")

    assert len(recorder.violations) == 2
    assert all("no such operation" in message for message in messages(recorder))


def test_it_flags_undocumented_and_invalid_request_fields(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on("POST", "/api/v1/statuses", Reply(body=STATUS))
    recorder, session = recorded(scripted_mastodon)

    session.post(
        f"{scripted_mastodon.base_url}/api/v1/statuses?draft=1",
        data={"status": "hi", "visibility": "everyone", "colour": "red"},
    )

    found = "\n".join(messages(recorder))
    assert "query parameter 'draft' is not documented" in found
    assert "body field 'colour' is not documented" in found
    assert "everyone" in found  # not one of public / unlisted / private / direct


def test_it_flags_a_request_to_another_host(scripted_mastodon: ScriptedServer) -> None:
    recorder = ContractRecorder("http://127.0.0.1:9")
    recorder.attach(session := requests.Session())

    session.get(f"{scripted_mastodon.base_url}/api/v1/notifications")

    assert "not to the stand-in" in messages(recorder)[0]


def test_it_flags_a_response_that_breaks_the_spec(scripted_mastodon: ScriptedServer) -> None:
    broken = {key: value for key, value in STATUS.items() if key != "visibility"}
    scripted_mastodon.on("GET", "/api/v1/statuses/1", Reply(body=broken))
    recorder, session = recorded(scripted_mastodon)

    session.get(f"{scripted_mastodon.base_url}/api/v1/statuses/1")

    assert "'visibility' is a required property" in "\n".join(messages(recorder))


def test_it_tolerates_only_known_stand_in_deviations(scripted_mastodon: ScriptedServer) -> None:
    mock_like = {**STATUS, "account": {**STATUS["account"], "last_status_at": "2024-11-20T10:20:00+00:00"}}
    scripted_mastodon.on("GET", "/api/v1/statuses/1", Reply(body=mock_like))
    strict, strict_session = recorded(scripted_mastodon, known_deviations=())
    lenient, lenient_session = recorded(scripted_mastodon)

    strict_session.get(f"{scripted_mastodon.base_url}/api/v1/statuses/1")
    lenient_session.get(f"{scripted_mastodon.base_url}/api/v1/statuses/1")

    assert "is not a 'date'" in messages(strict)[0]
    assert lenient.violations == []
    assert [deviation for deviation, _seen in lenient.tolerated] == [MASTODON_MOCK_DEVIATIONS[0]]
