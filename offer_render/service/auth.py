"""Take the token file and each ``/v1`` request; let through those with a valid bearer token.

With ``--token-file``, every ``/v1`` call must send ``Authorization: Bearer <token>``
(RFC 6750) with one of the file's tokens (one per line; blank lines and lines
starting with ``#`` are skipped, so a new token can be added before the old one is
removed). Tokens are compared in constant time (``hmac.compare_digest``). A missing
or wrong token is answered 401 with ``WWW-Authenticate: Bearer`` and nothing else
happens. Without a token file the check is not installed and every call is let through
(the service then listens on loopback only, unless ``--insecure-no-auth``: see
:mod:`~offer_render.service.server`).
The tokens never reach a log or an error message.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import Request
from fastapi.security import HTTPBearer

from offer_render.errors import InvalidInputError
from offer_render.service.answers import HttpError


def read_tokens(path: Path) -> tuple[bytes, ...]:
    """Return the tokens in ``path``; raise InvalidInputError (on ``token_file``) when it
    cannot be read or holds none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError([("token_file", f"{path}: no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InvalidInputError([("token_file", f"{path}: cannot be read: {reason}")]) from None
    tokens = tuple(line.strip().encode() for line in text.splitlines()
                   if line.strip() and not line.strip().startswith("#"))
    if not tokens:
        raise InvalidInputError([("token_file", f"{path}: holds no token (one per line)")])
    return tokens


class BearerCheck(HTTPBearer):
    """A FastAPI dependency: raise 401 unless the request carries one of ``tokens``.

    Being an ``HTTPBearer``, it also tells ``/openapi.json`` (and the Authorize button
    of ``/docs``) that ``/v1`` calls take a bearer token.
    """

    def __init__(self, tokens: tuple[bytes, ...]) -> None:
        super().__init__(auto_error=False, scheme_name="bearer",
                         description="A token from the service's --token-file.")
        self.tokens = tokens

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        """Check the request's token."""
        given = await super().__call__(request)
        if given is None:
            raise HttpError(401, "missing bearer token: send Authorization: Bearer <token>",
                            {"WWW-Authenticate": "Bearer"}, reason="unauthorized")
        token = given.credentials.encode("utf-8", "surrogateescape")
        if not any(hmac.compare_digest(token, known) for known in self.tokens):
            raise HttpError(401, "wrong bearer token",
                            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                            reason="unauthorized")
