"""Configuration read from the environment (microblog style)."""

import os
import secrets
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# An installed wheel carries templates/, static/ and migrations/ inside the package
# (setup.py copies them at build time); a checkout keeps them at the repository's top.
INSTALLED = (PACKAGE / "templates").is_dir()
ROOT = PACKAGE if INSTALLED else PACKAGE.parent
TEMPLATE_FOLDER = ROOT / "templates"
STATIC_FOLDER = ROOT / "static"
MIGRATIONS_FOLDER = ROOT / "migrations"
TRANSLATIONS_FOLDER = PACKAGE / "translations"


def default_instance_path() -> Path:
    """`instance/` in a checkout; installed, Flask's convention `<prefix>/var/lms-instance`."""
    if INSTALLED:
        return Path(sys.prefix) / "var" / "lms-instance"
    return ROOT / "instance"


def instance_path() -> Path:
    return Path(os.environ.get("LMS_INSTANCE_PATH") or default_instance_path()).resolve()


def load_or_create_secret_key(folder: Path) -> str:
    """Return the key kept in `instance/secret_key`, creating it on first use.

    The file is created exclusively, so several server processes starting at
    once all end up with the same key.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        key = secrets.token_urlsafe(48)
        fh.write(key)
    return key


def database_url(folder: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # Heroku-style URLs
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url or f"sqlite:///{folder / 'forras.db'}"


def trusted_hosts(value: str | None) -> list[str] | None:
    """TRUSTED_HOSTS from the environment: None (derive from PUBLIC_BASE_URL), or a list;
    `*` means any host (see lms.apply_host_settings)."""
    if value is None or not value.strip():
        return None
    return [host.strip() for host in value.split(",") if host.strip()]


class Config:
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # scrypt with N=2**15: Werkzeug's strong default, stated so it cannot drift.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # LMS_HTTPS=1 in production behind TLS: Secure cookies and HSTS (lms/security.py).
    HTTPS = os.environ.get("LMS_HTTPS", "0") == "1"
    SESSION_COOKIE_SECURE = HTTPS
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch still submits
    LANGUAGES = ("en", "hu", "bg")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("LMS_TIMEZONE", "Europe/Budapest")
    BABEL_TRANSLATION_DIRECTORIES = str(TRANSLATIONS_FOLDER)
    # Signed sign-in sheets (lms/evidence): larger files get a message next to the field;
    # a body past MAX_CONTENT_LENGTH (the sheet plus room for the form) gets the 413 page.
    # Other forms' text fields stay capped by Flask's MAX_FORM_MEMORY_SIZE (500 kB).
    SIGNED_SHEET_MAX_BYTES = int(os.environ.get("SIGNED_SHEET_MAX_BYTES", str(10 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = SIGNED_SHEET_MAX_BYTES + 1024 * 1024
    # Unset: sheets are kept in the database (table document_blob). Set: in this
    # directory, one read-only file per SHA-256, which must then be backed up too.
    SIGNED_SHEET_DIR = os.environ.get("SIGNED_SHEET_DIR", "")
    # E-mail, delivered only by the mail worker (`flask outbox send --loop N`), never
    # by a web worker. Without MAIL_SERVER the worker prints each message in full to
    # its console and leaves it in the outbox as "not sent: no mail server".
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Forrás <noreply@forras.local>")
    MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN", "forras.local")
    # Seconds the worker waits for the SMTP server (connect and each reply).
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    # The site's public address: every absolute link (e-mails, certificates and
    # their QR codes) is built from it (lms.urls.public_url), never from the request.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # The network that issues transcripts (a trainee's certificates from all its centres):
    # printed on them and on their verification page as the issuer, frozen at issue.
    NETWORK_NAME = os.environ.get("NETWORK_NAME", "Forrás")
    # Host names the site answers to (comma-separated; a leading dot admits
    # subdomains; `*` admits any). Unset: the host of PUBLIC_BASE_URL plus
    # localhost and 127.0.0.1. Any other Host header gets 400.
    TRUSTED_HOSTS = trusted_hosts(os.environ.get("TRUSTED_HOSTS"))
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis unreachable: count in this process's memory (Flask-Limiter logs a warning
    # and goes back to Redis when it answers again) rather than refuse every login.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis that accepts connections and never answers must not hold a login for
    # ever: give up after a second, count in memory meanwhile (see above).
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
    # Failed logins (lms/auth/throttling.py): per address, per account and address
    # pair, and per account from devices and addresses it never logged in from.
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 5 minutes")
    LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = os.environ.get(
        "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "20 per hour")
    EMAIL_CONFIRM_MAX_AGE = 48 * 3600  # seconds a registration's confirmation link works
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a password-reset link works
    PASSWORD_RESET_LIMIT = os.environ.get("PASSWORD_RESET_LIMIT", "5 per 15 minutes")
    # Answers sent to a public survey from one address (floods; duplicates are
    # stopped per browser and per account by lms.surveys.services).
    SURVEY_ANSWER_LIMIT = os.environ.get("SURVEY_ANSWER_LIMIT", "10 per minute;100 per day")
    # A run's evaluation stays open this many days after the run closes, and its one
    # reminder goes to those who have not answered this many days before it closes.
    EVALUATION_DAYS = int(os.environ.get("EVALUATION_DAYS", "21"))
    EVALUATION_REMINDER_DAYS = int(os.environ.get("EVALUATION_REMINDER_DAYS", "7"))
    # A trainer's marks lock this many days after the session; then only an
    # administrator corrects them, giving a reason (DESIGN rule 4).
    ATTENDANCE_LOCK_DAYS = int(os.environ.get("ATTENDANCE_LOCK_DAYS", "7"))
    CATALOGUE_PAGE_SIZE = 50
    # Export jobs (lms/jobs), made by `flask jobs work --loop N`: files under EXPORT_DIR
    # (default instance/exports), kept EXPORT_KEEP_DAYS days, then removed (the job
    # stays, marked expired). A worker holds a job JOB_LEASE_SECONDS past its last
    # heartbeat; a job claimed JOB_MAX_ATTEMPTS times without finishing fails. A bulk
    # print of more certificates than BULK_PRINT_JOB_THRESHOLD is made by the worker.
    EXPORT_DIR = os.environ.get("EXPORT_DIR", "")
    EXPORT_KEEP_DAYS = int(os.environ.get("EXPORT_KEEP_DAYS", "7"))
    JOB_LEASE_SECONDS = int(os.environ.get("JOB_LEASE_SECONDS", "60"))
    JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "3"))
    BULK_PRINT_JOB_THRESHOLD = int(os.environ.get("BULK_PRINT_JOB_THRESHOLD", "50"))
    # Rendered sign-in sheets and registers, kept by content (lms.pdf.cached_pdf) under
    # PDF_CACHE_DIR (default instance/pdf-cache) until unused for PDF_CACHE_DAYS; 0: off.
    PDF_CACHE_DIR = os.environ.get("PDF_CACHE_DIR", "")
    PDF_CACHE_DAYS = int(os.environ.get("PDF_CACHE_DAYS", "14"))
    # Personal data (docs/privacy.md): the evidence of a training (attendance,
    # certificates, the audit trail) is kept this many years after its run or programme
    # closes, then pseudonymised by `flask privacy pseudonymise`.
    PERSONAL_DATA_RETENTION_YEARS = int(os.environ.get("PERSONAL_DATA_RETENTION_YEARS", "10"))
    # Requests queue page size (administrators).
    PRIVACY_REQUESTS_PAGE_SIZE = 50
    # /manage/audit.csv answers at once up to this many entries; more is a background job.
    AUDIT_CSV_DIRECT_LIMIT = int(os.environ.get("AUDIT_CSV_DIRECT_LIMIT", "50000"))
    # bench/pages.py: each response says how many SQL statements it ran (lms/sqlcount.py).
    BENCH_COUNT_SQL = os.environ.get("BENCH_COUNT_SQL", "0") == "1"

    def __init__(self, folder: Path):
        self.SQLALCHEMY_DATABASE_URI = database_url(folder)
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or load_or_create_secret_key(folder)
