"""How fast Forrás makes its PDFs, warm, against the targets of issue 13.

    python bench/certificates.py [--repeat 15]

Prints, per document type, the median wall-clock and CPU time of warm renders
in one process (fonts, stylesheets and templates already loaded):

- one certificate (PDF/A-3b, fonts subset, facts attached as JSON); target 20 ms;
- a sign-in sheet of 30 trainees (two pages); target 50 ms;
- the bulk print of 10, 30, 100 and 1,000 issued certificates (they are joined,
  not re-rendered), total and per page; target 50 ms for 30, and flat per page;
- issue all's rendering of 64 certificates in this process and in the render
  pool (one worker process a core), per certificate.

The last line is `single_ms=N sheet_ms=N bulk30_ms=N bulk_page_ms_10=N
bulk_page_ms_1000=N pool_ms_per_cert=N`: median CPU times, but the pool's,
which is wall-clock (its work is in other processes). On a machine whose cores
are busy with other work, wall-clock times grow; CPU times show what the code
costs.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGETS_MS = {"certificate": 20, "sheet": 50, "bulk30": 50}


def sample_facts(index: int) -> dict:
    return {
        "serial": f"RAZ-2026-{index:04d}", "verification_code": f"code{index:020d}",
        "verification_url": f"http://127.0.0.1:5000/v/code{index:020d}",
        "issue_date": "2026-11-23", "holder": f"Мария Петрова {index}",
        "course": "Екипна работа в социалните услуги за деца и семейства",
        "course_code": "RAZ-EKP-60", "hours": 60, "attended_hours": 60,
        "first_day": "2026-10-05", "last_day": "2026-11-20", "modules": [],
        "accreditation_number": "", "credit_points": None, "registration_number": "РЦ-РГ/2026/012",
        "funding_note": "Швейцарско-българска програма за сътрудничество", "language": "bg",
        "style": "razgrad",
        "centre": {"name": "Ресурсен център – Разград", "city": "Разград", "region": "Разград",
                   "country": "BG", "address": "ул. „Цар Освободител“ 14",
                   "signatory_name": "Елена Димитрова", "signatory_title": "Ръководител"},
    }


def sample_sheet(trainees: int = 30):
    """A session, its roster and trainers as the sign-in sheet reads them (no database)."""
    ns = SimpleNamespace
    run = ns(language="bg", venue="Зала 2", registration_number="РЦ-РГ/2026/012",
             course=ns(code="RAZ-EKP-60",
                       title="Екипна работа в социалните услуги за деца и семейства"),
             centre=ns(name="Ресурсен център – Разград", city="Разград"))
    session = ns(run=run, date=date(2026, 10, 5), starts_at=clock(8, 30), ends_at=clock(14, 30),
                 hours=Decimal(6), topic="Екипна работа в мултидисциплинарен екип", room="2")
    roster = [ns(user=ns(full_name=f"Мария Петрова {i}",
                         organisation="Община Разград, Дирекция „Социално подпомагане“"))
              for i in range(1, trainees + 1)]
    return session, roster, [ns(full_name="Елена Димитрова")]


def timed(make, repeat: int) -> tuple[float, float]:
    """(median wall-clock, median CPU) milliseconds of `repeat` warm calls.

    CPU time is this process's own: on a machine whose cores are busy with other
    work, wall-clock time includes waiting for a core, CPU time does not."""
    make()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        make()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def line(name: str, wall: float, cpu: float, target: float | None = None) -> None:
    versus = f"  cpu {cpu / target:.2f}x the {target} ms target" if target else ""
    print(f"{name:<34} wall {wall:7.1f} ms  cpu {cpu:7.1f} ms{versus}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-bench-"))
    os.environ.setdefault("SECRET_KEY", "bench")
    from lms import create_app
    from lms.attendance.sign_in_sheet import render_sign_in_sheet
    from lms.certificates import render_pool
    from lms.certificates.rendering import render_certificate
    from lms.pdf import join_pdfs

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    repeat = args.repeat
    with app.test_request_context():
        facts = iter(sample_facts(i) for i in range(1, 10_000))
        single = timed(lambda: render_certificate(next(facts)), repeat)
        line("one certificate (PDF/A-3b)", *single, TARGETS_MS["certificate"])
        session, roster, trainers = sample_sheet(30)
        sheet = timed(lambda: render_sign_in_sheet(session, roster, trainers), repeat)
        line("sign-in sheet, 30 trainees", *sheet, TARGETS_MS["sheet"])

        issued = [render_certificate(sample_facts(i)) for i in range(1, 31)]
        per_page = {}
        for count in (10, 30, 100, 1000):
            documents = (issued * (count // len(issued) + 1))[:count]
            wall, cpu = timed(lambda documents=documents: join_pdfs(documents),
                              repeat if count <= 100 else 3)
            per_page[count] = cpu / count
            line(f"bulk print, {count} certificates", wall, cpu,
                 TARGETS_MS["bulk30"] if count == 30 else None)
            print(f"{'':<34} cpu {cpu / count:.2f} ms a page")
        bulk30 = per_page[30] * 30

        batch = [sample_facts(i) for i in range(1, 65)]
        started = time.perf_counter()
        for one in batch:
            render_certificate(one)
        alone = (time.perf_counter() - started) * 1000 / len(batch)
        app.config["CERTIFICATE_RENDER_PROCESSES"] = os.cpu_count() or 1
        started = time.perf_counter()
        render_pool.render_certificates(batch)
        pooled = (time.perf_counter() - started) * 1000 / len(batch)
        print(f"issue all, {len(batch)} certificates: {alone:.1f} ms each in one process, "
              f"{pooled:.1f} ms each in the pool of {render_pool.render_processes()} "
              f"({alone / pooled:.1f}x)")
    print(f"single_ms={single[1]:.1f} sheet_ms={sheet[1]:.1f} bulk30_ms={bulk30:.1f} "
          f"bulk_page_ms_10={per_page[10]:.2f} bulk_page_ms_1000={per_page[1000]:.2f} "
          f"pool_ms_per_cert={pooled:.1f}")


if __name__ == "__main__":
    main()
