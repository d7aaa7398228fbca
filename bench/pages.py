"""How fast every page answers under gunicorn on PostgreSQL, for every role.

    python bench/pages.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/forras_bench \
        [--scale 1.0] [--requests 200] [--workers 2] [--clients 4] [--seconds 20]

Builds the dataset (bench/dataset.py, at `--scale`) when the database holds no
rows, starts gunicorn in the production shape (`lms.wsgi:app`, WORKERS sync
workers, on a free port, against that database, with BENCH_COUNT_SQL=1 so each
response carries `X-SQL-Count`), logs in through the real login form as a
trainee, a trainee holding a certificate, a trainer, a centre administrator and
the network administrator (real users of the dataset), then for every page in
PAGES sends `--requests` requests from `--clients` concurrent clients (after a
few warm-up ones; a page still answering after `--seconds` gets fewer) and
prints, per page: status, p50 and p95 in ms, requests/s, that as a fraction of
`/healthz`'s requests/s measured the same way in the same run, the SQL
statements per request (median), the response size and the requests measured.
The last line:

    pages=N worst_html_p95_ms=X worst_pdf_p95_ms=Y min_html_ratio=Z

(the ratio a fraction: 0.15 is 15 %). A page is HTML or PDF by the Content-Type
it answers with; CSV, ZIP and the like count in neither figure. Adding a page is
one line in PAGES. The public verification page is rate limited per address, so
its requests come from varied addresses (X-Forwarded-For, gunicorn runs with
PROXY_COUNT=1), as real visitors' do.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402  (bench/dataset.py)

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Page:
    role: str  # who asks: anonymous, trainee, graduate, trainer, centre_admin, admin
    name: str
    path: str  # with {placeholders} filled from the dataset (see pick_targets)
    method: str = "GET"
    requests: int | None = None  # fewer than --requests for slow exports
    form: dict = field(default_factory=dict)
    rotate_address: bool = False  # rate-limited per address: vary X-Forwarded-For


# Every page type and the role that uses it; one line per page.
PAGES = [
    Page("anonymous", "healthz", "/healthz"),
    Page("anonymous", "catalogue", "/"),
    Page("anonymous", "catalogue search", "/?q=kozosseg"),
    Page("anonymous", "course page (its runs)", "/courses/{course_code}"),
    Page("anonymous", "verify page", "/verify/{verification_code}", rotate_address=True),
    Page("trainee", "catalogue", "/"),
    Page("trainee", "my enrolments", "/my/"),
    Page("trainee", "enrol (POST, refused: already in)", "/runs/{upcoming_run}/enrol",
         method="POST"),
    Page("trainee", "profile", "/profile"),
    Page("graduate", "my enrolments", "/my/"),
    Page("graduate", "certificate PDF", "/certificates/{certificate_id}.pdf"),
    Page("graduate", "my transcripts", "/my/transcripts"),
    Page("trainer", "my sessions", "/trainer/sessions"),
    Page("trainer", "attendance page", "/sessions/{session_id}/attendance"),
    Page("trainer", "attendance history", "/sessions/{session_id}/attendance/history"),
    Page("trainer", "sign-in sheet PDF", "/sessions/{session_id}/sign-in-sheet.pdf"),
    Page("centre_admin", "back office home", "/manage/"),
    Page("centre_admin", "runs", "/manage/runs/"),
    Page("centre_admin", "run page", "/manage/runs/{closed_run}"),
    Page("centre_admin", "roster", "/manage/runs/{closed_run}/roster"),
    Page("centre_admin", "register", "/runs/{closed_run}/register"),
    Page("centre_admin", "outbox", "/manage/outbox"),
    Page("admin", "back office home", "/manage/"),
    Page("admin", "runs", "/manage/runs/"),
    Page("admin", "courses", "/manage/courses/"),
    Page("admin", "centres", "/manage/centres/"),
    Page("admin", "people", "/manage/users/"),
    Page("admin", "people search", "/manage/users/?q=Nagy"),
    Page("admin", "run page", "/manage/runs/{closed_run}"),
    Page("admin", "edit run", "/manage/runs/{closed_run}/edit"),
    Page("admin", "run trainers", "/manage/runs/{closed_run}/trainers"),
    Page("admin", "roster", "/manage/runs/{closed_run}/roster"),
    Page("admin", "roster CSV", "/manage/runs/{closed_run}/roster.csv"),
    Page("admin", "register", "/runs/{closed_run}/register"),
    Page("admin", "register CSV", "/runs/{closed_run}/register.csv"),
    Page("admin", "register PDF", "/runs/{closed_run}/register.pdf", requests=20),
    Page("admin", "run certificates", "/manage/runs/{closed_run}/certificates"),
    Page("admin", "bulk print PDF", "/manage/runs/{closed_run}/certificates.pdf"),
    Page("admin", "audit log", "/manage/audit"),
    Page("admin", "audit log, page 1000", "/manage/audit?page=1000"),
    Page("admin", "audit log, one run", "/manage/audit?entity=Run&id={closed_run}"),
    Page("admin", "audit CSV, one run", "/manage/audit.csv?entity=Run&id={closed_run}"),
    Page("admin", "outbox", "/manage/outbox"),
    Page("admin", "evidence pack (POST, queued for the worker)",
         "/manage/runs/{closed_run}/evidence-pack-job", method="POST", requests=20),
    Page("admin", "audit CSV, whole log", "/manage/audit.csv", requests=2),
]


def positive_int(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError("a whole number from 1 to 100000")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=dataset.positive_scale, default=1.0,
                        help="of the dataset built when the database is empty")
    parser.add_argument("--requests", type=positive_int, default=200,
                        help="measured requests per page")
    parser.add_argument("--workers", type=positive_int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=positive_int, default=4, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="stop measuring a page after this long (slow pages get fewer "
                             "requests than --requests)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table in Markdown (for the README)")
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    return parser.parse_args(argv)


# ---------------------------------------------------------------- the dataset's users


def pick_targets(database_url: str) -> dict:
    """Real users and records of the dataset for the pages' placeholders."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    q = sa.text
    with engine.connect() as conn:
        # An upcoming published run (catalogue, course page) and a trainee enrolled in it.
        upcoming = conn.execute(q(
            "SELECT r.id, c.code FROM run r JOIN course c ON c.id = r.course_id "
            "WHERE r.status = 'published' AND (SELECT min(s.date) FROM session s "
            "WHERE s.run_id = r.id) > current_date AND r.enrolled_count > 0 "
            "ORDER BY r.id LIMIT 1")).one()
        trainee = conn.scalar(q(
            "SELECT u.email FROM enrolment e JOIN \"user\" u ON u.id = e.user_id "
            "WHERE e.run_id = :run AND e.state = 'enrolled' ORDER BY e.id LIMIT 1"),
            {"run": upcoming.id})
        # A closed run with the most certificates (bulk print, register, roster).
        closed = conn.execute(q(
            "SELECT r.id, r.centre_id FROM run r JOIN enrolment e ON e.run_id = r.id "
            "JOIN certificate ce ON ce.enrolment_id = e.id WHERE r.status = 'closed' "
            "GROUP BY r.id ORDER BY count(*) DESC, r.id DESC LIMIT 1")).one()
        certificate = conn.execute(q(
            "SELECT ce.id, ce.verification_code, u.email FROM certificate ce "
            "JOIN enrolment e ON e.id = ce.enrolment_id JOIN \"user\" u ON u.id = e.user_id "
            "WHERE e.run_id = :run ORDER BY ce.id LIMIT 1"), {"run": closed.id}).one()
        centre_admin = conn.scalar(q(
            "SELECT email FROM \"user\" WHERE role = 'admin' AND centre_id = :centre "
            "ORDER BY id LIMIT 1"), {"centre": closed.centre_id})
        # A trainer of a run under way (else the latest closed one), and its latest
        # session held so far.
        run = conn.execute(q(
            "SELECT r.id, t.trainer_id FROM run r JOIN trainer_assignment t ON t.run_id = r.id "
            "WHERE r.status IN ('published', 'closed') AND EXISTS (SELECT 1 FROM session s "
            "WHERE s.run_id = r.id AND s.date < current_date) "
            "ORDER BY (r.status = 'published') DESC, r.id DESC LIMIT 1")).one()
        trainer = conn.scalar(q("SELECT email FROM \"user\" WHERE id = :id"),
                              {"id": run.trainer_id})
        session_id = conn.scalar(q(
            "SELECT id FROM session WHERE run_id = :run AND date < current_date "
            "ORDER BY date DESC LIMIT 1"), {"run": run.id})
    engine.dispose()
    return {
        "logins": {"trainee": trainee, "graduate": certificate.email, "trainer": trainer,
                   "centre_admin": centre_admin, "admin": f"admin@{dataset.DOMAIN}"},
        "course_code": upcoming.code, "upcoming_run": upcoming.id, "closed_run": closed.id,
        "certificate_id": certificate.id, "verification_code": certificate.verification_code,
        "session_id": session_id,
    }


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, workers: int, port: int, folder: str) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-secret-key"),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LMS_INSTANCE_PATH": folder,
        "BENCH_COUNT_SQL": "1",
        "PROXY_COUNT": "1",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    command = [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "30"]
    help_text = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in help_text:
        command.append("--no-control-socket")
    command.append("lms.wsgi:app")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(Path(folder) / "gunicorn.log", "w"),
                              start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/healthz").status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.3)
    stop(server)
    log = (Path(folder) / "gunicorn.log").read_text()[-2000:]
    raise SystemExit(f"pages.py: gunicorn did not answer /healthz:\n{log}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# ---------------------------------------------------------------- the clients


@dataclass
class Answer:
    status: int
    body: bytes
    headers: http.client.HTTPMessage
    ms: float


def request(port: int, method: str, path: str, cookies: dict | None = None,
            form: dict | None = None, address: str | None = None,
            timeout: float = 60) -> Answer:
    headers = {"Accept-Language": "en", "Host": f"127.0.0.1:{port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if address:
        headers["X-Forwarded-For"] = address
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return Answer(response.status, data, response.msg, (time.perf_counter() - started) * 1000)


def take_cookies(answer: Answer, cookies: dict) -> None:
    for header in answer.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]


def log_in(port: int, email: str) -> dict:
    cookies: dict = {}
    page = request(port, "GET", "/login")
    take_cookies(page, cookies)
    token = CSRF_RE.search(page.body.decode()).group(1)
    answer = request(port, "POST", "/login", cookies,
                     {"email": email, "password": dataset.PASSWORD, "csrf_token": token})
    if answer.status != 302:
        raise SystemExit(f"pages.py: could not log in as {email} ({answer.status})")
    take_cookies(answer, cookies)
    return cookies


def csrf_token(port: int, cookies: dict) -> str:
    """A form token of this login's session (any page with a form carries one)."""
    page = request(port, "GET", "/profile", cookies)
    take_cookies(page, cookies)  # the session now holds the token's secret
    return CSRF_RE.search(page.body.decode()).group(1)


@dataclass
class Figures:
    page: Page
    statuses: dict
    p50: float
    p95: float
    rps: float
    sql: int | None
    kb: float
    kind: str  # html, pdf or other


def measure(port: int, page: Page, path: str, cookies: dict, total: int, clients: int,
            form: dict | None, seconds: float) -> Figures:
    counter = iter(range(10**9))
    lock = threading.Lock()
    times, statuses, sql, sizes, kinds = [], {}, [], [], set()

    def address() -> str | None:
        if not page.rotate_address:
            return None
        with lock:
            n = next(counter)
        return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    for _ in range(1 if page.requests else 3):  # warm-up: caches, connections, templates
        request(port, page.method, path, cookies, form, address())

    remaining = iter(range(total))
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while True:
            with lock:
                if next(remaining, None) is None or time.perf_counter() > deadline:
                    return
            try:
                answer = request(port, page.method, path, cookies, form, address())
            except (OSError, http.client.HTTPException):
                with lock:
                    statuses["error"] = statuses.get("error", 0) + 1
                continue
            with lock:
                times.append(answer.ms)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                sizes.append(len(answer.body))
                if answer.headers.get("X-SQL-Count"):
                    sql.append(int(answer.headers["X-SQL-Count"]))
                kinds.add(answer.headers.get_content_type())

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(min(clients, total))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    times.sort()
    kind = ("html" if kinds == {"text/html"} else "pdf" if kinds == {"application/pdf"}
            else "other")
    return Figures(
        page, statuses,
        p50=statistics.median(times) if times else float("nan"),
        p95=times[min(len(times) - 1, int(len(times) * 0.95))] if times else float("nan"),
        rps=len(times) / elapsed if elapsed else 0.0,
        sql=int(statistics.median(sql)) if sql else None,
        kb=statistics.mean(sizes) / 1024 if sizes else 0.0,
        kind=kind,
    )


def report(results: list[Figures], healthz_rps: float, markdown: bool = False) -> None:
    print(f"\n{'role':<13} {'page':<36} {'status':<10} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'req/s':>8} {'/healthz':>9} {'SQL':>5} {'KB':>8} {'n':>5}")
    for r in results:
        status = ",".join(f"{k}×{v}" if len(r.statuses) > 1 else str(k)
                          for k, v in sorted(r.statuses.items(), key=str))
        sql = "" if r.sql is None else str(r.sql)
        print(f"{r.page.role:<13} {r.page.name[:36]:<36} {status:<10} {r.p50:8.1f} {r.p95:8.1f} "
              f"{r.rps:8.1f} {r.rps / healthz_rps:9.4f} {sql:>5} {r.kb:8.1f} "
              f"{sum(r.statuses.values()):>5}")
    if markdown:
        print("\n| role | page | status | p50 ms | p95 ms | requests/s | of /healthz | SQL "
              "| KB |\n|---|---|---|---:|---:|---:|---:|---:|---:|")
        for r in results:
            status = ", ".join(f"{k}" for k in sorted(r.statuses, key=str))
            print(f"| {r.page.role} | {r.page.name} | {status} | {r.p50:.1f} | {r.p95:.1f} | "
                  f"{r.rps:.1f} | {r.rps / healthz_rps:.1%} | {'' if r.sql is None else r.sql} "
                  f"| {r.kb:.1f} |")
    html = [r for r in results if r.kind == "html"]
    pdf = [r for r in results if r.kind == "pdf"]
    print(f"pages={len(results)} "
          f"worst_html_p95_ms={max((r.p95 for r in html), default=0):.1f} "
          f"worst_pdf_p95_ms={max((r.p95 for r in pdf), default=0):.1f} "
          f"min_html_ratio={min((r.rps / healthz_rps for r in html), default=0):.4f}")


def main(argv=None) -> None:
    args = parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("pages.py: --database-url must be a PostgreSQL URL")
    if dataset.is_empty(args.database_url):
        print(f"the database is empty: building the dataset at scale {args.scale}", flush=True)
        dataset.build(args.database_url, args.scale)
    targets = pick_targets(args.database_url)
    folder = tempfile.mkdtemp(prefix="lms-bench-pages-")
    port = free_port()
    server = start_gunicorn(args.database_url, args.workers, port, folder)
    try:
        sessions = {"anonymous": {}}
        for role, email in targets["logins"].items():
            sessions[role] = log_in(port, email)
        print("logged in as " + ", ".join(f"{role} {email}"
                                          for role, email in targets["logins"].items()))
        print(f"gunicorn: {args.workers} workers on port {port}; {args.requests} requests per "
              f"page from {args.clients} clients", flush=True)
        results = []
        for page in PAGES:
            if args.only and args.only not in page.name and page.path != "/healthz":
                continue
            path = page.path.format(**targets)
            form = None
            if page.method == "POST":
                form = {**page.form, "csrf_token": csrf_token(port, sessions[page.role])}
            total = min(args.requests, page.requests or args.requests)
            figures = measure(port, page, path, sessions[page.role], total, args.clients, form,
                              args.seconds)
            results.append(figures)
            print(f"  {page.role} {page.name}: p95 {figures.p95:.1f} ms", flush=True)
        healthz = next(r for r in results if r.page.path == "/healthz")
        report(results, healthz.rps, args.markdown)
    finally:
        stop(server)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
