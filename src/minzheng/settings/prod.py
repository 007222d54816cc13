"""Production settings: `minzheng check --deploy` is clean with these and a real SECRET_KEY."""

from django.core.exceptions import ImproperlyConfigured

from minzheng.settings.base import *  # noqa: F403
from minzheng.settings.base import SECRET_KEY
from minzheng.settings.env import envbool, envint

DEVELOPMENT_KEY_PREFIX = "dev-only-insecure-key"
if SECRET_KEY.startswith(DEVELOPMENT_KEY_PREFIX) or len(SECRET_KEY) < 50:
    # base.py falls back to a key published in the source: never serve production with it.
    raise ImproperlyConfigured(
        "生产环境须设置环境变量SECRET_KEY(或SECRET_KEY_FILE)为至少50个字符的随机字符串,"
        "例如:python3 -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )

DEBUG = False
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
