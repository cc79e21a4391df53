# syntax=docker/dockerfile:1
#
# Production image for the POPS portal. The same image runs every role:
#   web     gunicorn pops.wsgi:application   (default CMD)
#   worker  celery -A pops worker
#   beat    celery -A pops beat
#   migrate python manage.py migrate --noinput && python manage.py load_reference_data
# See docker-compose.yml. Configuration comes only from the environment
# (pops/settings.py); nothing secret is baked into the image.

FROM python:3.11-slim

# POPS_ENV=production is a safe runtime default: without SECRET_KEY and
# ALLOWED_HOSTS the container refuses to start instead of silently falling back
# to the insecure development settings.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    POPS_ENV=production

# gettext provides msgfmt for `compilemessages`. No libpq/compiler is needed:
# the lock file pins psycopg-binary, which ships its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user with fixed ids (numeric USER below, so orchestrators that
# check runAsNonRoot can verify it).
RUN groupadd --system --gid 10001 pops \
    && useradd --system --uid 10001 --gid pops --create-home --home-dir /home/pops \
       --shell /usr/sbin/nologin pops

WORKDIR /app

# Dependencies first, so code changes do not invalidate this layer.
# requirements.lock is the full pinned runtime tree (dev tools live in
# requirements-dev.lock and stay out of the image).
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

# Code is owned by root and read-only for the app user; only media/, private/ and the
# beat schedule directory are writable (all three are volumes in compose).
COPY . .

# Build-time steps need production settings to load, which require SECRET_KEY
# and ALLOWED_HOSTS (not REDIS_URL: only the serving processes need it). The
# dummy values are set for these commands only (inline env on this RUN), so they never become runtime defaults of the image.
# With no DATABASE_URL the settings point at a SQLite path, but neither command
# opens the database nor the cache. collectstatic uses WhiteNoise's
# CompressedManifestStaticFilesStorage (production) and writes /app/staticfiles
# (STATIC_ROOT = BASE_DIR / "staticfiles").
# The mkdirs make named volumes mounted there start out owned by the app user
# (Docker copies ownership from the image into an empty named volume).
RUN SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build.invalid \
        python manage.py compilemessages \
    && SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=build.invalid \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/private /app/celerybeat \
    && chown pops:pops /app/media /app/private /app/celerybeat

USER 10001:10001

EXPOSE 8000

# /health/ asks the database, the cache and the broker (503 naming what failed). slim has no curl, so
# use urllib. The Host header is the first ALLOWED_HOSTS entry (leading "." or
# "*" stripped, "localhost" as fallback): a bare 127.0.0.1 would be rejected
# with 400 by Django's host validation whenever ALLOWED_HOSTS is a real domain.
# urlopen raises on any non-2xx status or timeout, which exits non-zero.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request as r; h=os.environ.get('ALLOWED_HOSTS','').split(',')[0].strip().lstrip('*.') or 'localhost'; sys.exit(0 if r.urlopen(r.Request('http://127.0.0.1:8000/health/', headers={'Host': h}), timeout=5).status == 200 else 1)"]

# gthread workers (--threads > 1): 3 processes x 4 threads suits a small VM;
# override with `command:` for bigger hosts. Each thread may hold a persistent
# DB connection (DB_CONN_MAX_AGE), i.e. up to 12 connections per container.
# --timeout 120 leaves room for admin imports/exports (django-import-export).
# --max-requests recycles workers to bound memory growth.
# --worker-tmp-dir /dev/shm avoids heartbeat stalls on overlay filesystems.
# Access and error logs go to stdout/stderr for `docker logs`.
CMD ["gunicorn", "pops.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--workers", "3", \
     "--threads", "4", \
     "--timeout", "120", \
     "--graceful-timeout", "30", \
     "--keep-alive", "5", \
     "--max-requests", "1000", \
     "--max-requests-jitter", "100", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-", \
     "--error-logfile", "-"]
