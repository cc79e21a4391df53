"""X-Forwarded-* are trusted only behind the portal's own proxy, and compose
publishes nothing but that proxy; Redis memory is bounded."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import RequestFactory

from pops.security import client_ip

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def forwarded_request():
    return RequestFactory().get(
        "/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )


def test_without_a_proxy_forwarded_headers_are_ignored():
    script = "import django,os;django.setup();from django.conf import settings as s;print(s.SECURE_PROXY_SSL_HEADER)"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "pops.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "None"


def test_a_client_cannot_claim_https_or_another_address_without_the_proxy(settings):
    settings.POPS_BEHIND_PROXY = False
    settings.SECURE_PROXY_SSL_HEADER = None
    request = forwarded_request()
    assert not request.is_secure()
    assert client_ip(request) == "172.18.0.5"


def test_behind_the_proxy_its_headers_tell_the_scheme_and_the_address(settings):
    settings.POPS_BEHIND_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = forwarded_request()
    assert request.is_secure()
    # The entry the proxy wrote, not the one the client made up.
    assert client_ip(request) == "203.0.113.7"


def test_only_the_proxy_publishes_a_port():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"proxy"}
    assert SERVICES["web"].get("expose") == ["8000"]
    assert COMPOSE["x-app-env"]["POPS_BEHIND_PROXY"] == "true"


def test_the_proxy_overwrites_the_forwarded_headers():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_pass http://pops_web;" in conf and "server web:8000;" in conf
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in SERVICES["proxy"]["volumes"]


def test_the_cache_has_bounded_memory_and_the_broker_evicts_nothing():
    cache = SERVICES["redis"]["command"]
    assert cache[cache.index("--maxmemory") + 1] == "${REDIS_MAXMEMORY:-256mb}"
    assert cache[cache.index("--maxmemory-policy") + 1] == "allkeys-lru"
    broker = SERVICES["broker"]["command"]
    assert broker[broker.index("--maxmemory-policy") + 1] == "noeviction"
    assert COMPOSE["x-app-env"]["CELERY_BROKER_URL"] == "redis://broker:6379/0"


@pytest.mark.skipif(
    not shutil.which("docker") or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode,
    reason="no docker compose client here",
)
def test_compose_validates_its_file():
    result = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=ROOT,
        env={"POSTGRES_PASSWORD": "x", "SECRET_KEY": "x", "PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_web_health_check_asks_the_readiness_endpoint_which_the_https_redirect_spares():
    probe = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "127.0.0.1:8000/health/" in probe
    assert "127.0.0.1:8000/health/" in (ROOT / "Dockerfile").read_text()
    # The production branch of the settings (the probe speaks plain http).
    source = (ROOT / "pops" / "settings.py").read_text()
    assigned = next(line for line in source.splitlines() if line.strip().startswith("SECURE_REDIRECT_EXEMPT ="))
    exempt = ast.literal_eval(assigned.split("=", 1)[1].strip())
    assert any(re.match(pattern, "health/") for pattern in exempt)
