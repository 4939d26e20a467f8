"""Thin, typed functions over Mastodon.py, always on smm's SSRF-safe session, plus error mapping.

Everything that talks to a Mastodon-API server goes through `connect()` (a Mastodon.py client on
`smm.lib.http.safe_session()`) and `translated_errors()` (Mastodon.py and requests exceptions turned
into smm's `NetworkError` kinds by `to_network_error()`, the one mapping). Two calls are plain
requests on the same session, because Mastodon.py 2.3.3 cannot make them correctly:

* the instance document (`instance_info`): Mastodon.py asks for `/api/v1/instance/` and
  `/api/v2/instance/` with a trailing slash, which Takahe and GoToSocial answer with 404;
* the token exchange (`exchange_code`): `Mastodon.log_in()` cannot send a PKCE `code_verifier`,
  hides the HTTP status of every failure, and sends an undocumented `oauth_info` form field.

The two calls of every publish (create the status, read it back) go through `api_call`, a plain
request on the client's session: Mastodon.py turns every answer into typed objects, recursively,
which cost more CPU than all the rest of a publish (bench/publish_lateness.py). Their errors map
exactly as Mastodon.py's would. So do the inbox's reads (notifications through `api_list`, thread
context) and reports, for the same reason and because Mastodon.py 2.3.3 cannot send what they
need: `include_filtered` on notifications, and a report without a trailing slash (it posts to
`/api/v1/reports/`).

Mastodon.py quirks worked around here:

* it treats `client_id` and `access_token` given to its constructor as *file names* when such a
  file exists (`auth_request_url(client_id=...)` too). Both come from the remote server, which could
  name a local file and be sent its first line. `connect()` and `authorization_url()` set them as
  attributes after construction, where Mastodon.py uses them as plain strings.
* with `version_check_mode="none"` it ignores `mastodon_version` and assumes Mastodon 1.0.0 (so
  `/api/v1/media`), and without `mastodon_version` it fetches the instance document itself on the
  first version-dependent call. `connect()` passes the version and sets the one it should assume.
* `ratelimit_method="throw"`: smm never sleeps inside a request; a 429 becomes RateLimitedError
  (Mastodon.py drops the 429's headers, so a response hook keeps the last response for them).
* `timeline_hashtag()` first fetches `/api/v2/instance/` (with the slash) to see whether hashtag
  timelines are public; a 404 there is ignored by Mastodon.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonRatelimitError,
)
from urllib3.exceptions import ConnectTimeoutError as Urllib3ConnectTimeoutError
from urllib3.exceptions import MaxRetryError, NewConnectionError

from smm.lib.http import HostNotFoundError, ResponseTooLargeError, UnsafeURLError, safe_session
from smm.networks.base import (
    AuthError,
    Limits,
    NetworkError,
    PermanentError,
    RateLimitedError,
    TransientError,
    UnknownOutcomeError,
)

# What smm's features need: statuses, media, notifications, favourites, reblogs (read, write),
# blocks and mutes (follow). `push` is not asked for: smm polls notifications.
SCOPES: tuple[str, ...] = ("read", "write", "follow")
CLIENT_NAME = "smm"
USER_AGENT = "smm (self-hosted social media manager)"
DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0
# From sending a request to the last byte of its answer: a video upload on a slow uplink takes a while.
UPLOAD_DEADLINE = 180.0
# The Mastodon API level Mastodon.py should assume when a server's version says nothing useful
# (Takahe, GoToSocial, or an account connected before the version was stored): v2 media and search.
MODERN_API_VERSION = "4.0.0"
# Mastodon's alt text limit before it was reported (media_attachments.description_limit, 4.4).
DEFAULT_ALT_TEXT_LIMIT = 1500
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_URL_LENGTH = 23
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# 403 texts that mean the token or the login is the problem, not the one object acted on
# (Mastodon's Api::BaseController#require_user! and Doorkeeper's scope check).
_ACCOUNT_LEVEL_REFUSALS = (
    "outside the authorized scopes",
    "your login",
    "suspended",
    "requires an authenticated user",
)
_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class InstanceInfo:
    """What smm learns about a server before connecting an account to it."""

    base_url: str  # normalised: scheme://host[:port], no trailing slash
    version: str  # as reported: "4.3.2", "4.2.10+glitch", "takahe/0.11.0", "0.20.1 git-8d6a7b9"
    supports_pkce: bool  # the server advertises PKCE S256 (Mastodon >= 4.3)
    limits: Limits
    domain: str = ""  # the domain in account handles (@user@domain); may differ from the web host
    api_version: str = MODERN_API_VERSION  # the Mastodon API level to tell Mastodon.py

    def config(self) -> dict[str, Any]:
        """The non-secret part of an account's config that comes from the server."""
        return {
            "instance_url": self.base_url,
            "domain": self.domain,
            "version": self.version,
            "limits": self.limits.to_dict(),
        }


