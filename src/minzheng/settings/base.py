"""Settings shared by every environment. Everything a deployment changes comes from the
environment through the typed readers in env.py."""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from minzheng.settings.env import envbool, envint, envsecret, envstr

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("MINZHENG_DATA_DIR", str(Path.cwd() / "var")))

DEBUG = envbool("DEBUG", True)
SECRET_KEY = envsecret("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = [h for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "minzheng.core",
    "minzheng.registry",
    "minzheng.programs",
    "minzheng.payments",
    "minzheng.matching",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "minzheng.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "minzheng.urls"
WSGI_APPLICATION = "minzheng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "minzheng.core.context_processors.layout",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'minzheng.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the task worker write progress while pages read it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Sessions expire after a working day of inactivity and when the browser closes.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes): 5 failures lock the username+address for 30 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 100 * 1024 * 1024)
# A case document (申请材料): one scanned form or photo.
CASE_DOCUMENT_MAX_BYTES = envint("CASE_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
# Payroll generation (payments.services.payroll): cases per chunk, each chunk one transaction,
# and seconds slept between chunks - a throttle that leaves the database to the clerks when a
# large run is generated during office hours (0: no pause).
PAYROLL_CHUNK_SIZE = envint("MINZHENG_PAYROLL_CHUNK_SIZE", 20000)
PAYROLL_CHUNK_PAUSE = float(envstr("MINZHENG_PAYROLL_CHUNK_PAUSE", "0") or 0)
# The supervision phone printed on the village payroll list (发放名单公示); blank when unset.
PAYROLL_SUPERVISION_PHONE = envstr("MINZHENG_PAYROLL_SUPERVISION_PHONE", "")
# 信息比对: delivered files and validated datasets (Parquet) live here, with each run's work
# files; Spark runs on this master ("local[*]": this machine; a cluster's spark://host:7077).
MATCHING_DIR = Path(envstr("MINZHENG_MATCHING_DIR", str(DATA_DIR / "matching")))
MATCHING_SPARK_MASTER = envstr("MINZHENG_SPARK_MASTER", "local[*]")
# Largest dataset file accepted through the page (the CLI takes any size).
MATCHING_UPLOAD_MAX_BYTES = envint("MINZHENG_MATCHING_UPLOAD_MAX_BYTES", 2 * 1024 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "minzheng.core.api_schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "minzheng.core.api.Pagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "minzheng.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": "10/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "minzheng API",
    "DESCRIPTION": (
        "民政业务平台接口: regions, persons, households, declarations, users; social assistance "
        "cases and their steps, objections, standards, reviews, tip-offs, relative filings; "
        "payroll runs, bank files and fund accounts; cross-department data matching (信息比对): "
        "datasets, rules, runs and the flags they raise."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "minzheng.core.api_schema.add_error_responses",
    ],
    # Two choice sets share the field name `kind`: name their enums after the domain's classes.
    "ENUM_NAME_OVERRIDES": {
        "IncomeKindEnum": "minzheng.registry.models.IncomeKind",
        "AssetKindEnum": "minzheng.registry.models.AssetKind",
    },
    "TAGS": [
        {"name": "auth", "description": "访问令牌"},
        {"name": "regions", "description": "行政区划"},
        {"name": "persons", "description": "居民"},
        {"name": "households", "description": "家庭、成员与经济状况申报"},
        {"name": "users", "description": "用户账号(系统管理员)"},
        {"name": "audit-events", "description": "审计记录(只读)"},
        {"name": "payroll-runs", "description": "发放批次:生成、审核、集体审批、锁定、报送银行"},
        {"name": "payment-lines", "description": "发放明细:失败重发、追回"},
        {"name": "bank-files", "description": "银行批量文件与回盘"},
        {"name": "bank-returns", "description": "银行回盘处理结果"},
        {"name": "bank-templates", "description": "银行文件模板"},
        {"name": "fund-accounts", "description": "资金专户:拨入、支出、余额、对账单"},
        {"name": "dataset-kinds", "description": "比对数据类别及其字段"},
        {"name": "match-datasets", "description": "比对数据:上传、字段对应、校验"},
        {"name": "match-rules", "description": "比对规则及本县设置"},
        {"name": "match-runs", "description": "比对批次"},
        {"name": "match-flags", "description": "比对疑点及核实"},
        {"name": "match-figures", "description": "信息比对统计"},
    ],
}

TASKS = {
    "default": {
        "BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
