"""The register and the roster print as documents: the print stylesheet hides what
only works on screen and keeps the tables whole (issue 17)."""

import re
from datetime import UTC, datetime
from pathlib import Path

import time_machine

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()


def print_rules() -> dict[str, str]:
    """The rules inside `@media print { ... }`: selector text -> declarations."""
    start = CSS.index("@media print")
    depth, body_start = 0, CSS.index("{", start)
    for i in range(body_start, len(CSS)):
        depth += {"{": 1, "}": -1}.get(CSS[i], 0)
        if depth == 0:
            body = CSS[body_start + 1:i]
            break
    return {" ".join(sel.split()): decl.strip()
            for sel, decl in re.findall(r"([^{}]+)\{([^{}]*)\}", body)}


def hidden_in_print() -> set[str]:
    return {part.strip() for selector, decl in print_rules().items()
            if "display: none" in decl for part in selector.split(",")}


def test_print_hides_navigation_forms_and_buttons_and_keeps_tables_whole():
    hidden = hidden_in_print()
    for cls in (".site-header", ".site-footer", ".subnav", "form", "button", ".button",
                ".pager", ".flashes"):
        assert cls in hidden, cls
    rules = print_rules()
    assert "display: table-header-group" in rules["thead"]  # the header row on every page
    assert "break-inside: avoid" in rules["tr, th, td"]  # no row cut in two
    assert "width: 100%" in rules["table"]
    assert "overflow: visible" in rules[".table-scroll"]  # nothing scrolled out of the page
    assert ".print-only" not in hidden and ".breadcrumb" not in hidden  # the run's title stays


@time_machine.travel(datetime(2027, 3, 4, 9, 30, tzinfo=UTC), tick=False)
def test_the_roster_and_the_register_carry_the_print_date_and_the_stylesheet(
        client, auth, make_user, make_run):
    run = make_run()
    auth.login(make_user(role="admin"))
    for page in (f"/manage/runs/{run.id}/roster", f"/runs/{run.id}/register"):
        html = client.get(page).get_data(as_text=True)
        assert 'href="/static/css/app.css' in html, page
        assert '<p class="print-only print-stamp">Printed from Forrás on 3/4/27' in html, page
        # the classes the print rules hide are the ones the page uses
        assert 'class="site-header"' in html and 'class="subnav"' in html, page
        assert run.course.title in html, page
