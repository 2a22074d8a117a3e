"""Settings, configured from the environment (see README "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor  # type: ignore[import-untyped]

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("KEYPROJECTS_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("KEYPROJECTS_DEBUG", False)
SECRET_KEY = os.environ.get("KEYPROJECTS_SECRET_KEY", "")
if not SECRET_KEY:
    # A known key signs sessions anyone could forge: only development (KEYPROJECTS_DEBUG) and the
    # demo (KEYPROJECTS_DEMO) run without one; anything else refuses to start.
    if not (DEBUG or env_bool("KEYPROJECTS_DEMO", False)):
        raise ImproperlyConfigured("未设置 KEYPROJECTS_SECRET_KEY，拒绝启动（生产环境必须设置密钥；开发时设 KEYPROJECTS_DEBUG=1）/ "
                                   "KEYPROJECTS_SECRET_KEY is not set")
    SECRET_KEY = "insecure-development-key-set-KEYPROJECTS_SECRET_KEY-in-production"
ALLOWED_HOSTS = os.environ.get("KEYPROJECTS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("KEYPROJECTS_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "keyprojects.core.admin_site.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "keyprojects.core",
    "keyprojects.regions",
    "keyprojects.accounts",
    "keyprojects.projects",
    "keyprojects.reporting",
    "keyprojects.ledgers",
    "keyprojects.dispatch",
    "keyprojects.approvals",
    "keyprojects.alerts",
    "keyprojects.assessment",
    "keyprojects.briefings",
    "keyprojects.tasklists",
    "keyprojects.exchange",
    "keyprojects.attraction",
    "keyprojects.funding",
    "keyprojects.indicators",
    "keyprojects.notices",
    "keyprojects.maps",
    "keyprojects.gallery",
    "keyprojects.opendata",
    "keyprojects.api",
]
# The demo data (load_demo) and the benchmarks (generate_synthetic, bench, bench_import) are
# tools for a demo or a scratch database, not for production: installed only when asked
# (make demo, make bench and the tests do).
if env_bool("KEYPROJECTS_DEMO", False):
    INSTALLED_APPS += ["keyprojects.demo", "keyprojects.bench"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "keyprojects.core.logs.RequestLogMiddleware",  # after WhiteNoise: static files are not logged
    "django.contrib.sessions.middleware.SessionMiddleware",
    "keyprojects.core.http.ChineseUnlessChosenMiddleware",
    "keyprojects.core.http.RefuseNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "keyprojects.core.errors.MethodNotAllowedBody",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "keyprojects.core.audit.AuditContextMiddleware",
    "keyprojects.core.sessions.IdleTimeoutMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login's answer into the lockout page
]

ROOT_URLCONF = "keyprojects.urls"
WSGI_APPLICATION = "keyprojects.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "keyprojects.notices.context_processors.unread_notices",
            ],
        },
    },
]
# Figures are remembered a region at a time (``core.cache``): a province's list alone is some 330
# entries, past the 300 at which Django's local-memory cache begins to discard them by default.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "OPTIONS": {"MAX_ENTRIES": 50_000}},
          # A running job's progress (rows done / total), a hint shared by the worker and the web
          # processes of one machine: on SQLite the import holds the write lock, so not a row.
          "jobs": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                   "LOCATION": VAR_DIR / "cache" / "jobs"}}
FORM_RENDERER = "keyprojects.core.forms.FormRenderer"  # selects, inputs, textareas put together in Python (see there)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's default random_page_cost (4) prices an index read as on a spinning disk, so
        # a county's 345 projects were found by reading all 100,000 of the province (54 ms; 4 ms
        # with 1.1, the usual value for SSDs and cached data). "?options=..." in the URL overrides.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c random_page_cost=1.1")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "keyprojects.sqlite3"),
            # IMMEDIATE: a transaction takes the write lock when it begins, so two edits of
            # the same project serialise and the version check in services sees the winner.
            # WAL: readers (a page polling an import's progress) go on while a write transaction runs.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# New passwords (a user's page, the admin): not like the user's name, 10 characters or more with
# letters and digits, not on the list of common (breached) passwords. Django's messages are in Chinese.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "keyprojects.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "keyprojects.accounts.passwords.LettersAndDigitsValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Logins are throttled by django-axes: after AXES_FAILURE_LIMIT wrong passwords for one account,
# or from one address, further attempts are refused (the lockout page) for the cool-off time;
# a city's operator unlocks in the admin (访问尝试) or with `keyprojects axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = ["keyprojects.accounts.backends.LoginThrottle", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("KEYPROJECTS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("KEYPROJECTS_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either: one account from many addresses, many accounts from one
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "keyprojects.accounts.views.locked_out"  # the Chinese lockout page
AXES_CLIENT_IP_CALLABLE = "keyprojects.core.http.client_ip"
# The reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the
# client; empty: the address the request came from (a header anyone can send is never believed).
KEYPROJECTS_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("KEYPROJECTS_TRUSTED_PROXIES", "").split(",")
                               if p.strip()]
# A session ends after this many minutes without a request (core.sessions keeps it alive while used).
SESSION_COOKIE_AGE = int(float(os.environ.get("KEYPROJECTS_SESSION_IDLE_MINUTES", "120")) * 60)
CSRF_FAILURE_VIEW = "keyprojects.core.errors.csrf_failure"  # in Chinese, not Django's English page
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("KEYPROJECTS_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("KEYPROJECTS_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("KEYPROJECTS_MEDIA_ROOT", VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = True
# The map's boundaries (static/vendor/geo, 27 MB in 363 files) are served as they are: compressing
# them at every collectstatic cost more than it saves (a page loads one city's file, 60-180 KB).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "geojson")
WHITENOISE_MIMETYPES = {".geojson": "application/geo+json"}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Served over HTTPS (KEYPROJECTS_HTTPS=1, production): cookies only over HTTPS, plain HTTP
# redirected, HSTS. Behind a proxy that ends TLS, KEYPROJECTS_PROXY_SSL_HEADER=1 believes its
# X-Forwarded-Proto (the proxy must set it and strip a client's). The monitor's /healthz is not redirected.
HTTPS = env_bool("KEYPROJECTS_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("KEYPROJECTS_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("KEYPROJECTS_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KEYPROJECTS_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("KEYPROJECTS_HSTS_PRELOAD", HTTPS)
if env_bool("KEYPROJECTS_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts only from our own static files (the vendored
# Tabler, htmx, ECharts; no inline script or on… handler); styles may be inline (style=""
# attributes in templates, ECharts' tooltips). KEYPROJECTS_MAP_TILES' host is allowed for images.
_TILES_ORIGIN = "/".join(os.environ.get("KEYPROJECTS_MAP_TILES", "").split("/")[:3])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([_TILES_ORIGIN] if _TILES_ORIGIN else [])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *([_TILES_ORIGIN] if _TILES_ORIGIN else [])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if env_bool("KEYPROJECTS_CSP_REPORT_ONLY", False):  # to try a changed policy on a live site first
    CONTENT_SECURITY_POLICY_REPORT_ONLY, CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY, {}

# Logs: one line of key=value pairs per event to standard output (journald keeps them): each
# request (user, method, path, status, ms; core.logs) and each job (name, id, state, ms).
LOG_LEVEL = os.environ.get("KEYPROJECTS_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"kv": {"()": "keyprojects.core.logs.KeyValueFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own request log would repeat ours (a 4xx/5xx line) in its unstructured form.
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# The REST API (/api/): session for the browser, token for machines; errors as JSON with a code.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "keyprojects.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "keyprojects.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "keyprojects.api.schema.AutoSchema",  # errors documented, PATCH needs version
    "EXCEPTION_HANDLER": "keyprojects.api.errors.handle",
    # JSON only, with a depth limit (a body nested 5,000 deep was a 500): a generated client sent
    # multipart when forms were declared too. A real file upload sets MultiPartParser on its action.
    "DEFAULT_PARSER_CLASSES": ["keyprojects.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
    # Requests per client (an address when anonymous, the user otherwise), kept in the default cache.
    "DEFAULT_THROTTLE_CLASSES": ["keyprojects.api.throttling.AnonThrottle", "keyprojects.api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("KEYPROJECTS_API_ANON_RATE", "60/minute"),
                               "user": os.environ.get("KEYPROJECTS_API_USER_RATE", "1200/minute")},
}
KEYPROJECTS_API_DOCS_PUBLIC = env_bool("KEYPROJECTS_API_DOCS_PUBLIC", False)  # /api/schema/ and /api/docs/ without login
SPECTACULAR_SETTINGS = {
    "TITLE": "keyprojects API",
    "DESCRIPTION": "重点项目管理平台接口：区划、单位、项目与年度计划、填报期、月报（报送/审核/退回）、指标、"
                   "调度会与问题台账（交办/答复/销号/退回/提级）、前期手续（倒排、办结、部门确认、免办）、"
                   "简报、考核排名、任务清单（进展报送）。"
                   "金额均为万元，以十进制字符串表示。认证：浏览器会话，或请求头 `Authorization: Token <key>`。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs for signed-in users (a session or a token) unless the operator opens them.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny" if KEYPROJECTS_API_DOCS_PUBLIC
                          else "rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",  # vendored Swagger UI: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "keyprojects.api.schema.postprocess"],
    "ENUM_NAME_OVERRIDES": {
        "RegionLevelEnum": "keyprojects.regions.models.Region.Level",
        "ProjectLevelEnum": "keyprojects.projects.models.Project.Level",
        "StageEnum": "keyprojects.projects.models.Stage",
        "KindEnum": "keyprojects.accounts.models.Unit.Kind",  # (its name before other models had a kind)
        "MeetingKindEnum": "keyprojects.dispatch.models.MeetingKind",
        "MeetingAttachmentKindEnum": "keyprojects.dispatch.models.MeetingAttachment.Kind",
        "ProblemEventKindEnum": "keyprojects.dispatch.models.ProblemEvent.Kind",
        "ProblemStateEnum": "keyprojects.dispatch.models.Problem.State",
        "StateEnum": "keyprojects.reporting.models.ReportingPeriod.State",
        "AttractionEventKindEnum": "keyprojects.attraction.models.Event.Kind",
        "FundingRoundKindEnum": "keyprojects.funding.models.Round.Kind",
        "TaskStateEnum": "keyprojects.tasklists.models.Task.State",
    },
}

# Background jobs: django-tasks, queued in the database and run by `keyprojects worker`
# (docs/operations.md); the schedule is keyprojects/core/schedule.py.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A job running this long on a worker of another machine is taken for dead (on this machine the
# worker's process is asked); finished jobs are deleted after the days.
KEYPROJECTS_JOB_DEAD_AFTER = timedelta(hours=float(os.environ.get("KEYPROJECTS_JOB_DEAD_AFTER_HOURS", "2")))
KEYPROJECTS_JOB_KEEP_DAYS = int(os.environ.get("KEYPROJECTS_JOB_KEEP_DAYS", "14"))
# /healthz (core.health): the worker is taken for stopped when no job has ended for this many
# minutes (it runs one every 10); the media disk needs this much free; these addresses or
# networks (the monitor) see why a check failed, as staff do.
KEYPROJECTS_HEALTH_WORKER_MINUTES = float(os.environ.get("KEYPROJECTS_HEALTH_WORKER_MINUTES", "15"))
KEYPROJECTS_HEALTH_MIN_FREE_MB = int(os.environ.get("KEYPROJECTS_HEALTH_MIN_FREE_MB", "1024"))
KEYPROJECTS_HEALTH_ALLOWED = [p.strip() for p in os.environ.get("KEYPROJECTS_HEALTH_ALLOWED", "").split(",") if p.strip()]
# An uploaded ledger is deleted when its job ends; one left behind (a preview never confirmed, an
# import whose worker was killed and never retried) is deleted by the schedule after these hours.
KEYPROJECTS_UPLOAD_KEEP_HOURS = float(os.environ.get("KEYPROJECTS_UPLOAD_KEEP_HOURS", "24"))
# Open data (docs/oc4ids.md): the OC4IDS endpoint is "public" or "token" (an API token whose user
# may view the region); the project id prefix is the one the city registered with the Open
# Contracting Partnership (the default is a placeholder, not registered); publisher and licence.
KEYPROJECTS_OC4IDS_ACCESS = os.environ.get("KEYPROJECTS_OC4IDS_ACCESS", "token")
KEYPROJECTS_OC4IDS_PREFIX = os.environ.get("KEYPROJECTS_OC4IDS_PREFIX", "oc4ids-kp0000")
KEYPROJECTS_OC4IDS_PUBLISHER = os.environ.get("KEYPROJECTS_OC4IDS_PUBLISHER", "")
KEYPROJECTS_OC4IDS_LICENSE = os.environ.get("KEYPROJECTS_OC4IDS_LICENSE", "")

# E-mail (the daily digest, units' shared mailboxes): SMTP when KEYPROJECTS_EMAIL_HOST is set,
# else each message is written to the console of the process that sends it (development).
EMAIL_HOST = os.environ.get("KEYPROJECTS_EMAIL_HOST", "")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = int(os.environ.get("KEYPROJECTS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KEYPROJECTS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KEYPROJECTS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("KEYPROJECTS_EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("KEYPROJECTS_EMAIL_USE_SSL", False)  # implicit TLS, usually port 465
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("KEYPROJECTS_EMAIL_FROM", "keyprojects@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Notifications: the site's address for links in e-mails and group-robot messages (e.g.
# https://xm.example.gov.cn; empty: links are paths); a delivery is given up after this many
# attempts; a robot that has not answered after this many seconds has failed (tried again later).
KEYPROJECTS_SITE_URL = os.environ.get("KEYPROJECTS_SITE_URL", "")
# The map's optional tile layer (一张图): an XYZ tile URL on the city's intranet, e.g. a 天地图
# service ("https://tiles.example.gov.cn/{z}/{x}/{y}.png"); empty: county outlines alone.
KEYPROJECTS_MAP_TILES = os.environ.get("KEYPROJECTS_MAP_TILES", "")
KEYPROJECTS_NOTICE_ATTEMPTS = int(os.environ.get("KEYPROJECTS_NOTICE_ATTEMPTS", "6"))
KEYPROJECTS_NOTICE_TIMEOUT = float(os.environ.get("KEYPROJECTS_NOTICE_TIMEOUT", "10"))

# Project-wide product settings.
# A month's completion above this many times last month's is flagged on the report.
KEYPROJECTS_REPORT_JUMP_FACTOR = float(os.environ.get("KEYPROJECTS_REPORT_JUMP_FACTOR", "3"))
PRODUCT_NAME = _("重点项目管理平台")
