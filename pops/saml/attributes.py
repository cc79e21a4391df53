"""What the IdP released, read from pysaml2's `ava` (attribute name → list
of values, by friendly name: givenName, sn, mail, eduPersonPrincipalName,
eduPersonScopedAffiliation, ou...). Pure functions: no database."""

from __future__ import annotations

from dataclasses import dataclass


def first(ava: dict, name: str) -> str:
    """The first non-empty value of attribute `name`, stripped, or ""."""
    for value in ava.get(name) or ():
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def principal(session_info: dict) -> str:
    """Who the IdP says signed in, stably: eduPersonPrincipalName (IDEM's
    identifier), or a persistent NameID when the IdP releases no eppn."""
    eppn = first(session_info.get("ava") or {}, "eduPersonPrincipalName")
    if eppn:
        return eppn.lower()
    name_id = session_info.get("name_id")
    if name_id is not None and getattr(name_id, "format", "").endswith(":persistent"):
        return f"{name_id.name_qualifier or ''}!{name_id.text}"
    return ""


def affiliations(ava: dict) -> set[str]:
    """The eduPerson affiliations (faculty, staff, student...), scoped or not,
    without their scope."""
    values = list(ava.get("eduPersonScopedAffiliation") or ()) + list(ava.get("eduPersonAffiliation") or ())
    return {value.split("@", 1)[0].strip().lower() for value in values if isinstance(value, str) and value.strip()}


@dataclass(frozen=True)
class Profile:
    """The researcher's profile as the IdP tells it."""

    principal: str
    email: str
    first_name: str
    last_name: str
    affiliations: frozenset[str]
    department: str


def profile(session_info: dict, *, department_attribute: str) -> Profile:
    ava = session_info.get("ava") or {}
    return Profile(
        principal=principal(session_info),
        email=first(ava, "mail").lower(),
        first_name=first(ava, "givenName"),
        last_name=first(ava, "sn"),
        affiliations=frozenset(affiliations(ava)),
        department=first(ava, department_attribute) if department_attribute else "",
    )
