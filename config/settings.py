"""Rampart settings: one module, read from the environment.

Embedded default: SQLite in WAL mode and files under ``var/``. Production: set
``DATABASE_URL``, ``RAMPART_SECRET_KEY``, ``RAMPART_ALLOWED_HOSTS`` and
``RAMPART_DEBUG=0`` (the default).
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RAMPART_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting; a value that is neither (``ture``, ``enabled``) stops the start, never reads as no."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    allowed = ", ".join(sorted(TRUE_WORDS | FALSE_WORDS - {""}))
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value; use one of {allowed}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Secret from the environment, else one generated once into var/."""
    if key := os.environ.get("RAMPART_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("RAMPART_DEBUG", False)
# Under the test runner, static files are served from the source folders (no collectstatic).
TESTING = env_bool("RAMPART_TESTING") or "pytest" in sys.modules
SECRET_KEY = _secret_key()
# Key used to encrypt secrets at rest (TOTP seeds). Defaults to one derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = os.environ.get("RAMPART_FIELD_ENCRYPTION_KEY", "")
ALLOWED_HOSTS = env_list("RAMPART_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("RAMPART_CSRF_TRUSTED_ORIGINS")
# Client IPs are read from X-Forwarded-For only when the direct peer is one of these.
TRUSTED_PROXIES = env_list("RAMPART_TRUSTED_PROXIES")

# Our apps, bottom layer first: the one list every registry (jobs, seeders, roles, the
# audit trail) reads. See docs/architecture.md for which may import which.
RAMPART_APPS = ["core", "jobs", "access", "governance", "reviews", "policies", "backups", "audits"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "auditlog",
    "axes",
    "django_otp",
    *RAMPART_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files stay cacheable): API responses and downloads are no-store, files attachments.
    "core.middleware.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "access.middleware.ClientIPMiddleware",
    "audits.middleware.AuditActorMiddleware",
    "access.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
            ],
            # Django's ``date`` filter, keeping the days it wrote (core/templatetags/dates.py).
            "builtins": ["core.templatetags.dates"],
        },
    }
]

# Plain <select>s drawn in Python, the same markup as Django's templates (core.form_renderer).
FORM_RENDERER = "core.form_renderer.FastSelectRenderer"


def _databases() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        return {"default": db}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("RAMPART_SQLITE_PATH", str(VAR_DIR / "rampart.sqlite3")),
            # Kept open between requests, as PostgreSQL's are: a new SQLite connection reads the whole
            # schema again (over 100 tables) and runs the pragmas below, about 3 ms on every request.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the write lock when it begins,
                # so the audit hash chain never forks between two writers.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "access.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend; granted access that lapsed is taken away as the user is loaded.
    "access.backends.ExpiringGrantsModelBackend",
    # guardian's backend, with object permissions that count only while a role allows them.
    "access.backends.RoleBoundObjectPermissionBackend",
]
# guardian.W001 asks for its own backend by name; ours above is a subclass of it.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "access:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "access:login"

# Roles that must pass a second factor before they reach anything.
MFA_REQUIRED_ROLES = ["Administrator", "IT administrator"]

