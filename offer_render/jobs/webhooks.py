"""Take a job record and its callback URL; check the URL, sign the record and deliver it.

- **Checked at once** (:func:`check_callback`, when the job is posted): http or https
  only, and the address policy the engine's fetches follow (README, "Bad and hostile
  input"): a host whose every address is loopback, private, link-local, carrier-grade
  NAT, multicast, reserved or cloud metadata is refused (HTTP 422) unless it is in
  ``--allow-host``. Nothing is sent to it. A name that does not resolve yet is let
  through: the delivery checks again.
- **Checked again at delivery** (:func:`deliver`): the POST goes through the engine's
  guarded adapter (:class:`~offer_render.resources.fetch.guard.GuardedAdapter`), which
  resolves the host itself and connects only to an allowed address, so a DNS answer
  that changed since (DNS rebinding) cannot turn it inward; redirects are not
  followed, proxies and ``.netrc`` are ignored, and one deadline covers the delivery.
- **Signed**: ``X-Offer-Render-Signature: sha256=<hex>``, the HMAC-SHA256 (RFC 2104)
  of the exact body bytes with the secret of ``--webhook-secret-file``; a receiver
  computes the same over the bytes it got and compares in constant time. The body is
  the job record as ``GET /v1/jobs/{id}`` answers it; ``X-Offer-Render-Job`` names the
  job and ``X-Offer-Render-Delivery`` counts the attempt (1, 2, ...), so a receiver can
  tell a retry from a new event.

A 2xx answer is a delivery; anything else, a timeout or a refused connection is a
failure the runner retries with backoff (:mod:`offer_render.jobs.backoff`), except a
refusal by the network policy, which no retry can change.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from offer_render.errors import InvalidInputError, ResourceError
from offer_render.resources.fetch.guard import GuardedAdapter, Refused, address_refusal
from offer_render.resources.fetch.guard import allowed_hosts as normalise_hosts
from offer_render.resources.fetch.watchdog import fetch_deadline
from offer_render.version import __version__

FIELD = "callback_url"
SIGNATURE_HEADER = "X-Offer-Render-Signature"
TIMEOUT = 10.0
"""Seconds one delivery may take, connecting included. Default: 10 (a receiver should
answer at once and do its work after)."""


def sign(secret: bytes, body: bytes) -> str:
    """Return the signature header's value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def read_secret(path: Path) -> bytes:
    """Return the secret in ``path`` (surrounding whitespace dropped); raise
    InvalidInputError (on ``webhook_secret_file``) when it cannot be read or is empty."""
    try:
        secret = path.read_bytes().strip()
    except FileNotFoundError:
        raise InvalidInputError([("webhook_secret_file", f"{path}: no such file")]) from None
    except OSError as exc:
        raise InvalidInputError([("webhook_secret_file",
                                  f"{path}: cannot be read: {exc.strerror}")]) from None
    if not secret:
        raise InvalidInputError([("webhook_secret_file", f"{path}: is empty")])
    return secret


def check_callback(url: str, allow_hosts: Iterable[str]) -> None:
    """Raise ResourceError (``refused``, on ``callback_url``) unless ``url`` may be called back."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise ResourceError(url, f"invalid URL: {exc}", field=FIELD, refused=True) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ResourceError(url, f"the {parts.scheme or 'missing'}: scheme is not allowed "
                                 "(only http, https)", field=FIELD, refused=True)
    if not host:
        raise ResourceError(url, "the URL names no host", field=FIELD, refused=True)
    allow = normalise_hosts(allow_hosts)
    if host.lower() in allow:
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return  # not resolvable now: the delivery checks when it connects
        addresses = [ipaddress.ip_address(str(i[4][0]).split("%", 1)[0]) for i in infos]
    refused = []
    for ip in addresses:
        why = address_refusal(ip) if str(ip) not in allow else None
        if why is None:
            return  # the guard connects to an allowed address when there is one
        refused.append(f"{ip} ({why})")
    raise ResourceError(url, f"address {', '.join(refused)} of host {host} is not allowed by "
                             "the network policy", field=FIELD, refused=True)


@dataclass(frozen=True)
class Delivery:
    """What one delivery came to: ``ok``, and when not, why and whether to try again."""

    ok: bool
    detail: str
    retry: bool = True


def deliver(url: str, body: bytes, *, secret: bytes, job_id: str, attempt: int,
            allow_hosts: Iterable[str], timeout: float = TIMEOUT) -> Delivery:
    """POST ``body`` to ``url``, signed; return what came of it (never raises for the
    receiver's faults)."""
    session = requests.Session()
    session.trust_env = False  # no proxy (it would be the address connected to), no .netrc
    adapter = GuardedAdapter(normalise_hosts(allow_hosts))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    headers = {"Content-Type": "application/json", "User-Agent": f"offer-render/{__version__}",
               SIGNATURE_HEADER: sign(secret, body), "X-Offer-Render-Job": job_id,
               "X-Offer-Render-Delivery": str(attempt)}
    try:
        with fetch_deadline(url, timeout):
            answer = session.post(url, data=body, headers=headers, timeout=timeout,
                                  allow_redirects=False)
            answer.close()
    except Refused as exc:
        return Delivery(False, exc.reason, retry=not exc.policy)
    except requests.RequestException as exc:
        return Delivery(False, _one_line(exc))
    except ResourceError as exc:
        return Delivery(False, exc.reason)
    finally:
        session.close()
    if 200 <= answer.status_code < 300:
        return Delivery(True, f"HTTP {answer.status_code}")
    return Delivery(False, f"HTTP {answer.status_code} {answer.reason}".strip())


def _one_line(exc: requests.RequestException) -> str:
    """Return what went wrong in one short line: a timeout, or the connection's own error."""
    if isinstance(exc, requests.Timeout):
        return f"no answer within {TIMEOUT:g} s"
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, OSError) and cause.strerror:
        return f"cannot connect: {cause.strerror}"
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]
