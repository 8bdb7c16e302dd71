"""One bounded HTTP GET for answers from guests (check_nagios_guest and fab's Nagios confirmation).

Why not ``requests``: a guest may be compromised or broken, and requests gives neither a total deadline (its
timeout is per socket read, so a server dripping bytes holds the caller forever) nor a size cap (``.content``
reads an endless body into memory). Here every read of the socket (status line, headers, body; plain or TLS)
gets what is left of one deadline as its timeout; the body is read in chunks and refused past
:data:`MAX_BODY`; redirects are never followed (a 3xx is the answer); no proxy is taken from the environment;
TLS is always verified (system CAs, or ``cafile``). It is also lighter to import than requests.
"""

from __future__ import annotations

from typing import NamedTuple

MAX_BODY = 1 << 20  # 1 MiB: a statusjson answer is a few KiB
CHUNK = 64 * 1024


class FetchError(Exception):
    """The request gave no usable answer; the message is one line."""


class BadUrl(FetchError):
    """The URL itself is unusable (the caller's mistake)."""


class Unreachable(FetchError):
    """No connection, or the connection broke before a whole answer arrived."""


class TlsFailure(FetchError):
    """The TLS handshake failed (certificate not verified, protocol mismatch)."""


class DeadlineMissed(FetchError):
    """The whole exchange did not finish within its deadline."""


class TooLarge(FetchError):
    """The body grew past the cap."""


class Answer(NamedTuple):
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes


def get(url: str, *, seconds: float, params: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None, cafile: str | None = None, limit: int = MAX_BODY) -> Answer:
    """GET ``url`` (plus ``params``) with basic ``auth``; the whole exchange ends within ``seconds``."""
    import http.client
    import ssl
    import time
    from urllib.parse import urlencode, urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise BadUrl(f"invalid URL {url!r}: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUrl(f"invalid URL {url!r}: need http:// or https:// and a host")
    target = (parts.path or "/") + "?" + "&".join(q for q in (parts.query, urlencode(params or {})) if q)
    deadline = time.monotonic() + seconds
    if parts.scheme == "https":
        try:
            context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as error:
            raise BadUrl(f"CA file {cafile}: {error}") from None
        context.sslsocket_class = _bounded_tls(deadline)
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, port, timeout=seconds, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=seconds)
    connection._create_connection = _bounded_connect(deadline)  # type: ignore[attr-defined]
    headers = {"Accept": "application/json", "Connection": "close", "User-Agent": "nagios-herd"}
    if auth is not None:
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    missed = f"no whole answer within {seconds:.1f} s"
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        body = bytearray()
        while chunk := response.read1(CHUNK):
            body += chunk
            if len(body) > limit:
                raise TooLarge(f"answer larger than {limit // 1024} KiB; stopped reading")
        return Answer(response.status, response.reason,
                      {name.lower(): value for name, value in response.getheaders()}, bytes(body))
    except ssl.SSLError as error:
        if time.monotonic() >= deadline:
            raise DeadlineMissed(missed) from None
        raise TlsFailure(reason(error)) from None
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, TimeoutError) or time.monotonic() >= deadline:
            raise DeadlineMissed(missed) from None
        raise Unreachable(reason(error)) from None
    finally:
        connection.close()


def _arm(sock, deadline: float) -> None:  # noqa: ANN001 - a socket or an SSL socket
    """Before each read: what is left of the deadline becomes the socket's timeout (none left: time out)."""
    import time

    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    sock.settimeout(left)


def _bounded_connect(deadline: float):  # noqa: ANN202
    """``socket.create_connection`` whose socket re-arms its timeout from the deadline before every read."""
    import socket

    class Bounded(socket.socket):
        __slots__ = ()

        def recv_into(self, buffer, nbytes=0, flags=0):  # noqa: ANN001, ANN201
            _arm(self, deadline)
            return super().recv_into(buffer, nbytes, flags)

    def connect(address, timeout, source_address=None):  # noqa: ANN001, ANN202
        sock = socket.create_connection(address, timeout, source_address)
        sock.__class__ = Bounded
        return sock

    return connect


def _bounded_tls(deadline: float):  # noqa: ANN202
    """The SSL socket class whose every read (handshake aside) is bounded by the deadline."""
    import ssl

    class Bounded(ssl.SSLSocket):
        def read(self, len=1024, buffer=None):  # noqa: A002, ANN001, ANN201 - SSLSocket.read's signature
            _arm(self, deadline)
            return super().read(len, buffer)

    return Bounded


def reason(error: BaseException) -> str:
    """One short line for a socket, TLS or HTTP protocol error."""
    verify = getattr(error, "verify_message", None)
    if verify:
        return f"certificate verify failed: {verify}"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    if isinstance(error, OSError) and error.errno and getattr(error, "strerror", None):
        text = f"[Errno {error.errno}] {error.strerror}"
    return " ".join(text.split(" (_ssl.c:")[0].split())[:200]