# --- Lockout (django-axes): by username and IP, with a cool-off ---
AXES_FAILURE_LIMIT = int(os.environ.get("RAMPART_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("RAMPART_LOCKOUT_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_CLIENT_IP_CALLABLE = "access.middleware.client_ip_for_axes"
AXES_LOCKOUT_CALLABLE = "access.views.lockout_response"
AXES_VERBOSE = False

# --- Cache: figures a page keeps until something changes (core.memo), per server process ---
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "rampart",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}

# --- Sessions and cookies ---
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("RAMPART_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("RAMPART_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("RAMPART_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("RAMPART_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if os.environ.get("RAMPART_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Content-Security-Policy: nothing inline, nothing from elsewhere ---
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Static files ---
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("RAMPART_STATIC_ROOT", VAR_DIR / "static"))
# --- Uploads: bounded while streaming (core.uploads), stored privately ---
RAMPART_MAX_UPLOAD_BYTES = int(os.environ.get("RAMPART_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
# Form fields and JSON bodies (not files): Django's default, said out loud.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("RAMPART_MAX_REQUEST_BODY_BYTES", str(2_621_440)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger files go to a private temporary file while they stream in
FILE_UPLOAD_HANDLERS = [
    "core.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
MEDIA_ROOT_DIR = Path(os.environ.get("RAMPART_MEDIA_ROOT", VAR_DIR / "files"))
MEDIA_ROOT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
MEDIA_ROOT_DIR.chmod(0o700)  # only the application's user reads uploaded files

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT_DIR)},
    },
    "evidence": {  # uploaded evidence: never served by the web server, only through a checked download
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(Path(os.environ.get("RAMPART_EVIDENCE_ROOT", VAR_DIR / "evidence"))),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

LANGUAGE_CODE = "en"
# One readable date format in every page ("7 Dec 2026"; config/formats/en/formats.py);
# CSV files and the API write ISO 8601.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = os.environ.get("RAMPART_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.api_auth.HashedTokenAuthentication",
        "access.api_auth.MFASessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api_permissions.DenyAll"],
    "DEFAULT_SCHEMA_CLASS": "core.api.ApiAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.DeferredPageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies are bounded in size and depth (core.api_parsers); the API modules import the same class.
    "DEFAULT_PARSER_CLASSES": [
        "core.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rampart API",
    "DESCRIPTION": "Compliance and security governance workbench.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids from the part after /api/v1/ ("users", "v1_users_list" -> "users_list").
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Choice sets that share a field name ("status") get their own component names.
    "ENUM_NAME_OVERRIDES": {
        "ControlStatusEnum": "governance.models.Control.Status",
        "JobRunStatusEnum": "jobs.models.JobRun.Status",
        "RiskStatusEnum": "governance.models.Risk.Status",
        "ExceptionStatusEnum": "governance.models.ComplianceException.Status",
        "FindingStatusEnum": "governance.models.Finding.Status",
        # Asset criticality and finding severity share one scale (low ... critical).
        "LevelEnum": "governance.models.Finding.Severity",
        "AssetKindEnum": "governance.models.Asset.Kind",
        "PatchSeverityEnum": "policies.models.patching.Severity",
        # Roles: a user's roles (access) and the role asked for (reviews).
        "RoleEnum": "access.models.Role",
    },
}
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365

# --- Audit trail ---
AUDITLOG_LOGENTRY_MODEL = "audits.LogEntry"
# Our chained model replaces auditlog's own; its migrations would still create an
# unused ``auditlog_logentry`` table whose foreign keys block TRUNCATE on PostgreSQL.
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False
# Signing keys (core.signing) and audit-trail checkpoints (audits.checkpoints) live outside the database.
RAMPART_KEY_DIR = Path(os.environ.get("RAMPART_KEY_DIR", VAR_DIR / "keys"))
# Encrypts the private key; production should set its own (default: derived from SECRET_KEY).
RAMPART_SIGNING_KEY_PASSPHRASE = os.environ.get("RAMPART_SIGNING_KEY_PASSPHRASE", "")
RAMPART_CHECKPOINT_FILE = Path(os.environ.get("RAMPART_CHECKPOINT_FILE", VAR_DIR / "audit" / "checkpoints.jsonl"))
RAMPART_CHECKPOINT_STORAGE = os.environ.get("RAMPART_CHECKPOINT_STORAGE", "")  # a STORAGES alias instead of the file
RAMPART_CHECKPOINT_EMAIL = env_bool("RAMPART_CHECKPOINT_EMAIL", False)  # hourly checkpoints mailed to Administrators

# --- Backups (backups app): the default destination, and the private key restore drills read (never the database) ---
RAMPART_BACKUP_DIR = Path(os.environ.get("RAMPART_BACKUP_DIR", VAR_DIR / "backups"))
RAMPART_DRILL_IDENTITY_FILE = os.environ.get("RAMPART_DRILL_IDENTITY_FILE", "")

# --- Object permissions ---
GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None

# --- Scheduler ---
SCHEDULER_LEASE_SECONDS = int(os.environ.get("RAMPART_SCHEDULER_LEASE_SECONDS", "300"))
SCHEDULER_POLL_SECONDS = int(os.environ.get("RAMPART_SCHEDULER_POLL_SECONDS", "15"))
# Uploaded files are parsed in a child process with these limits (jobs.isolation).
RAMPART_TASK_MEMORY_BYTES = int(os.environ.get("RAMPART_TASK_MEMORY_BYTES", str(2 * 1024**3)))
RAMPART_TASK_CPU_SECONDS = int(os.environ.get("RAMPART_TASK_CPU_SECONDS", "300"))
RAMPART_TASK_WALL_SECONDS = int(os.environ.get("RAMPART_TASK_WALL_SECONDS", "600"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RAMPART_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "apscheduler": {"level": "WARNING"}},
}

EMAIL_BACKEND = os.environ.get("RAMPART_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("RAMPART_FROM_EMAIL", "rampart@localhost")
MFA_VERIFY_URL = "/accounts/mfa/verify/"
MFA_ENROL_URL = "/accounts/mfa/enrol/"
