"""`manage.py check --deploy` with the environment compose gives the app
(plus a year of HSTS) reports nothing."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_reports_no_warning_with_the_compose_settings(tmp_path):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    wanted = {"POPS_BEHIND_PROXY", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"}
    environment = {
        name: value.split(":-", 1)[1].rstrip("}") if value.startswith("${") else value
        for name, value in compose["x-app-env"].items()
        if name in wanted
    }
    assert environment == {
        "POPS_BEHIND_PROXY": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "POPS_ENV": "production",
            "SECRET_KEY": "a-long-random-production-like-secret-" + "x7Rq2" * 10,
            "ALLOWED_HOSTS": "pops.polito.it",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "SECURE_HSTS_SECONDS": "31536000",
            "STATIC_ROOT": str(tmp_path / "static"),
            "POPS_CACHE_DIR": str(tmp_path / "cache"),
            **environment,
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