@dataclass(frozen=True)
class AppRegistration:
    client_id: str
    client_secret: str


# URLs --------------------------------------------------------------------------------------------
def normalise_instance_url(value: str) -> str:
    """`mastodon.social`, `https://mastodon.social/@someone` or `@me@mastodon.social` -> base URL.

    https only; http is accepted only where OUTBOUND_ALLOW_LOOPBACK is on (tests, local stand-ins),
    because OAuth secrets and tokens would otherwise travel in the clear.
    """
    text = value.strip()
    if "://" not in text and "@" in text:
        text = text.rsplit("@", 1)[1]  # a handle: the server is after the last @
    if "://" not in text:
        text = "https://" + text
    invalid = PermanentError(_("Enter the address of a Mastodon server, for example mastodon.social."))
    try:
        parts = urlsplit(text)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise invalid from exc
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise invalid
    if parts.scheme == "http" and not getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False):
        raise PermanentError(_("Use the https:// address of the server."))
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def mastodon_api_version(version: str) -> str:
    """The Mastodon API level a server's version string stands for, as Mastodon.py wants it.

    Mastodon and its forks ("4.2.10+glitch", "4.0.2+hometown-1.1.1") and Pleroma-likes
    ("2.7.2 (compatible; Pleroma 2.5.0)") lead with a Mastodon version. Others do not:
    GoToSocial reports its own 0.x version ("0.20.1 git-8d6a7b9"), Takahe "takahe/0.11.0";
    both implement the modern endpoints, so they get MODERN_API_VERSION.
    """
    match = _VERSION.match(version or "")
    if match is None or int(match.group(1)) < 1:
        return MODERN_API_VERSION
    return f"{int(match.group(1))}.{int(match.group(2))}.{int(match.group(3) or 0)}"


def pkce_pair() -> tuple[str, str]:
    """A fresh PKCE (code_verifier, S256 code_challenge); keep the verifier in the session."""
    verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (RFC 7636: 43-128)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# The client --------------------------------------------------------------------------------------
class _LastResponse:
    """Remembers a session's latest response: Mastodon.py drops the headers of a 429 (Retry-After)."""

    def __init__(self, session: requests.Session) -> None:
        self.response: requests.Response | None = None
        session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.response = response


_memos: weakref.WeakKeyDictionary[requests.Session, _LastResponse] = weakref.WeakKeyDictionary()


def _memo(session: requests.Session) -> _LastResponse:
    memo = _memos.get(session)
    if memo is None:
        memo = _memos[session] = _LastResponse(session)
    return memo


def new_session(*, timeout: float = DEFAULT_TIMEOUT) -> requests.Session:
    """smm's SSRF-safe session; `timeout` bounds each wait for the server, uploads get a longer deadline."""
    return safe_session(timeout=(min(CONNECT_TIMEOUT, timeout), timeout), deadline=max(2 * timeout, UPLOAD_DEADLINE))


