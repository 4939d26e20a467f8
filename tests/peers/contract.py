"""Check every request smm sends to a Mastodon stand-in, and every answer, against the Mastodon OpenAPI spec.

`ContractRecorder(base_url).attach(session)` adds a response hook to a requests.Session (the
SSRF-safe session smm's Mastodon client runs on). For each exchange it

* finds the operation; a request the spec does not know (path or method) is a violation, and so
  is a request to any other host than the stand-in;
* validates the request with openapi-core: path, query and header parameters and the body. A
  query parameter or body field the operation does not document is a violation too (openapi-core
  alone lets both through);
* validates the response (status code, content type, body schema). Differences that are the
  stand-in's, not smm's, are tolerated only when a `KnownDeviation` names them; they are kept in
  `tolerated` so a report can list them.

The spec is `tests/peers/specs/mastodon-openapi.json` (abraham/mastodon-openapi, Mastodon API
4.7.0). What the recorder reads differently from it, because the spec and real servers differ
and Mastodon.py follows the servers, each one said where it is done:

1. Request bodies: the spec documents JSON bodies; Mastodon.py sends form fields
   (`application/x-www-form-urlencoded`, `multipart/form-data` for media), which Rails reads as the
   same parameters. Form bodies are turned into the JSON they stand for before validation: `key[]`
   is an array, "1"/"0" are booleans where the schema says boolean, numbers where it says
   integer, and an uploaded file becomes a placeholder string.
2. Query arrays: Mastodon.py sends `types[]=mention`; the spec names the parameter `types`.
3. A trailing slash is ignored (Mastodon.py asks for `/api/v2/instance/`; Rails routes both).
4. POST /api/v1/statuses: the spec's `oneOf` TextStatus / MediaStatus / PollStatus overlaps (a
   status with text and media is both), so it is checked as `anyOf`.
5. The spec file does not pass openapi-spec-validator (`default: "null"` on integers), so the spec
   itself is not validated on load.

What it caught: Mastodon.py's `log_in()` sends its local `oauth_info` dict as an extra form field to
POST /oauth/token (smm sends the token request itself for that and for PKCE). mastodon_mock's
answers differ from the spec only where MASTODON_MOCK_DEVIATIONS says.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from jsonschema.exceptions import ValidationError
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).with_name("specs") / "mastodon-openapi.json"
FILE_PLACEHOLDER = "<uploaded file>"


# What was seen -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    method: str
    path: str
    status: int | None
    where: str  # "request" or "response"
    message: str

    def __str__(self) -> str:
        status = f" -> {self.status}" if self.status is not None else ""
        return f"{self.method} {self.path}{status} [{self.where}]: {self.message}"


@dataclass(frozen=True)
class KnownDeviation:
    """A difference between the spec and a stand-in's answers that the recorder tolerates, and why.

    `matches(operation, location, message)` gets the operation ("GET /api/v1/statuses/{id}"), the
    JSON location of the error in the response body (["account", "last_status_at"]) and the
    validator's message.
    """

    name: str
    why: str
    matches: Callable[[str, Sequence[str | int], str], bool]


def _field_error(field_name: str, text: str, *, operations: Iterable[str] = ()) -> Callable[..., bool]:
    wanted = frozenset(operations)

    def matches(operation: str, location: Sequence[str | int], message: str) -> bool:
        if wanted and operation not in wanted:
            return False
        return bool(location) and location[-1] == field_name and text in message

    return matches


# Found by running the adapter tests against mastodon_mock 0.6.1 (see the Mastodon tests).
MASTODON_MOCK_DEVIATIONS: tuple[KnownDeviation, ...] = (
    KnownDeviation(
        "account.last_status_at is a date-time",
        "Mastodon sends a date (2019-11-24); mastodon_mock sends a full timestamp.",
        _field_error("last_status_at", "is not a 'date'"),
    ),
)


@dataclass
class Exchange:
    method: str
    path: str  # as sent, without the query
    operation: str | None  # "POST /api/v1/statuses", None when the spec does not know it
    status: int | None


# The spec ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    for operation in _operations(spec):
        body = operation.get("requestBody")
        if not isinstance(body, dict):
            continue
        content = body.get("content", {})
        if "application/json" not in content and content:
            # Deviation 1: every body is validated as the JSON it stands for.
            content["application/json"] = copy.deepcopy(next(iter(content.values())))
    create_status = spec["paths"]["/api/v1/statuses"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    if "oneOf" in create_status:  # deviation 4
        create_status["anyOf"] = create_status.pop("oneOf")
    return spec


def _operations(spec: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                yield operation


@lru_cache(maxsize=8)
def _openapi(host_url: str) -> OpenAPI:
    spec = {**_spec(), "servers": [{"url": host_url}]}
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))  # deviation 5


@lru_cache(maxsize=1)
def _path_patterns() -> list[tuple[re.Pattern[str], str, int]]:
    patterns = []
    for template in _spec()["paths"]:
        regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        patterns.append((re.compile(regex), template, template.count("{")))
    # A literal segment wins over a parameter: /accounts/verify_credentials before /accounts/{id}.
    return sorted(patterns, key=lambda pattern: pattern[2])


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The spec path template and operation for a request, if the spec has them."""
    for regex, template, _count in _path_patterns():
        if regex.match(path):
            operation = _spec()["paths"][template].get(method.lower())
            return (template, operation) if isinstance(operation, dict) else None
    return None


