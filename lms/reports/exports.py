"""The indicator report as a workbook and as a PDF."""

import io

from flask import render_template
from openpyxl import Workbook
from openpyxl.styles import Font

from lms.i18n import gettext as _
from lms.pdf import render_pdf
from lms.reports.indicators import GENDERS, IndicatorReport


def gender_header() -> list[str]:
    return [str(label) for _gender, label in GENDERS] + [_("Total")]


def report_xlsx(report: IndicatorReport) -> bytes:
    """One sheet of totals and targets, one of the indicators by gender: the same
    numbers as the page."""
    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    programme = report.programme
    summary.append([_("Programme"), f"{programme.code} – {programme.name}"])
    summary.append([_("Funder"), programme.funder])
    for label, value in summary_rows(report):
        summary.append([label, value])
    summary.append([])
    summary.append([_("Target"), _("Set"), _("Reached"), _("%")])
    for target in report.targets:
        summary.append([target.label, target.target, float(target.actual)
                        if not isinstance(target.actual, int) else target.actual,
                        target.percent])
    summary.column_dimensions["A"].width = 42
    summary.column_dimensions["B"].width = 30
    sheet = book.create_sheet(_("Indicators")[:31])
    sheet.append([_("Indicator"), _("Value"), *gender_header()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    row = report.participants
    sheet.append([_("Participants"), "", *row.by_gender.values(), row.total])
    for section in report.sections:
        for row in section.rows:
            sheet.append([section.title, row.label, *row.by_gender.values(), row.total])
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary_rows(report: IndicatorReport) -> list[tuple[str, object]]:
    return [
        (_("Runs"), report.runs),
        (_("60-hour trainings"), report.long_runs),
        (_("24-hour trainings"), report.short_runs),
        (_("Participants"), report.participants.total),
        (_("Hours delivered (attended, all participants)"), report.hours_delivered),
        (_("Completions"), report.completions),
        (_("Valid certificates issued"), report.certificates),
    ]


def report_pdf(report: IndicatorReport, scope: str) -> bytes:
    return render_pdf(render_template("reports/indicators_pdf.html", report=report,
                                      scope=scope, summary=summary_rows(report),
                                      genders=GENDERS))
