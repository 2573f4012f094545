"""Who the review app answers: loopback names or a token, CSRF and Origin checks on writes.

The token (at least :data:`MIN_TOKEN_CHARS` characters, no repetition of a few:
:func:`check_token`), the host names served on loopback (no DNS rebinding), and :class:`Guard`,
the ASGI middleware that refuses what does not pass and puts the security headers (CSP: no
inline script) on every response.
"""

from __future__ import annotations

import ipaddress
import secrets

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quartier.errors import QuartierError

#: Largest request body (bytes): a bulk decision on 20,000 candidates fits.
MAX_BODY = 2_000_000
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'")


#: Shortest token accepted (``--token``); a generated one has 24 characters.
MIN_TOKEN_CHARS = 16
#: Least information a token must carry: its characters' empirical entropy × its length (bits).
MIN_TOKEN_BITS = 48.0


def check_token(token: str) -> None:
    """Refuse a token that is guessed quickly: shorter than :data:`MIN_TOKEN_CHARS` or a
    repetition of a few characters ("aaaa…", "abab…", "passwordpassword")."""
    counts = np.unique(np.array(list(token)), return_counts=True)[1] if token else np.array([1])
    p = counts / counts.sum()
    bits = float(-(p * np.log2(p)).sum() * len(token))
    if len(token) < MIN_TOKEN_CHARS or bits < MIN_TOKEN_BITS:
        raise QuartierError(
            f"--token: a token needs at least {MIN_TOKEN_CHARS} characters and must not repeat a "
            "few characters (anyone who can reach the server could guess it); leave --token out "
            "to get a random one, or use e.g. `python -c \"import secrets; "
            "print(secrets.token_urlsafe(18))\"`")


def generate_token() -> str:
    """A random token for the address (24 URL-safe characters, 144 bits)."""
    return secrets.token_urlsafe(18)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_of(netloc: str) -> str:
    """The host name of ``host[:port]`` (brackets of an IPv6 address dropped), lower case."""
    return netloc.rsplit(":", 1)[0].strip("[]").lower()


def too_large() -> JSONResponse:
    return JSONResponse({"error": f"request too large (at most {MAX_BODY:,} bytes)"},
                        status_code=413)


class Guard:
    """Host check, token, CSRF and security headers around the whole app (pure ASGI)."""

    def __init__(self, app: ASGIApp, hosts: set[str] | None, token: str | None, csrf: str) -> None:
        self.app, self.hosts, self.token, self.csrf = app, hosts, token, csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self.refuse(request)
        if refusal is not None:
            await self.secure(refusal)(scope, receive, send)
            return
        set_cookie = (self.token is not None and request.query_params.get("token") == self.token
                      and request.cookies.get("quartier_token") != self.token)

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                for name, value in self.headers(request.url.path.startswith("/api/")).items():
                    headers.append((name.encode(), value.encode()))
                if set_cookie:
                    headers.append((b"set-cookie", f"quartier_token={self.token}; HttpOnly; "
                                    "SameSite=Strict; Path=/".encode()))
            await send(message)

        await self.app(scope, receive, send_secured)

    def refuse(self, request: Request) -> Response | None:
        """Why ``request`` is not answered (a response saying so), None when it may pass."""
        host = _host_of(request.headers.get("host") or "")
        # on loopback: only our own names (no DNS rebinding); elsewhere the token guards
        if self.hosts is not None and host not in self.hosts:
            return PlainTextResponse("unknown host name", status_code=400)
        if not self.token_given(request):
            return PlainTextResponse("token required: open the address quartier printed at "
                                     "start (with ?token=…)", status_code=401)
        if (request.url.path.startswith("/api/")
                and request.headers.get("sec-fetch-site") == "cross-site"):
            return JSONResponse({"error": "cross-site request refused"}, status_code=403)
        if request.method not in ("GET", "HEAD"):
            return self.refuse_write(request, host)
        return None

    def token_given(self, request: Request) -> bool:
        """True without a token, else when the request carries it (header, address or cookie)."""
        if self.token is None:
            return True
        # a token in the address wins over an older cookie (a restarted server has a new one)
        given = (request.headers.get("x-quartier-token") or request.query_params.get("token")
                 or request.cookies.get("quartier_token") or "")
        return secrets.compare_digest(given.encode(), self.token.encode())

    def refuse_write(self, request: Request, host: str) -> Response | None:
        """A write needs our own origin, a body within :data:`MAX_BODY`, the CSRF token, JSON."""
        origin = request.headers.get("origin")
        if origin is not None and _host_of(origin.split("://", 1)[-1]) != host:
            return JSONResponse({"error": "cross-site request refused"}, status_code=403)
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return too_large()
        if not secrets.compare_digest((request.headers.get("x-csrf-token") or "").encode(),
                                      self.csrf.encode()):
            return JSONResponse({"error": "missing or wrong X-CSRF-Token (reload the page)"},
                                status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "send JSON (Content-Type: application/json)"},
                                status_code=415)
        return None

    @staticmethod
    def headers(api: bool) -> dict[str, str]:
        h = {"content-security-policy": _CSP, "x-content-type-options": "nosniff",
             "x-frame-options": "DENY", "referrer-policy": "no-referrer",
             "cross-origin-opener-policy": "same-origin", "cross-origin-resource-policy": "same-origin"}
        if api:
            h["cache-control"] = "no-store"
        return h

    def secure(self, response: Response) -> Response:
        response.headers.update(self.headers(True))
        return response
