"""Personal links (a campaign invitation, a co-author invitation): what the
e-mail carries is `<id>-<code>`, where the code is an HMAC, under the site's
SECRET_KEY, of the row's id and a random secret that the row keeps.

Nothing stored is enough to rebuild a link: the database and whoever reads it
(a curator in the admin, a backup) see the secret, never the code, and the
code cannot be made without the key. The same row always gives the same link,
so a reminder carries the link the invitation did; a new secret revokes every
copy. Keys in SECRET_KEY_FALLBACKS still open links made before a rotation.
Whether a link is still valid (expiry, single use) is the model's rule."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def _code(purpose: str, pk: int, secret: str, key: str) -> str:
    return salted_hmac(f"pops.links.{purpose}", f"{pk}:{secret}", secret=key, algorithm="sha256").hexdigest()[:40]


def link_token(purpose: str, pk: int, secret: str) -> str:
    """The token a personal link carries for the row `pk` with `secret`."""
    return f"{pk}-{_code(purpose, pk, secret, settings.SECRET_KEY)}"


def link_pk(token: str) -> int | None:
    """The row id a token names, before it is checked (None if malformed)."""
    head, _sep, code = (token or "").partition("-")
    if not head.isdigit() or len(code) != 40 or len(head) > 18:
        return None
    return int(head)


def link_matches(purpose: str, token: str, pk: int, secret: str) -> bool:
    """Whether `token` is the link of the row `pk` with `secret`."""
    _head, _sep, code = token.partition("-")
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(code, _code(purpose, pk, secret, key)) for key in keys)
