"""How fast certificates are made: one warm, bulk print, and naively one by one.

    python bench/certificates.py [--count 200]

prints its figures and, as the last line,
`single_ms=N bulk_ms_per_cert=N naive_ms_per_cert=N speedup=N`, where naive
renders each certificate as its own document in a loop, bulk is what the bulk
print does (it joins the PDFs as they were issued, re-rendering nothing) and
speedup = naive / bulk. A line before it shows bulk's cost per page for a run a
tenth of the size: it stays flat as the run grows.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("LMS_INSTANCE_PATH", tempfile.mkdtemp(prefix="lms-bench-"))
    os.environ.setdefault("SECRET_KEY", "bench")
    from lms import create_app
    from lms.certificates.rendering import render_certificate
    from lms.pdf import join_pdfs

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    facts = [sample_facts(i) for i in range(1, args.count + 1)]
    with app.test_request_context():
        render_certificate(facts[0])  # warm up fonts and templates
        singles = []
        for one in facts[:10]:
            started = time.perf_counter()
            render_certificate(one)
            singles.append((time.perf_counter() - started) * 1000)
        single_ms = statistics.median(singles)
        started = time.perf_counter()
        issued = [render_certificate(one) for one in facts]
        naive_ms = (time.perf_counter() - started) * 1000
    small = max(1, args.count // 10)
    started = time.perf_counter()
    join_pdfs(issued[:small])
    small_bulk_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    bulk = join_pdfs(issued)
    bulk_ms = (time.perf_counter() - started) * 1000
    bulk_per_cert = bulk_ms / args.count
    naive_per_cert = naive_ms / args.count
    print(f"certificates={args.count} bulk_pdf_bytes={len(bulk)} bulk_total_ms={bulk_ms:.0f} "
          f"naive_total_ms={naive_ms:.0f}")
    print(f"bulk_ms_per_cert for {small} certificates={small_bulk_ms / small:.1f}, "
          f"for {args.count}={bulk_per_cert:.1f}")
    print(f"single_ms={single_ms:.1f} bulk_ms_per_cert={bulk_per_cert:.1f} "
          f"naive_ms_per_cert={naive_per_cert:.1f} speedup={naive_per_cert / bulk_per_cert:.1f}")

if __name__ == "__main__":
    main()