def _resolve(schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**_spec()["components"]["schemas"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _properties(schema: Any) -> dict[str, Any] | None:
    """All properties a body schema allows (through allOf / anyOf / oneOf); None: any are allowed."""
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return None
    found: dict[str, Any] = {}
    any_known = False
    if isinstance(schema.get("properties"), dict):
        found.update(schema["properties"])
        any_known = True
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            nested = _properties(part)
            if nested is None:
                return None
            found.update(nested)
            any_known = True
    if not any_known or schema.get("additionalProperties") not in (None, False):
        return None
    return found


def _type_of(schema: Any) -> str | None:
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), None)
    if kind is None:
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                kind = _type_of(part)
                if kind is not None:
                    return str(kind)
    return str(kind) if kind is not None else None


def _coerce(value: Any, schema: Any) -> Any:
    kind = _type_of(schema)
    if kind == "array":
        items = value if isinstance(value, list) else [value]
        return [_coerce(item, _resolve(schema).get("items")) for item in items]
    if not isinstance(value, str):
        return value
    if kind == "boolean" and value.lower() in {"1", "0", "true", "false"}:
        return value.lower() in {"1", "true"}
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    return value


# Requests ----------------------------------------------------------------------------------------
@dataclass
class _OpenAPIRequest:
    """openapi-core's Request protocol for what smm sent, with the body as JSON (deviation 1)."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


def _form_fields(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    if content_type.startswith("application/x-www-form-urlencoded"):
        return list(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        fields: list[tuple[str, Any]] = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename() is not None:
                fields.append((str(name), FILE_PLACEHOLDER))
            else:
                payload = part.get_payload(decode=True)
                fields.append((str(name), payload.decode("utf-8") if isinstance(payload, bytes) else ""))
        return fields
    raise ValueError(f"unexpected request content type {content_type!r}")


def _group_arrays(fields: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    grouped: dict[str, Any] = {}
    for key, value in fields:
        if key.endswith("[]"):  # deviation 2 (Rails arrays)
            grouped.setdefault(key[:-2], []).append(value)
        elif key in grouped:
            existing = grouped[key]
            grouped[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            grouped[key] = value
    return grouped


# The recorder ------------------------------------------------------------------------------------
@dataclass
class ContractRecorder:
    """Validates what goes over the sessions it is attached to; see the module docstring."""

    base_url: str
    known_deviations: Sequence[KnownDeviation] = MASTODON_MOCK_DEVIATIONS
    validate_responses: bool = True
    violations: list[Violation] = field(default_factory=list)
    tolerated: list[tuple[KnownDeviation, Violation]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        self.host_url = f"{parts.scheme}://{parts.netloc}"

    def attach(self, session: requests.Session) -> requests.Session:
        session.hooks["response"].append(self._hook)
        return session

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.check(response)

    def assert_clean(self) -> None:
        assert not self.violations, "contract violations:\n" + "\n".join(str(item) for item in self.violations)

    def operations(self) -> list[str]:
        return [exchange.operation or f"{exchange.method} {exchange.path} (unknown)" for exchange in self.exchanges]

    # Checks --------------------------------------------------------------------------------------
    def check(self, response: requests.Response) -> None:
        prepared = response.request
        method = (prepared.method or "GET").upper()
        headers = {
            name: value if isinstance(value, str) else value.decode("latin-1")
            for name, value in prepared.headers.items()
        }
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        if body is not None and not isinstance(body, bytes):  # a streamed body: nothing smm sends
            raise TypeError(f"cannot check a streamed request body: {type(body).__name__}")
        self._check(method, str(prepared.url), headers, body, response)

    def check_url(self, method: str, url: str) -> None:
        """Validate a request smm did not send itself (the authorization URL a browser opens)."""
        self._check(method.upper(), url, {}, None, None)

    def _check(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, response: requests.Response | None
    ) -> None:
        parts = urlsplit(url)
        path = parts.path.rstrip("/") or "/"  # deviation 3
        status = response.status_code if response is not None else None
        found = find_operation(method, path)
        self.exchanges.append(
            Exchange(method, parts.path, f"{method} {found[0]}" if found else None, status),
        )

        def violation(where: str, message: str) -> None:
            self.violations.append(Violation(method, parts.path, status, where, message))

        if f"{parts.scheme}://{parts.netloc}" != self.host_url:
            violation("request", f"sent to {parts.scheme}://{parts.netloc}, not to the stand-in {self.host_url}")
            return
        if found is None:
            violation("request", "the Mastodon API spec has no such operation")
            return
        template, operation = found
        request, problems = self._openapi_request(method, path, parts.query, headers, body, operation)
        for problem in problems:
            violation("request", problem)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Unsupported scheme type": OAuth2 is not checked
            for error in _openapi(self.host_url).iter_request_errors(request):
                for message in _messages(error):
                    violation("request", message)
            if response is None or not self.validate_responses:
                return
            name = f"{method} {template}"

            def known(location: Sequence[str | int], message: str) -> KnownDeviation | None:
                return next((item for item in self.known_deviations if item.matches(name, location, message)), None)

            for error in _openapi(self.host_url).iter_response_errors(request, RequestsOpenAPIResponse(response)):
                for location, message in _residual_errors(error, lambda where, text: known(where, text) is not None):
                    deviation = known(location, message)
                    where = "/".join(str(part) for part in location) or "(body)"
                    if deviation is None:
                        violation("response", f"{where}: {message}")
                    else:
                        self.tolerated.append(
                            (deviation, Violation(method, parts.path, status, "response", f"{where}: {message}"))
                        )

    def _openapi_request(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes | None,
        operation: Mapping[str, Any],
    ) -> tuple[_OpenAPIRequest, list[str]]:
        problems: list[str] = []
        documented = {
            parameter["name"] for parameter in operation.get("parameters", []) if parameter.get("in") == "query"
        }
        query_fields = _group_arrays(parse_qsl(query, keep_blank_values=True))
        for name in sorted(set(query_fields) - documented):
            problems.append(f"query parameter {name!r} is not documented")
        multi_query = [
            (name, item)
            for name, value in query_fields.items()
            for item in (value if isinstance(value, list) else [value])
        ]
        json_body: bytes | None = None
        if body:
            content_type = headers.get("Content-Type", "")
            if content_type.startswith("application/json"):
                fields = json.loads(body)
            else:
                fields = _group_arrays(_form_fields(content_type, body))
            schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            properties = _properties(schema) if schema is not None else {}
            if properties is not None and isinstance(fields, dict):
                for name in sorted(set(fields) - set(properties)):
                    problems.append(f"body field {name!r} is not documented")
                fields = {name: _coerce(value, properties.get(name)) for name, value in fields.items()}
            json_body = json.dumps(fields).encode()
        request = _OpenAPIRequest(
            host_url=self.host_url,
            path=path,
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(multi_query), header=Headers(headers), cookie=ImmutableMultiDict()
            ),
            body=json_body,
            content_type="application/json" if json_body is not None else "",
        )
        return request, problems


def _schema_errors(error: BaseException) -> list[ValidationError]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        errors = getattr(current, "schema_errors", None)
        if errors:
            return list(errors)
        current = current.__cause__ or current.__context__
    return []


def _messages(error: BaseException) -> list[str]:
    schema_errors = _schema_errors(error)
    if not schema_errors:
        return [_describe(error)]
    return [
        f"{'/'.join(str(part) for part in item.absolute_path) or '(body)'}: {item.message}" for item in schema_errors
    ]


def _describe(error: BaseException) -> str:
    causes: list[str] = []
    current: BaseException | None = error
    while current is not None and len(causes) < 4:
        causes.append(f"{type(current).__name__}: {current}".rstrip(": "))
        current = current.__cause__
    return " <- ".join(causes)


Leaf = tuple[list[str | int], str]


def _residual_errors(error: BaseException, tolerated: Callable[[list[str | int], str], bool]) -> list[Leaf]:
    """The leaf errors left when every oneOf / anyOf takes the branch that fits best.

    "Best" is the branch with the fewest errors no KnownDeviation explains: a Status with one
    tolerated difference fits POST /api/v1/statuses, not the ScheduledStatus it also could be.
    """
    schema_errors = _schema_errors(error)
    if not schema_errors:
        return [([], _describe(error))]
    return [leaf for item in schema_errors for leaf in _leaves(item, tolerated)]


def _leaves(error: ValidationError, tolerated: Callable[[list[str | int], str], bool]) -> list[Leaf]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
        candidates = [[leaf for sub in subs for leaf in _leaves(sub, tolerated)] for subs in branches.values()]
        return min(candidates, key=lambda leaves: (sum(not tolerated(*leaf) for leaf in leaves), len(leaves)))
    return [(list(error.absolute_path), error.message)]
