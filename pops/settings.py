"""Settings for the POPS portal, read from the environment (12-factor).

With no variables set the portal runs on a SQLite file in the project folder,
with Celery tasks run eagerly in-process and an in-memory cache, so that a fresh
checkout works with one command. Production sets POPS_ENV=production together
with SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL) and REDIS_URL.

Every variable is parsed by `environs`, which fails at start-up with a message
naming the variable when a value is malformed.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from environs import Env, validate

from pops.orcid.config import orcid_settings
from pops.saml.config import saml_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()

POPS_ENV = env.str("POPS_ENV", "development")
if POPS_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"POPS_ENV must be 'development' or 'production', not {POPS_ENV!r}.")
PRODUCTION = POPS_ENV == "production"

DEBUG = env.bool("DEBUG", False)

if PRODUCTION:
    # No defaults: a production server must be told its secret and its hosts.
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    if not SECRET_KEY or not ALLOWED_HOSTS:
        raise ImproperlyConfigured("SECRET_KEY and ALLOWED_HOSTS must not be empty.")
else:
    SECRET_KEY = env.str("SECRET_KEY", "django-insecure-pops-development-only")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # modeltranslation must come before django.contrib.admin.
    "modeltranslation",
    # django.contrib.admin, whose site asks staff for a second factor (pops/admin_site.py).
    "pops.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "actionplan",
    "initiatives",
    "stakeholders",
    "impact",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy and Permissions-Policy on every page (README "Security").
    "csp.middleware.CSPMiddleware",
    "pops.security.PermissionsPolicyMiddleware",
    # Before anything reads a parameter (pops/security.py).
    "pops.security.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether the session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "pops.security.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "pops.security.RateLimitMiddleware",
    # Logs the 403 and 429 answers (pops/audit.py); outside axes's, to see its lockouts.
    "pops.audit.SecurityEventsMiddleware",
    # Last, as django-axes asks: turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pops.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "pops.wsgi.application"


# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
#
# SQLite lets one connection write at a time. In WAL mode readers never wait
# for the writer (nor it for them), and the busy timeout makes another write
# (a login, a curator's save) wait up to that many seconds for the lock instead
# of failing at once with "database is locked"; IMMEDIATE transactions take the
# lock when they begin, so that a transaction that has read never fails to
# upgrade to a write. synchronous=NORMAL is safe in WAL mode (a power cut may
# lose the last commits, never corrupt the file). An in-memory database (the
# test suite's) ignores the journal mode.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
}


def _database_from_url(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(f"DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:/// or postgres://.")
    try:
        config = dj_database_url.parse(url, conn_max_age=env.int("DB_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    else:
        config["CONN_HEALTH_CHECKS"] = True
        # No JIT compilation: the portal's queries are short, and compiling
        # them cost more than it saved (the 50,000-row ANVUR export took 12%
        # longer with it). Options given in the URL come after, and win.
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(filter(None, ["-c jit=off", options.get("options")]))
    return config


DATABASES = {"default": _database_from_url(env.str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A website typed without a scheme ("www.example.org") becomes https://, as in Django 6.
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Italian first, English complete.
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True
# Date formats of our own where Django's locale ones do not suit (pops/formats/).
FORMAT_MODULE_PATH = ["pops.formats"]

# Translated content fields (django-modeltranslation): Italian is required,
# English falls back to Italian where a researcher left it empty.
MODELTRANSLATION_DEFAULT_LANGUAGE = "it"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("it",)

# Static and media files. WhiteNoise serves static files in every environment.
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", BASE_DIR / "media")
# Files only their owners may download (import files: names, e-mails): never
# under MEDIA_ROOT, never served; see pops/storage.py.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", BASE_DIR / "private")
if Path(PRIVATE_MEDIA_ROOT).resolve().is_relative_to(Path(MEDIA_ROOT).resolve()):
    raise ImproperlyConfigured("PRIVATE_MEDIA_ROOT must not be inside MEDIA_ROOT, which is served publicly.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "pops.storage.PrivateFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve straight from the app and project folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Redis: Celery broker and cache when REDIS_URL is set (required in
# production); otherwise eager tasks, a per-process memory cache, and a
# file-based cache for what processes must share.
REDIS_URL = env.str("REDIS_URL", "")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured(f"REDIS_URL: unsupported scheme in {REDIS_URL!r}; use redis://host:port/db.")

# Production processes that serve or work refuse to start without it
# (pops/checks.py); build steps such as collectstatic do not need it.
if REDIS_URL:
    _redis = {
        # Django's Redis cache, degrading to no cache when Redis is down.
        "BACKEND": "pops.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pops",
        # An unreachable Redis costs a request at most this long.
        "OPTIONS": {
            "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", 0.5),
            "socket_timeout": env.float("REDIS_TIMEOUT", 0.5),
        },
    }
    CACHES = {"default": _redis, "versions": _redis}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # What every process must agree on (the showcase's version token): in
        # a folder they all read, not in one process's memory.
        "versions": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.path("POPS_CACHE_DIR", BASE_DIR / "cache"),
        },
    }

# A Redis of its own for the broker (CELERY_BROKER_URL) keeps queued tasks
# out of the cache's eviction (compose: `broker`, which evicts nothing, beside
# `redis`, which drops the least recently used keys); REDIS_URL otherwise.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", "") or REDIS_URL or "memory://"
if urlsplit(CELERY_BROKER_URL).scheme not in ("redis", "rediss", "unix", "memory"):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL: unsupported scheme in {CELERY_BROKER_URL!r}; use redis://host:port/db."
    )
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 10 * 60)
# A task is acknowledged when it ends, so a worker stopped (or lost with
# its machine) before then leaves it to the next one. A task whose pool process
# was killed (SIGKILL, out of memory) is acknowledged as failed instead of run
# again: an import that killed one worker would kill the next, so its job is
# failed with the reason (initiatives.tasks) and staff upload again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Tasks outside the apps' tasks.py modules.
CELERY_IMPORTS = ["pops.auth"]
# An e-mail still in the outbox this long after it was queued (its task was
# lost: the broker was down) is sent by the beat task flush_outbox. Sending is
# idempotent (a row lock, then its status), so a late task never sends twice.
OUTBOX_RESEND_AFTER_SECONDS = env.int("OUTBOX_RESEND_AFTER_SECONDS", 60, validate=validate.Range(min=0))
CELERY_BEAT_SCHEDULE = {
    # The outbox guarantees delivery: anything not sent (Redis down, SMTP
    # error) is picked up again here.
    "flush-email-outbox": {
        "task": "initiatives.services.notifications.flush_outbox",
        "schedule": env.int("OUTBOX_FLUSH_SECONDS", 300),
    },
    "census-campaign-reminders": {
        "task": "initiatives.tasks.send_campaign_reminders",
        "schedule": 24 * 3600,
    },
    # Stored files of import jobs: see POPS_IMPORT_FILE_RETENTION_DAYS.
    "purge-import-files": {
        "task": "initiatives.tasks.purge_import_files",
        "schedule": 24 * 3600,
    },
    # Visitors' messages past POPS_CONTACT_RETENTION_DAYS.
    "purge-contact-messages": {
        "task": "initiatives.tasks.purge_contact_messages",
        "schedule": 24 * 3600,
    },
    # Import jobs whose worker died or was killed: see POPS_IMPORT_JOB_TIME_LIMIT.
    "close-overdue-import-jobs": {
        "task": "initiatives.tasks.close_overdue_import_jobs",
        "schedule": 5 * 60,
    },
}

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env.str("EMAIL_HOST", "")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "PoliTO per il Sociale <pops@polito.it>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where notifications for POPS staff go (new submissions, imports).
POPS_STAFF_EMAILS = env.list("POPS_STAFF_EMAILS", ["pops@polito.it"])
SITE_URL = env.str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Personal data (gender, role) is only shown in aggregates of at least this size.
POPS_MIN_GROUP_SIZE = env.int("POPS_MIN_GROUP_SIZE", 5)
# Personal links: a campaign's opens until it closes and this many days more;
# a co-author invitation's, and a lead contact nomination's, for this many
# days after it is sent.
POPS_CAMPAIGN_LINK_GRACE_DAYS = env.int("POPS_CAMPAIGN_LINK_GRACE_DAYS", 30, validate=validate.Range(min=0))
POPS_COAUTHOR_INVITATION_DAYS = env.int("POPS_COAUTHOR_INVITATION_DAYS", 30, validate=validate.Range(min=1))
POPS_LEAD_NOMINATION_DAYS = env.int("POPS_LEAD_NOMINATION_DAYS", 14, validate=validate.Range(min=1))

# Map tiles of the public showcase: the only remote resource its pages load.
POPS_MAP_TILE_URL = env.str("POPS_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
POPS_MAP_TILE_ATTRIBUTION = env.str(
    "POPS_MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)


def _tile_origin(url: str) -> list[str]:
    """The origin the map's tiles come from, as CSP's img-src names it: none
    when they are served by the portal itself (a path), `*.` for Leaflet's
    `{s}` subdomains."""
    parts = urlsplit(url)
    if not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"]


# Content-Security-Policy (django-csp): every script and style sheet is a file
# of the portal's own; no inline code, no inline style attribute. A page that
# cannot do without an inline element (the API's Redoc, whose components write
# <style> elements) gives it the request's nonce. README "Security".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:", *_tile_origin(POPS_MAP_TILE_URL)],
        # data: for the one font Bootstrap Italia's CSS embeds (video.js's icons).
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy (pops.security.PermissionsPolicyMiddleware): the portal
# asks the browser for none of these, and neither may anything it embeds.
POPS_PERMISSIONS_POLICY = dict.fromkeys(
    (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ),
    (),
)

AUTHENTICATION_BACKENDS = [
    # First: refuses any attempt for a locked-out username or address.
    "axes.backends.AxesStandaloneBackend",
    # E-mail or username, with the same work whether or not the account exists.
    "pops.auth.EmailBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "census:dashboard"
LOGOUT_REDIRECT_URL = "home"
# Password-reset links stay valid for three days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# Brute-force protection (django-axes, failures stored in the database): after
# POPS_LOGIN_FAILURE_LIMIT failed logins for one username, or from one address,
# every further attempt is refused (429), the right password included, until
# staff delete the lock in the admin ("Access attempts") or the cool-off ends.
AXES_FAILURE_LIMIT = env.int("POPS_LOGIN_FAILURE_LIMIT", 5, validate=validate.Range(min=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("POPS_LOGIN_COOLOFF_MINUTES", 30, validate=validate.Range(min=1)))
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Registered read-only in pops/admin.py; staff unlock by deleting an attempt.
AXES_ENABLE_ADMIN = False
AXES_USERNAME_CALLABLE = "pops.security.login_username"
AXES_CLIENT_IP_CALLABLE = "pops.security.client_ip"
AXES_LOCKOUT_CALLABLE = "pops.security.lockout_response"
# A SAML response (names, e-mail addresses), or ORCID's one-time code, is
# never stored with an attempt.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "SAMLResponse", "RelayState", "code", "state"]

# SAML single sign-on (pops/saml/), off unless POPS_SAML_IDP_METADATA_FILE or
# POPS_SAML_IDP_METADATA_URL is set; local accounts keep working beside it.
# djangosaml2's own session (its cookie, SameSite=None, so that the IdP's
# cross-site POST carries it) only holds the requests waiting for an answer.
POPS_SAML_ENABLED = False
POPS_SAML_IDP_ENTITY_ID = ""
POPS_SAML_DEPARTMENT_ATTRIBUTE = ""
globals().update(saml_settings(env, site_url=SITE_URL, staff_emails=POPS_STAFF_EMAILS))
if POPS_SAML_ENABLED:
    from pops.saml import config as _saml

    INSTALLED_APPS.append("djangosaml2")
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, _saml.SESSION_MIDDLEWARE
    )
    AUTHENTICATION_BACKENDS.append(_saml.BACKEND)

# ORCID sign-in (pops/orcid/), off unless POPS_ORCID_CLIENT_ID and
# POPS_ORCID_CLIENT_SECRET are set: researchers link their ORCID iD from their
# dashboard once signed in, and then may sign in with it. ORCID never creates
# an account. POPS_ORCID_TIMEOUT: seconds a call to ORCID's token endpoint waits.
POPS_ORCID_ENABLED = False
POPS_ORCID_CLIENT_ID = ""
POPS_ORCID_CLIENT_SECRET = ""
POPS_ORCID_BASE_URL = ""
POPS_ORCID_REDIRECT_URI = ""
POPS_ORCID_TIMEOUT = 10
globals().update(orcid_settings(env, site_url=SITE_URL))
if POPS_ORCID_ENABLED:
    from pops.orcid import config as _orcid

    AUTHENTICATION_BACKENDS.append(_orcid.BACKEND)

# The second factor of staff accounts (pops/otp.py): a TOTP authenticator and
# single-use recovery codes, asked after the password before any admin page.
# On unless POPS_STAFF_OTP=false; the demo staff accounts (seed_demo) have an
# authenticator whose secret `make run` prints.
POPS_STAFF_OTP = env.bool("POPS_STAFF_OTP", True)
OTP_TOTP_ISSUER = "POPS"
# After each wrong code a device waits twice as long as after the previous
# one (1 s, 2 s, 4 s...), whatever the session: django-otp's default.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Staff list and delete devices in the admin (a lost phone); never read a secret there.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Rate limits per client address (django-ratelimit's "count/period", counted in
# the default cache; see pops/security.py LIMITS), each answered with 429 and
# Retry-After. While the cache is unreachable nothing is limited but logins
# (whose lockouts are in the database).
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", True)
RATELIMIT_FAIL_OPEN = True
POPS_RATE_LOGIN = env.str("POPS_RATE_LOGIN", "20/m")
POPS_RATE_PASSWORD_RESET = env.str("POPS_RATE_PASSWORD_RESET", "10/h")
# Reset e-mails to one address, however many addresses ask.
POPS_RATE_PASSWORD_RESET_EMAIL = env.str("POPS_RATE_PASSWORD_RESET_EMAIL", "3/h")
POPS_RATE_SUGGESTIONS = env.str("POPS_RATE_SUGGESTIONS", "120/m")
POPS_RATE_INVITATIONS = env.str("POPS_RATE_INVITATIONS", "20/h")
POPS_RATE_API = env.str("POPS_RATE_API", "600/m")
POPS_RATE_OTP = env.str("POPS_RATE_OTP", "10/m")
# The showcase's contact form (initiatives/services/contact.py): messages sent
# per client address, and per sender's e-mail address whatever the client.
POPS_RATE_CONTACT = env.str("POPS_RATE_CONTACT", "5/h")
POPS_RATE_CONTACT_EMAIL = env.str("POPS_RATE_CONTACT_EMAIL", "10/d")
# Days a visitor's relayed message (and its e-mail) is kept for abuse handling
# before the daily purge deletes it (at least 1).
POPS_CONTACT_RETENTION_DAYS = env.int("POPS_CONTACT_RETENTION_DAYS", 180, validate=validate.Range(min=1))

# Sessions: a new key at login (django.contrib.auth), a cookie that ends with
# the browser, and an end after POPS_SESSION_IDLE_SECONDS without a request or
# POPS_SESSION_MAX_SECONDS after login (pops.security.SessionLifetimeMiddleware).
# Logging out, changing the password and disabling the account end it too.
POPS_SESSION_IDLE_SECONDS = env.int("POPS_SESSION_IDLE_SECONDS", 60 * 60, validate=validate.Range(min=60))
POPS_SESSION_MAX_SECONDS = env.int("POPS_SESSION_MAX_SECONDS", 12 * 3600, validate=validate.Range(min=60))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The stored session outlives neither bound.
SESSION_COOKIE_AGE = POPS_SESSION_MAX_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Behind the portal's reverse proxy (docker-compose.yml's `proxy`), and only
# then, X-Forwarded-Proto says whether the visitor used HTTPS and the last
# X-Forwarded-For entry is the visitor's address. Without a proxy that sets
# them, a client could forge both.
POPS_BEHIND_PROXY = env.bool("POPS_BEHIND_PROXY", False)
if POPS_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", True)
    # HSTS is off until SECURE_HSTS_SECONDS says how long (a year, 31536000,
    # once HTTPS is known to work); the two flags apply only then.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
    # Plain-http requests are redirected to https; only behind the proxy can
    # the app tell them apart. The container's health probe speaks plain http.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", POPS_BEHIND_PROXY)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health/$"]
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "pops.audit.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    # Security events as JSON lines, user ids only (pops/audit.py).
    "loggers": {
        "pops.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        # Their warnings print the released attributes (names, e-mails);
        # refusals are security events (pops/audit.py) instead.
        "djangosaml2": {"level": "ERROR"},
        "saml2": {"level": "ERROR"},
        # pysaml2 loads the SAML schemas again on every request, and it says so.
        "xmlschema": {"level": "WARNING"},
    },
}

# Data in and out (impact app): imports, exports, open data and the API.
# Every import is all-or-nothing: one bad row rolls the whole file back.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Cover images larger than this are refused (pops/uploads.py).
POPS_COVER_MAX_BYTES = env.int("POPS_COVER_MAX_BYTES", 5 * 1024 * 1024, validate=validate.Range(min=1))
# Uploaded import files larger than this are refused before they are read.
POPS_IMPORT_MAX_BYTES = env.int("POPS_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# Files with more rows than this are imported by a Celery task.
POPS_IMPORT_ASYNC_ROWS = env.int("POPS_IMPORT_ASYNC_ROWS", 2000)
# What an import file may make the portal read (initiatives/exchange/files.py):
# an XLSX workbook's declared size once unpacked, and, in any file, the rows of
# a sheet, the columns of a row and the characters of a cell (Excel's own limit).
POPS_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int(
    "POPS_IMPORT_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024, validate=validate.Range(min=1)
)
POPS_IMPORT_MAX_ROWS = env.int("POPS_IMPORT_MAX_ROWS", 100_000, validate=validate.Range(min=1))
POPS_IMPORT_MAX_COLUMNS = env.int("POPS_IMPORT_MAX_COLUMNS", 200, validate=validate.Range(min=1))
POPS_IMPORT_MAX_CELL_CHARS = env.int("POPS_IMPORT_MAX_CELL_CHARS", 32_767, validate=validate.Range(min=1))
# Seconds an import job may run: then it stops and fails (nothing written); a
# job whose process died is closed as failed by a beat task soon after.
POPS_IMPORT_JOB_TIME_LIMIT = env.int("POPS_IMPORT_JOB_TIME_LIMIT", 15 * 60, validate=validate.Range(min=1))
# The stored file of a background import is deleted when the import succeeds,
# and this many days (at least 1) after it fails (staff may download it from the
# job page); a job that has not finished in that time is closed as failed.
POPS_IMPORT_FILE_RETENTION_DAYS = env.int("POPS_IMPORT_FILE_RETENTION_DAYS", 7, validate=validate.Range(min=1))
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "initiatives.api.schema.PublicAutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    # Per client address, at POPS_RATE_API (pops.security.ApiThrottle).
    "DEFAULT_THROTTLE_CLASSES": ["pops.security.ApiThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PoliTO per il Sociale — open data API",
    "DESCRIPTION": "Read-only access to the published social-impact initiatives. Licence: CC BY 4.0.",
    "VERSION": "1.0.0",
    "LICENSE": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "initiatives.api.schema.no_nul_in_parameters",
    ],
}
