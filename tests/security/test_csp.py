"""The security headers: Content-Security-Policy without 'unsafe-inline'
(django-csp), Permissions-Policy (pops.security), HSTS, nosniff and
Referrer-Policy (Django's SecurityMiddleware); and no template of the portal
holds what that policy refuses."""

import re
from pathlib import Path

import pytest
import yaml

from initiatives.showcase.colours import contrasting_text_color
from pops.settings import _tile_origin

ROOT = Path(__file__).resolve().parents[2]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
def test_a_page_is_sent_the_policy_without_unsafe_inline_and_framed_by_no_one(client):
    response = client.get("/it/accounts/login/")
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    policy = directives(header)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce where no page element asks for one
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_the_redoc_page_gets_a_new_nonce_on_every_request_and_its_script_carries_it(client):
    nonces = []
    for _ in range(2):
        response = client.get("/api/redoc/")
        policy = directives(response.headers["Content-Security-Policy"])
        [nonce] = [v for v in policy["script-src"] if v.startswith("'nonce-")]
        assert nonce in policy["style-src"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        value = nonce.removeprefix("'nonce-").removesuffix("'")
        assert f'nonce="{value}"' in response.content.decode()
        nonces.append(value)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_every_answer_carries_permissions_policy_nosniff_and_referrer_policy(client):
    response = client.get("/robots.txt")
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_https_answers_carry_hsts_once_it_is_set(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/robots.txt", secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_the_map_tiles_origin_is_named_by_the_policy_or_nothing_when_served_by_the_portal():
    assert _tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == ["https://tile.openstreetmap.org"]
    assert _tile_origin("https://{s}.tiles.example.org/{z}/{x}/{y}.png") == ["https://*.tiles.example.org"]
    assert _tile_origin("/static/tiles/{z}/{x}/{y}.png") == []


# What the policy refuses in a template: an inline <script> (a data block such
# as json_script's is not code), a <style> element, a style attribute, an
# inline event handler and a javascript: URL.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>")
REFUSED = {
    "inline script": INLINE_SCRIPT,
    "<style> element": re.compile(r"<style[\s>]"),
    "style attribute": re.compile(r"\sstyle=[\"']"),
    "event handler": re.compile(r"\son[a-z]+=[\"']"),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_of_the_portal_holds_inline_code_or_style():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = re.sub(r"{% comment %}.*?{% endcomment %}", "", template.read_text(), flags=re.DOTALL)
        for what, pattern in REFUSED.items():
            found += [f"{template.relative_to(ROOT)}: {what}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []


def test_the_inline_script_rule_tells_code_from_data():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/a.js"></script>')
    assert not INLINE_SCRIPT.search('<script id="x" type="application/json">{}</script>')


def test_the_sdg_classes_have_the_reference_colours_and_a_text_colour_that_reads_on_them():
    sdgs = yaml.safe_load((ROOT / "fixtures" / "reference" / "impact.yaml").read_text())["sdgs"]
    css = (ROOT / "static" / "css" / "pops.css").read_text()
    for sdg in sdgs:
        rule = re.search(rf"\.pops-sdg-{sdg['number']} \{{([^}}]*)\}}", css)
        assert rule, sdg["number"]
        assert f"background-color: {sdg['color']};" in rule.group(1)
        assert f"color: {contrasting_text_color(sdg['color'])};" in rule.group(1)