def connect(
    instance_url: str,
    *,
    access_token: str | None = None,
    server_version: str = "",
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Mastodon:
    """A Mastodon.py client for `instance_url` on the SSRF-safe session (or the one given).

    `server_version` is the version the server reported (InstanceInfo.version), raw.
    """
    session = session if session is not None else new_session(timeout=timeout)
    _memo(session)
    api_version = mastodon_api_version(server_version)
    client = Mastodon(
        api_base_url=instance_url,
        session=session,
        request_timeout=timeout,
        ratelimit_method="throw",
        version_check_mode="none",
        mastodon_version=api_version,
        user_agent=USER_AGENT,
    )
    # See the module docstring: set after construction so it is never read as a file name, and
    # tell Mastodon.py which API level to assume (it ignores mastodon_version without checks).
    client.access_token = access_token or None  # an empty token would still send "Bearer "
    client.mastodon_major, client.mastodon_minor, client.mastodon_patch = (int(part) for part in api_version.split("."))
    return client


# Errors ------------------------------------------------------------------------------------------
@contextmanager
def translated_errors(session: requests.Session) -> Iterator[None]:
    """Run Mastodon.py / requests calls on `session`; their failures leave as smm NetworkErrors."""
    memo = _memo(session)
    memo.response = None
    try:
        yield
    except NetworkError:
        raise
    except (MastodonError, requests.RequestException) as exc:
        raise to_network_error(exc, response=memo.response) from exc
    except ResponseTooLargeError as exc:
        raise to_network_error(exc) from exc
    except ValueError as exc:
        if not isinstance(exc, UnsafeURLError):
            raise
        raise to_network_error(exc) from exc


def api_call(
    client: Mastodon,
    method: str,
    path: str,
    *,
    data: list[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """One API call on the client's session and token, its JSON object as plain data.

    Call it inside `translated_errors(client.session)`. An error status raises the NetworkError
    Mastodon.py's call would have; a success that is not a JSON object raises as unreadable
    (UnknownOutcomeError for a write: it may have been done).
    """
    response = _send(client, method, path, data=data, headers=headers, timeout=timeout)
    body = _json(response)
    if not isinstance(body, dict):
        raise _no_answer(method=method, detail=f"HTTP {response.status_code}: not a JSON object", unreadable=True)
    return body


def api_list(
    client: Mastodon, path: str, *, params: list[tuple[str, str]], timeout: float = DEFAULT_TIMEOUT
) -> tuple[list[dict[str, Any]], str | None]:
    """One GET of a paginated list: (its items as plain data, the max_id of its Link rel="next").

    Call it inside `translated_errors(client.session)`, like `api_call`.
    """
    response = _send(client, "GET", path, params=params, timeout=timeout)
    body = _json(response)
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise _no_answer(method="GET", detail=f"HTTP {response.status_code}: not a JSON list", unreadable=True)
    following = response.links.get("next", {}).get("url")
    max_id = dict(parse_qsl(urlsplit(following).query)).get("max_id") if following else None
    return body, max_id or None


def _send(
    client: Mastodon,
    method: str,
    path: str,
    *,
    data: list[tuple[str, str]] | None = None,
    params: list[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
) -> requests.Response:
    request_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    if client.access_token:
        request_headers["Authorization"] = f"Bearer {client.access_token}"
    response = client.session.request(
        method, f"{client.api_base_url}{path}", data=data, params=params, headers=request_headers, timeout=timeout
    )
    if not response.ok:
        raise error_from_response(response)
    return response


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def to_network_error(exc: BaseException, *, response: requests.Response | None = None) -> NetworkError:
    """The one mapping from Mastodon.py / requests exceptions to smm's error kinds.

    * 401 -> AuthError. 403 -> AuthError when the server says the token or login is the problem
      (missing scope, disabled, suspended or unapproved login), else PermanentError: a 403 on one
      status or account ("This action is not allowed") must not disconnect a working account.
    * 400, 404, 410, 422 and other 4xx -> PermanentError with the server's words in `detail`
      (422 "This method requires an authenticated user" -> AuthError: a token without a user).
    * 429 -> RateLimitedError (Retry-After or X-RateLimit-Reset); 408 and 5xx -> TransientError.
    * No answer: if the request never left (DNS, refused, connect timeout, TLS) -> TransientError;
      if it may have reached the server (read timeout, connection dropped after sending, an
      unreadable 2xx) -> UnknownOutcomeError for writes, TransientError for reads (GET has no effect
      to reconcile).
    """
    if isinstance(exc, MastodonIllegalArgumentError) and isinstance(exc.__context__, MastodonError):
        return to_network_error(exc.__context__, response=response)  # log_in() wraps every failure
    if isinstance(exc, MastodonRatelimitError):
        return _rate_limited(response.headers if response is not None else {})
    if isinstance(exc, MastodonNetworkError):
        cause = exc.__context__  # Mastodon.py raises it inside `except Exception` around the request
        if isinstance(cause, NetworkError):
            # smm's own refusal before sending (the rate-limit budget is used up): nothing went out.
            return cause
        if isinstance(cause, (requests.RequestException, ResponseTooLargeError, UnsafeURLError)):
            return to_network_error(cause, response=None)
        return _no_answer(method=None, detail=str(exc))
    if isinstance(exc, MastodonAPIError):
        status = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        if status is None:  # a 2xx whose body was not the JSON expected, or a refused scope set
            method = response.request.method if response is not None else None
            return _no_answer(method=method, detail=str(exc), unreadable=True)
        detail = (
            str(exc.args[3]) if len(exc.args) > 3 and exc.args[3] else str(exc.args[2] if len(exc.args) > 2 else "")
        )
        headers = response.headers if response is not None and response.status_code == status else {}
        return error_from_status(status, detail=detail, headers=headers)
    if isinstance(exc, requests.RequestException):
        return _from_requests(exc)
    if isinstance(exc, ResponseTooLargeError):
        # Mastodon API answers are small; one past the cap will be as large next time.
        return PermanentError(str(exc), detail=repr(exc))
    if isinstance(exc, HostNotFoundError):
        return _not_sent(str(exc))
    if isinstance(exc, UnsafeURLError):  # its message is written for whoever typed the address
        return PermanentError(str(exc), detail=exc.code)
    if isinstance(exc, MastodonError):
        return PermanentError(_("The server could not be used for this."), detail=str(exc))
    return PermanentError(_("The server's answer could not be understood."), detail=str(exc))


def error_from_response(response: requests.Response) -> NetworkError:
    """The NetworkError for a response that was not a success (for the plain requests here)."""
    detail = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [str(body[key]) for key in ("error", "error_description") if body.get(key)]
        detail = ": ".join(parts)
    return error_from_status(response.status_code, detail=detail or response.reason or "", headers=response.headers)


def error_from_status(status: int, *, detail: str, headers: Mapping[str, str]) -> NetworkError:
    lowered = detail.lower()
    if status == 401 or (status in (403, 422) and any(text in lowered for text in _ACCOUNT_LEVEL_REFUSALS)):
        return AuthError(
            _("The server no longer accepts smm's access to this account. Reconnect it."), status=status, detail=detail
        )
    if status == 403:
        return PermanentError(_("The server does not allow this account to do that."), status=status, detail=detail)
    if status in (404, 410):
        return PermanentError(
            _("The server cannot find that post or account; it may have been deleted."), status=status, detail=detail
        )
    if status == 429:
        return _rate_limited(headers, detail=detail)
    if status == 408 or status >= 500:
        return TransientError(
            _("The server is having problems (HTTP %(status)s). smm will try again later.") % {"status": status},
            retry_after=_retry_after(headers),
            status=status,
            detail=detail,
        )
    if detail:
        message = _("The server refused the request: %(reason)s") % {"reason": detail}
    else:
        message = _("The server refused the request.")
    return PermanentError(message, status=status, detail=detail)


def _rate_limited(headers: Mapping[str, str], *, detail: str = "") -> RateLimitedError:
    return RateLimitedError(
        _("The server's rate limit is used up. smm will try again later."),
        retry_after=_retry_after(headers),
        status=429,
        detail=detail,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from Retry-After, else until X-RateLimit-Reset, measured on the server's clock."""
    from smm.lib.ratelimit import parse_headers

    now = datetime.now(UTC)
    date = _header(headers, "Date")
    if date:
        with suppress(TypeError, ValueError):
            now = parsedate_to_datetime(date)
    info = parse_headers(headers, now=now)
    if info.retry_after is not None:
        return info.retry_after
    if info.resets_at is not None:
        return max((info.resets_at - now).total_seconds(), 0.0)
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _from_requests(exc: requests.RequestException) -> NetworkError:
    request = getattr(exc, "request", None)
    method = request.method if request is not None else None
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return _not_sent(str(exc))
    if isinstance(exc, requests.ConnectionError):
        if isinstance(exc.__cause__, HostNotFoundError):  # safe_session resolves before connecting
            return _not_sent(str(exc))
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, (NewConnectionError, Urllib3ConnectTimeoutError)):
            return _not_sent(str(exc))
        return _no_answer(method=method, detail=str(exc))  # dropped after sending: it may have arrived
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return PermanentError(
            _("Enter the address of a Mastodon server, for example mastodon.social."), detail=str(exc)
        )
    return _no_answer(method=method, detail=str(exc))


def _not_sent(detail: str) -> TransientError:
    return TransientError(_("Could not reach the server. smm will try again later."), detail=detail)


def _no_answer(*, method: str | None, detail: str, unreadable: bool = False) -> NetworkError:
    if method is not None and method.upper() in SAFE_METHODS:
        return TransientError(_("The server did not answer properly. smm will try again later."), detail=detail)
    if unreadable:
        message = _("The server's answer could not be read; the request may or may not have gone through.")
    else:
        message = _("The server did not answer in time; the request may or may not have gone through.")
    return UnknownOutcomeError(message, detail=detail)


# The instance ------------------------------------------------------------------------------------
def instance_info(
    instance_url: str, *, session: requests.Session | None = None, timeout: float = DEFAULT_TIMEOUT
) -> InstanceInfo:
    """Version, limits and OAuth abilities of a server, from /api/v2/instance (else /api/v1/instance)."""
    base_url = normalise_instance_url(instance_url)
    session = session if session is not None else new_session(timeout=timeout)
    document, version_2 = _instance_document(session, base_url, timeout=timeout)
    version = str(document.get("version") or "")
    client = connect(base_url, server_version=version, session=session, timeout=timeout)
    with translated_errors(session):
        oauth = client.oauth_authorization_server_info()  # {} where the server has none (< 4.3)
    methods = oauth.get("code_challenge_methods_supported") if isinstance(oauth, Mapping) else None
    # The domain of handles: v2 "domain" (GoToSocial: "account_domain" when it differs), v1 "uri".
    domain = (document.get("account_domain") or document.get("domain")) if version_2 else document.get("uri")
    return InstanceInfo(
        base_url=base_url,
        version=version,
        supports_pkce=isinstance(methods, list) and "S256" in methods,
        limits=limits_from_instance(document),
        domain=_bare_domain(str(domain or "")) or (urlsplit(base_url).hostname or ""),
        api_version=mastodon_api_version(version),
    )


def _instance_document(session: requests.Session, base_url: str, *, timeout: float) -> tuple[dict[str, Any], bool]:
    # Plain GETs without the trailing slash Mastodon.py adds (see the module docstring).
    for path, version_2 in (("/api/v2/instance", True), ("/api/v1/instance", False)):
        with translated_errors(session):
            response = session.get(
                base_url + path, headers={"Accept": "application/json", "User-Agent": USER_AGENT}, timeout=timeout
            )
        if response.status_code in (404, 410):
            continue
        if not response.ok:
            raise error_from_response(response)
        try:
            document = response.json()
        except ValueError:
            document = None  # a web page where the API should be: try the older path
        if isinstance(document, dict) and "version" in document:
            return document, version_2
    raise PermanentError(_("This does not look like a Mastodon server: it has no instance information."))


def _bare_domain(value: str) -> str:
    return urlsplit(value).hostname or "" if "://" in value else value.strip().strip("/").lower()


def limits_from_instance(document: Mapping[str, Any]) -> Limits:
    """Limits from an instance document (v2 or v1 `configuration`), defaulting like Mastodon."""
    configuration = _mapping(document.get("configuration"))
    statuses = _mapping(configuration.get("statuses"))
    media = _mapping(configuration.get("media_attachments"))
    max_media = _positive(statuses.get("max_media_attachments")) or DEFAULT_MAX_MEDIA
    mime_types = media.get("supported_mime_types")
    defaults = Limits(max_characters=DEFAULT_MAX_CHARACTERS, counting="mastodon")
    image_types, video_types = defaults.image_mime_types, defaults.video_mime_types
    if isinstance(mime_types, list) and mime_types:
        image_types = tuple(kind for kind in mime_types if isinstance(kind, str) and kind.startswith("image/"))
        video_types = tuple(kind for kind in mime_types if isinstance(kind, str) and kind.startswith("video/"))
    return Limits(
        # Pleroma-likes report max_toot_chars at the top of the v1 document.
        max_characters=_positive(statuses.get("max_characters"))
        or _positive(document.get("max_toot_chars"))
        or DEFAULT_MAX_CHARACTERS,
        counting="mastodon",
        max_images=max_media,
        max_videos=1,  # Mastodon takes one video per status, and no images with it
        max_media=max_media,
        image_max_bytes=_positive(media.get("image_size_limit")),
        video_max_bytes=_positive(media.get("video_size_limit")),
        url_length=_positive(statuses.get("characters_reserved_per_url")) or DEFAULT_URL_LENGTH,
        alt_text_max_characters=_positive(media.get("description_limit")) or DEFAULT_ALT_TEXT_LIMIT,
        image_mime_types=image_types,
        video_mime_types=video_types,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _positive(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


# OAuth -------------------------------------------------------------------------------------------
def register_app(
    instance_url: str,
    redirect_uri: str,
    *,
    website: str,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AppRegistration:
    """Register smm as an OAuth app on the server (once per server; keep the result)."""
    base_url = normalise_instance_url(instance_url)
    session = session if session is not None else new_session(timeout=timeout)
    memo = _memo(session)
    with translated_errors(session):
        try:
            client_id, client_secret = Mastodon.create_app(
                CLIENT_NAME,
                scopes=list(SCOPES),
                redirect_uris=redirect_uri,
                website=website,
                api_base_url=base_url,
                request_timeout=timeout,
                session=session,
                user_agent=USER_AGENT,
            )
        except (KeyError, TypeError) as exc:
            # create_app() reads client_id out of any JSON answer, error or not.
            if memo.response is not None and not memo.response.ok:
                raise error_from_response(memo.response) from exc
            raise PermanentError(_("The server's answer could not be understood."), detail=repr(exc)) from exc
    if not _plain_token(client_id) or not _plain_token(client_secret):
        raise PermanentError(_("The server's answer could not be understood."), detail="client_id/client_secret")
    return AppRegistration(client_id=client_id, client_secret=client_secret)


def authorization_url(
    instance_url: str,
    client_id: str,
    redirect_uri: str,
    *,
    state: str,
    code_challenge: str | None,
    language: str | None = None,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """Where to send the person to approve access; with PKCE S256 when `code_challenge` is given.

    `force_login` is on so whoever connects picks the account even if already signed in to the
    server in that browser (a team may manage several accounts there).
    """
    base_url = normalise_instance_url(instance_url)
    client = connect(base_url, session=session, timeout=timeout)
    client.client_id = client_id
    language = (language or translation.get_language() or "en").split("-")[0]
    with translated_errors(client.session):
        url: str = client.auth_request_url(
            redirect_uris=redirect_uri,
            scopes=list(SCOPES),
            force_login=True,
            state=state,
            lang=language,
            allow_http=base_url.startswith("http://"),
        )
    if code_challenge:
        url += "&" + urlencode({"code_challenge": code_challenge, "code_challenge_method": "S256"})
    return url


def exchange_code(
    instance_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    *,
    code_verifier: str | None,
    session: requests.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """The access token for an authorization code (tokens from Mastodon do not expire).

    The documented POST /oauth/token, sent on the session by hand: Mastodon.py's `log_in()` cannot
    send `code_verifier`, wraps every failure (even a 503) in MastodonIllegalArgumentError, and puts
    its local variable `oauth_info` into the form as an extra field (the contract check caught it).
    The token endpoint still comes from Mastodon.py's discovery of the server's OAuth document.
    """
    base_url = normalise_instance_url(instance_url)
    client = connect(base_url, session=session, timeout=timeout)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
        "scope": " ".join(SCOPES),
    }
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    with translated_errors(client.session):
        oauth = client.oauth_authorization_server_info()  # {} before Mastodon 4.3: the default path
        token_url = str(oauth.get("token_endpoint") or base_url + "/oauth/token")
        if urlsplit(token_url).scheme != urlsplit(base_url).scheme:  # never send the secret over http
            raise PermanentError(
                _("The server's answer could not be understood."), detail=f"token_endpoint {token_url}"
            )
        response = client.session.post(
            token_url, data=form, headers={"Accept": "application/json", "User-Agent": USER_AGENT}, timeout=timeout
        )
    if not response.ok:
        raise error_from_response(response)
    try:
        body = response.json()
    except ValueError:
        body = None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not _plain_token(token):
        raise PermanentError(_("The server's answer could not be understood."), detail="access_token")
    granted = str(body.get("scope") or "").split() if isinstance(body, dict) else []
    if granted and not set(SCOPES) <= set(granted):
        raise PermanentError(
            _("The server did not grant all the access smm asked for."), detail=f"granted: {' '.join(granted)}"
        )
    return str(token)


def _plain_token(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 1024 and value.isprintable() and " " not in value
