"""Bluesky sessions over `atproto`: app-password login, session reuse, refresh, error mapping.

createSession is rate-limited hard (30 per 5 minutes, 300 per day per account), so a session is
created only when there is none or its refresh token is dead. Otherwise the stored tokens are
imported (the library's session import) and the library refreshes them 15 minutes before the
access token expires; every new pair is handed to `save_credentials` at once, because the PDS
rotates refresh tokens.

All traffic goes through smm's SSRF-safe httpx client (smm.lib.http): the PDS URL is typed by
a user, so it must not reach the smm server or its private network.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from atproto import Client, Session, SessionEvent, models
from atproto_client import exceptions as atproto_errors
from atproto_client.models.common import XrpcError
from atproto_client.request import Request, RequestBase
from atproto_core.exceptions import AtProtocolError
from atproto_server.auth.jwt import get_jwt_payload
from django.utils.translation import gettext as _

from smm.lib.http import ResponseTooLargeError, UnsafeURLError, check_url, safe_httpx_client
from smm.networks.base import (
    Adapter,
    AuthError,
    Capability,
    Limits,
    NetworkError,
    NotSupportedError,
    PermanentError,
    RateLimitedError,
    RefreshGuard,
    SaveCredentials,
    TransientError,
    UnknownOutcomeError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PDS_URL = "https://bsky.social"
# What Bluesky accepts (app.bsky.feed.post and app.bsky.embed.images lexicons, the app's limits).
BLUESKY_LIMITS = Limits(
    max_characters=300,
    counting="graphemes",
    max_images=4,
    max_videos=0,
    max_media=4,
    image_max_bytes=1_000_000,
    alt_text_max_characters=2000,
    video_mime_types=(),
    resizes_images=True,  # embeds.prepare_image shrinks pictures under the blob limit
)
# Timeouts for XRPC calls: connect, read (an image upload of up to 1 MB included).
XRPC_TIMEOUT = (5.0, 30.0)
# The scope of access tokens made from an account's main password (app passwords give
# "com.atproto.appPass" or "com.atproto.appPassPrivileged").
MAIN_PASSWORD_SCOPE = "com.atproto.access"  # noqa: S105  (a JWT scope name, not a secret)
# An app password made without "Allow access to your direct messages": the PDS refuses chat.bsky.*.
APP_PASSWORD_SCOPE = "com.atproto.appPass"  # noqa: S105
# The PDS's answer (400 InvalidToken) to a method the token's scope does not reach: "Bad token
# method" (chat.bsky.* with an app password without DM access, @atproto/pds pipethrough.ts
# PRIVILEGED_METHODS), "Bad token scope" (older PDS versions, and account-management methods).
SCOPE_ERROR_MESSAGES = ("Bad token method", "Bad token scope")
# XRPC errors that mean "this token is no longer good" (refresh, or log in again).
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
# XRPC errors that mean the account itself can no longer be used.
ACCOUNT_ERRORS = frozenset({"AccountTakedown", "AccountDeactivated", "AccountSuspended"})
# Transport failures that happen before the request reaches the server: nothing was sent.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def normalize_pds_url(url: str) -> str:
    """`bsky.social`, `https://pds.example/` and `https://pds.example/xrpc` all become `https://host`."""
    url = (url or "").strip() or DEFAULT_PDS_URL
    if "://" not in url:
        url = f"https://{url}"
    url = url.rstrip("/")
    if url.endswith("/xrpc"):
        url = url[: -len("/xrpc")]
    return url


def new_http_client(**kwargs: Any) -> httpx.Client:
    """The SSRF-safe httpx client the atproto library sends every XRPC call through."""
    return safe_httpx_client(timeout=XRPC_TIMEOUT, **kwargs)


class SafeRequest(Request):
    """atproto's Request on an SSRF-safe httpx client (or the one given, e.g. a test's)."""

    def __init__(self, http_client: httpx.Client | None = None) -> None:
        # Request.__init__ would build a plain httpx.Client; keep its header handling only.
        RequestBase.__init__(self)
        self._client_kwargs: dict[str, Any] = {}
        self._client = http_client if http_client is not None else new_http_client()

    def _new_instance(self) -> SafeRequest:
        # Clones (client.with_proxy() for the chat service) share the connection pool, and with it
        # the SSRF guard and the rate-limit hooks; only the original's owner closes it.
        return type(self)(self._client)

    def _send_request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        # atproto passes raw bodies (blob uploads) as data=, which httpx deprecates for bytes.
        if isinstance(kwargs.get("data"), bytes | bytearray):
            kwargs["content"] = kwargs.pop("data")
        response: httpx.Response = super()._send_request(method, url, **kwargs)
        return response


class PinnedClient(Client):
    """atproto's Client, but always talking to the PDS URL the account was connected with.

    The library switches to the PDS named in the DID document returned by createSession. We keep
    the connected URL instead: bsky.social's entryway serves every call for the accounts it hosts,
    a self-hosted PDS is its own endpoint, and one place to talk to keeps refreshes and imports
    consistent (the DID document is the account holder's to edit, too).
    """

    #: Set by BlueskySession: serialises refreshes of one account across workers (see RefreshGuard).
    refresh_guard: RefreshGuard | None = None

    def _update_pds_endpoint(self, pds_endpoint: str) -> None:
        return None

    def _inherit_clone_state(self, original: Any) -> None:
        # with_proxy() clones share the session; they must refresh it under the same lock.
        super()._inherit_clone_state(original)
        self.refresh_guard = original.refresh_guard

    def _refresh_and_set_session(self) -> models.ComAtprotoServerRefreshSession.Response:
        """Refresh under the account's lock; use tokens another worker refreshed while we waited."""
        if self.refresh_guard is None:
            return super()._refresh_and_set_session()
        with self.refresh_guard() as stored:
            ours = self._session.refresh_jwt if self._session else ""
            theirs = stored.get("refresh_jwt") or ""
            if theirs and theirs != ours and stored.get("access_jwt") and not token_expires_within(theirs, 60):
                # The PDS rotates refresh tokens: ours is spent already, theirs is the live one.
                fresh = models.ComAtprotoServerRefreshSession.Response(
                    access_jwt=stored["access_jwt"],
                    refresh_jwt=theirs,
                    did=stored.get("did") or (self._session.did if self._session else ""),
                    handle=self._session.handle if self._session else str(stored.get("identifier") or ""),
                )
                self._set_session(SessionEvent.REFRESH, fresh)
                return fresh
            return super()._refresh_and_set_session()


def jwt_claims(token: str) -> dict[str, Any]:
    """The unverified claims of a JWT (only the PDS verifies; we read exp and scope), {} if unreadable."""
    if not token:
        return {}
    try:
        return dict(get_jwt_payload(token).model_dump())
    except Exception:
        return {}


def token_expires_within(token: str, seconds: float) -> bool:
    expires = jwt_claims(token).get("exp")
    return not isinstance(expires, int) or expires - time.time() < seconds


# Errors ------------------------------------------------------------------------------------------
def xrpc_error(error: BaseException) -> tuple[int | None, str, str]:
    """(status, XRPC error name, message) of an atproto request error; (None, "", "") without a response."""
    response = getattr(error, "response", None)
    if response is None:
        return None, "", ""
    content = response.content
    if isinstance(content, XrpcError):
        return response.status_code, content.error or "", content.message or ""
    if isinstance(content, dict):
        return response.status_code, str(content.get("error") or ""), str(content.get("message") or "")
    if isinstance(content, bytes):
        return response.status_code, "", content[:200].decode("utf-8", "replace")
    return response.status_code, "", ""


def is_scope_error(error: BaseException) -> bool:
    """The token is good, but its scope does not reach this method (renewing it would not help)."""
    _status, name, message = xrpc_error(error)
    return name == "InvalidToken" and message in SCOPE_ERROR_MESSAGES


def is_token_error(error: BaseException) -> bool:
    status, name, _message = xrpc_error(error)
    if is_scope_error(error):
        return False
    return name in TOKEN_ERRORS or (status == 401 and name != "AuthenticationRequired")


def retry_after_seconds(headers: dict[str, Any]) -> float | None:
    """Seconds until the rate limit resets: `ratelimit-reset` (epoch seconds), else `Retry-After`."""
    headers = {str(key).lower(): value for key, value in (headers or {}).items()}
    reset = headers.get("ratelimit-reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    retry_after = headers.get("retry-after")
    if retry_after is None:
        return None
    try:
        seconds = float(retry_after)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(retry_after).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def translate_error(error: BaseException, *, write: bool) -> NetworkError:
    """Map an atproto/httpx failure onto smm's error hierarchy.

    `write` says whether the call changes something on the network: a write whose answer never
    came may have happened (UnknownOutcomeError); a read that got no answer is just transient.
    """
    if isinstance(error, NetworkError):
        return error
    if isinstance(error, UnsafeURLError):
        return PermanentError(str(error), detail=getattr(error, "code", ""))
    if isinstance(error, ResponseTooLargeError):
        return PermanentError(_("Bluesky sent an answer that was too large to read."), detail=str(error))
    if isinstance(error, atproto_errors.LoginRequiredError):
        return AuthError(_("Bluesky needs this account to be connected again."), detail=str(error))
    if isinstance(error, atproto_errors.RequestErrorBase) and error.response is not None:
        return _translate_response(error)
    if isinstance(error, atproto_errors.RequestErrorBase | httpx.TransportError):
        # No response: the atproto library wraps httpx's error; look at what actually happened.
        cause = error if isinstance(error, httpx.TransportError) else error.__cause__
        detail = f"{type(cause).__name__}: {cause}" if cause else type(error).__name__
        if isinstance(cause, NOT_SENT) or cause is None and not write:
            return TransientError(_("Bluesky could not be reached. smm will try again."), detail=detail)
        if write:
            return UnknownOutcomeError(
                _("Bluesky did not answer in time, so smm cannot tell whether the change was made."), detail=detail
            )
        return TransientError(_("Bluesky did not answer in time. smm will try again."), detail=detail)
    if isinstance(error, AtProtocolError):
        return PermanentError(_("Bluesky sent an answer smm could not understand."), detail=str(error))
    raise error


def _translate_response(error: atproto_errors.RequestErrorBase) -> NetworkError:
    status, name, message = xrpc_error(error)
    detail = f"{name}: {message}" if name and message else (name or message)
    headers = error.response.headers if error.response is not None else {}
    if status == 429 or name == "RateLimitExceeded":
        return RateLimitedError(
            _("Bluesky's rate limit for this account is used up; smm will try again later."),
            retry_after=retry_after_seconds(headers),
            status=status,
            detail=detail,
        )
    if name in ACCOUNT_ERRORS:
        return AuthError(
            _("Bluesky says this account is suspended or deactivated. Connect it again once it is active."),
            status=status,
            detail=detail,
        )
    if name == "InvalidToken" and message in SCOPE_ERROR_MESSAGES:
        return NotSupportedError(_("Bluesky does not let this app password do that."), status=status, detail=detail)
    if name in TOKEN_ERRORS or status == 401:
        return AuthError(
            _("Bluesky no longer accepts this account's app password. Connect the account again."),
            status=status,
            detail=detail,
        )
    if status is not None and status >= 500:
        return TransientError(
            _("Bluesky had a server problem (HTTP %(status)s). smm will try again.") % {"status": status},
            retry_after=retry_after_seconds(headers),
            status=status,
            detail=detail,
        )
    if status == 403:
        return PermanentError(_("Bluesky does not allow this account to do that."), status=status, detail=detail)
    if status == 404 or name in ("RecordNotFound", "NotFound"):
        return PermanentError(_("Bluesky could not find that post or account."), status=status, detail=detail)
    return PermanentError(
        _("Bluesky refused the request: %(reason)s") % {"reason": message or name or status},
        status=status,
        detail=detail,
    )


# Sessions ----------------------------------------------------------------------------------------
class BlueskySession:
    """One account's authenticated atproto client, built lazily from stored credentials.

    credentials: {"identifier", "app_password", "pds_url", "did", "access_jwt", "refresh_jwt"}.
    """

    def __init__(
        self,
        credentials: dict[str, Any],
        *,
        save_credentials: SaveCredentials | None = None,
        handle: str = "",
        http_client: httpx.Client | None = None,
        refresh_guard: RefreshGuard | None = None,
    ) -> None:
        self.refresh_guard = refresh_guard
        self.credentials = dict(credentials)
        self.credentials["pds_url"] = normalize_pds_url(self.credentials.get("pds_url", ""))
        self.save_credentials = save_credentials
        self.handle = handle
        self.http_client = http_client
        self._client: PinnedClient | None = None
        self._fresh = False  # the current session was created (not imported) by this object

    @property
    def did(self) -> str:
        self.client()
        return str(self.credentials["did"])

    def close(self) -> None:
        """Close the connections of the HTTP client this session made (not one it was given)."""
        if self._client is not None and self.http_client is None:
            self._client.request.close()
        self._client = None

    def client(self) -> PinnedClient:
        """The logged-in client: the stored session imported, or a new one if it cannot be used."""
        if self._client is None:
            client = PinnedClient(base_url=self.credentials["pds_url"], request=SafeRequest(self.http_client))
            client.refresh_guard = self.refresh_guard
            client.on_session_change(self._on_session_change)
            access, refresh = self.credentials.get("access_jwt") or "", self.credentials.get("refresh_jwt") or ""
            usable = self.credentials.get("did") and jwt_claims(access) and not token_expires_within(refresh, 60)
            if usable:
                session = Session(
                    handle=self.handle or str(self.credentials.get("identifier") or self.credentials["did"]),
                    did=str(self.credentials["did"]),
                    access_jwt=access,
                    refresh_jwt=refresh,
                    pds_endpoint=self.credentials["pds_url"],
                )
                # Importing makes no request; the first call refreshes if the access token is near expiry.
                client.login(session_string=session.encode(), fetch_bsky_profile=False)
                self._client = client
            else:
                self._client = client
                self._create_session()
        return self._client

    def call(self, operation: Callable[[PinnedClient], T], *, write: bool) -> T:
        """Run `operation` with the client; renew a dead session once; raise smm's errors only."""
        try:
            client = self.client()
            return operation(client)
        except NetworkError:
            raise
        except Exception as error:
            if not is_token_error(error) or self._fresh:
                raise translate_error(error, write=write) from error
            logger.info("Bluesky session for %s not accepted (%s); renewing", self.credentials.get("did"), error)
        self._renew()
        try:
            return operation(self.client())
        except NetworkError:
            raise
        except Exception as error:
            raise translate_error(error, write=write) from error

    def _renew(self) -> None:
        """Refresh the session; log in again only if the refresh token is dead."""
        client = self.client()
        refresh = self.credentials.get("refresh_jwt") or ""
        if refresh and not token_expires_within(refresh, 60):
            try:
                # atproto has no public "refresh now"; this is what its own auto-refresh calls.
                client._refresh_and_set_session()
                return
            except Exception as error:
                if not is_token_error(error) and not isinstance(error, atproto_errors.BadRequestError):
                    raise translate_error(error, write=False) from error
                logger.info("Bluesky refresh token for %s is dead (%s)", self.credentials.get("did"), error)
        self._create_session()

    def _create_session(self) -> None:
        client = self._client
        assert client is not None  # noqa: S101  (client() sets it first)
        identifier = self.credentials.get("identifier") or self.credentials.get("did")
        password = self.credentials.get("app_password")
        if not identifier or not password:
            raise AuthError(_("This Bluesky account has no app password stored. Connect it again."))
        try:
            client.login(identifier, password, fetch_bsky_profile=False)
        except Exception as error:
            raise login_error(error, identifier=str(identifier)) from error
        self._fresh = True

    def _on_session_change(self, event: SessionEvent, session: Session) -> None:
        if event not in (SessionEvent.CREATE, SessionEvent.REFRESH):
            return
        if not session.refresh_jwt or not session.access_jwt:
            # Never store a credentials dict that cannot refresh: keep the old one.
            logger.warning("Bluesky %s for %s returned no tokens; not saved", event.value, session.did)
            return
        self.credentials = {
            **self.credentials,
            "did": session.did,
            "access_jwt": session.access_jwt,
            "refresh_jwt": session.refresh_jwt,
        }
        if self.save_credentials is not None:
            self.save_credentials(dict(self.credentials))


def login_error(error: BaseException, *, identifier: str) -> NetworkError:
    """createSession failures in words a person connecting an account understands."""
    status, name, _message = xrpc_error(error)
    if name in ACCOUNT_ERRORS:
        return translate_error(error, write=False)
    if name == "AuthenticationRequired" or status == 401:
        if name == "AuthFactorTokenRequired":
            return AuthError(
                _("Bluesky asked for an email code. Sign in with an app password instead of the main password."),
                status=status,
                detail=name,
            )
        return AuthError(
            _(
                "Bluesky did not accept the app password for %(identifier)s. Check the handle, and create a new "
                "app password in Bluesky's settings (Privacy and security → App passwords) if it was revoked."
            )
            % {"identifier": identifier},
            status=status,
            detail=name,
        )
    return translate_error(error, write=False)


def connect(
    identifier: str, app_password: str, pds_url: str = DEFAULT_PDS_URL, *, http_client: httpx.Client | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Log in with a handle (or email) and an app password; return (credentials, config) to store.

    Raises UnsafeURLError (a ValueError: the server address itself is refused or not found) or a
    NetworkError subclass, with messages written for the person filling in the form.
    """
    identifier = (identifier or "").strip().removeprefix("@")
    app_password = (app_password or "").strip()
    pds_url = normalize_pds_url(pds_url)
    if not identifier or not app_password:
        raise PermanentError(_("Enter the account's handle and an app password."))
    check_url(pds_url)  # UnsafeURLError belongs to the server field of the form
    request = SafeRequest(http_client)
    try:
        return _connect(PinnedClient(base_url=pds_url, request=request), identifier, app_password, pds_url)
    finally:
        if http_client is None:
            request.close()


def _connect(
    client: PinnedClient, identifier: str, app_password: str, pds_url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    unreachable = _("smm could not reach the Bluesky server at %(server)s. Check the address and try again.") % {
        "server": pds_url
    }
    looks_like_handle = "@" not in identifier and not identifier.startswith("did:") and "." in identifier
    if looks_like_handle:
        try:
            client.com.atproto.identity.resolve_handle({"handle": identifier.lower()})
        except atproto_errors.BadRequestError as error:
            raise PermanentError(
                _("No Bluesky account has the handle %(handle)s. Check it for typos.") % {"handle": identifier},
                status=400,
                detail=xrpc_error(error)[1],
            ) from error
        except Exception as error:
            raise _connect_error(error, unreachable) from error
    try:
        created = client.com.atproto.server.create_session(
            {"identifier": identifier, "password": app_password}, ignore_session_check=True
        )
    except Exception as error:
        mapped = login_error(error, identifier=identifier)
        raise (_connect_error(error, unreachable) if isinstance(mapped, TransientError) else mapped) from error

    scope = jwt_claims(created.access_jwt).get("scope")
    if scope == MAIN_PASSWORD_SCOPE:
        # A main password must not be stored: end the session it just opened, then refuse.
        try:
            client.com.atproto.server.delete_session(
                headers={"Authorization": f"Bearer {created.refresh_jwt}"}, ignore_session_check=True
            )
        except Exception:
            logger.info("Could not end the main-password session for %s", created.did)
        raise PermanentError(
            _(
                "That is the account's main password. Create an app password in Bluesky's settings "
                "(Privacy and security → App passwords) and use it here instead."
            ),
            detail=str(scope),
        )
    credentials = {
        "identifier": identifier,
        "app_password": app_password,
        "pds_url": pds_url,
        "did": created.did,
        "access_jwt": created.access_jwt,
        "refresh_jwt": created.refresh_jwt,
    }
    config: dict[str, Any] = {
        "did": created.did,
        "handle": created.handle,
        "pds_url": pds_url,
        "limits": BLUESKY_LIMITS.to_dict(),
    }
    if scope == APP_PASSWORD_SCOPE:
        # Made without "Allow access to your direct messages": chat is out of reach (see chat.py).
        config[Adapter.UNAVAILABLE_KEY] = {Capability.DIRECT_MESSAGES.value: datetime.now(UTC).isoformat()}
    return credentials, config


def _connect_error(error: BaseException, unreachable: str) -> NetworkError:
    mapped = translate_error(error, write=False)
    if isinstance(mapped, TransientError) and not isinstance(mapped, RateLimitedError) and mapped.status is None:
        return TransientError(unreachable, detail=mapped.detail)
    return mapped
