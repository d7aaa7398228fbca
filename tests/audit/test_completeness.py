"""Every service function that changes state leaves an entry in the audit log.

The service modules are walked: each public function is either in SCENARIOS (run
here, and it must log) or in READS (it changes nothing) or BOOKKEEPING (it changes
only what the log deliberately leaves out, with the reason why). A new function
fails this test until it is put in one of them.
"""

import importlib
import inspect
import pkgutil
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

import lms
from lms.attendance import services as attendance
from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput
from lms.audit.chain import verify_chain
from lms.audit.models import AuditEntry
from lms.auth import services as accounts
from lms.auth import sessions
from lms.auth.models import Role
from lms.calendars import services as calendars
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.clock import utcnow
from lms.courses import services as courses
from lms.courses.models import CourseStatus, Run
from lms.enrolment import services as enrolment
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.evidence import services as evidence
from lms.jobs import services as jobs
from lms.jobs.models import ExportJob, JobKind
from lms.notifications import delivery, outbox
from lms.notifications import services as notifications
from lms.notifications.models import Notification, OutboxState
from lms.privacy import erasure
from lms.privacy import services as privacy
from lms.privacy.models import RequestKind, RequestState
from lms.programmes import services as programmes
from lms.surveys import evaluations
from lms.surveys import services as surveys
from lms.surveys.models import EvaluationInvitation, QuestionKind
from lms.trainers import services as trainers
from lms.trainers.models import TrainerAssignment, TrainerRole
from tests.conftest import PASSWORD, at, tiny_pdf

EXTRA_MODULES = ("lms.auth.sessions", "lms.notifications.outbox", "lms.notifications.delivery",
                 "lms.surveys.evaluations", "lms.privacy.erasure")

READS = {
    "attendance.services": {"lock_date", "is_locked", "has_begun", "session_roster", "marks_of",
                            "history", "register", "registers", "corrected_after_closing"},
    "auth.services": {"normalise_email", "hash_password", "find_user_by_email", "add_years",
                      "default_period_end", "unknown_address_digest"},
    "auth.sessions": {"find_session", "has_logged_in_from"},
    "certificates.services": {"verification_url", "missing_minutes", "valid_certificate",
                              "completed_enrolments", "find_by_code", "run_certificates",
                              "bulk_pdf", "certificates_of", "trainer_names", "grammatical_form",
                              "next_serial_preview", "issue_all_preview", "transcript_language",
                              "transcripts_query", "find_transcript_by_code",
                              "certificate_states"},
    "courses.services": {"fold", "minutes_from_hours", "describe_session", "not_ended",
                         "catalogue", "centres_for_filter", "regions_for_filter",
                         "published_course", "upcoming_runs", "publish_problems"},
    "enrolment.services": {"find_enrolment", "find_clash", "window_is_open",
                           "enrolment_closed_on", "other_runs_of_course", "roster", "roster_page",
                           "dashboard"},
    "evidence.services": {"sniff_media_type", "clean_filename", "checked_sheet", "blob_bytes",
                          "current_sheet", "sheets_of", "sessions_with_sheet",
                          "sessions_missing_sheet", "missing_sheets_message"},
    "notifications.services": {"recipient_locale", "unseen_count", "recent_for"},
    "calendars.services": {"run_is_public", "run_with_sessions", "run_calendar",
                           "run_calendar_filename", "feed_token", "feed_address", "feed_owner",
                           "feed_of", "feed_fingerprint", "feed_calendar"},
    "notifications.outbox": {"outbox_page", "visible_message", "count_failing"},
    "privacy.services": {"one_month_after", "is_overdue", "queue_statement"},
    "privacy.erasure": {"pseudonym", "pseudonymous_email", "erasure_plan", "outcome_text",
                        "due_for_pseudonymisation"},
    "programmes.services": {"programmes", "asks_participant_data", "kept_until",
                             "consent_wording", "last_answers", "runs_asking_participant_data",
                             "consents_of"},
    "notifications.delivery": {"email_for", "console_text"},
    "jobs.services": {"valid_certificate_count", "bulk_print_in_background", "jobs_of",
                      "own_job", "export_dir", "file_of", "worker_name"},
    "surveys.services": {"has_responses", "response_count", "surveys_for",
                         "survey_with_questions", "find_by_token", "is_open", "opening_instants",
                         "answered_by_browser", "answered_by_user", "read_answers"},
    "surveys.evaluations": {"format_of", "default_questions", "templates", "evaluation_of",
                            "closing_instant", "find_invitation", "open_invitations",
                            "is_closed", "last_day", "hidden_from_trainers",
                            "evaluations_query", "evaluation_rows", "satisfaction", "totals",
                            "text_answers", "trainers_of", "run_evaluation_row",
                            "course_summary"},
    "trainers.services": {"covered_sessions", "assignments_of", "find_trainer_clash",
                          "trainers_of_session", "run_assignments", "is_trainer_of",
                          "is_trainer_of_run", "trainers_by_session"},
}
BOOKKEEPING = {
    # when a session was last seen (a write at most every five minutes per login)
    ("auth.sessions", "load_user"),
    # a certificate serial counter: the certificate numbered with it is the entry
    ("certificates.services", "next_number"),
    # when a trainee saw their notifications in the page (not the e-mail's state)
    ("notifications.services", "mark_seen"),
    # a lock (an UPDATE that changes nothing); the booking it guards is the entry
    ("trainers.services", "lock_trainers"),
    # an export job's claim, lease, progress, outcome and expiry: the export's request
    # and each download of its file are the entries (request_*, record_download)
    ("jobs.services", "fail_abandoned"),
    ("jobs.services", "claim_next"),
    ("jobs.services", "run_job"),
    ("jobs.services", "expire_old_files"),
    ("jobs.services", "work_once"),
    # a run's first and last days, derived from its sessions (whose changes are entries)
    ("courses.services", "update_run_days"),
    ("courses.services", "update_all_run_days"),
}


def service_modules() -> dict[str, object]:
    # lms.audit.services writes the log itself (and reads it back).
    names = [m.name for m in pkgutil.walk_packages(lms.__path__, "lms.")
             if m.name.endswith(".services") and m.name != "lms.audit.services"]
    return {name.removeprefix("lms."): importlib.import_module(name)
            for name in (*names, *EXTRA_MODULES)}


def public_functions(module) -> set[str]:
    return {name for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__
            and not name.startswith("_")}


# ---------------------------------------------------------------- scenarios
# Each prepares what it needs (committed), then returns the call to make and the
# record type whose entry the call must leave (an event's record type for events).


class World:
    def __init__(self, request, db, world, make_user, make_run, make_course):
        self.request, self.db, self.make_user, self.make_run = request, db, make_user, make_run
        self.make_course = make_course
        self.users, self.ids = world["users"], world["ids"]
        self.admin, self.trainee = self.users["admin"], self.users["trainee"]

    def get(self, model, key: str):
        return self.db.session.get(model, self.ids[key])

    def certificates(self):
        return self.request.getfixturevalue("certificate_world")["ids"]

    def past_run(self, mark: bool = True):
        """A run whose one session was three days ago, a trainee enrolled (marked present)."""
        day = date.today() - timedelta(days=3)
        run = self.make_run(course=self.make_course(total_hours=6),
                            sessions=[(day, time(9), time(15), 360)])
        entry = enrolment.enrol(self.make_user(), run, at(day - timedelta(days=5), time(8)),
                                by=self.admin)
        if mark:
            attendance.mark_session(run.sessions[0], [MarkInput(entry.id,
                                    AttendanceStatus.PRESENT)], self.admin, run.sessions[0].ends)
        self.db.session.commit()
        return run, entry

    def waitlisted(self):
        run = self.make_run(capacity=1)
        enrolment.enrol(self.make_user(), run, utcnow())
        waiting = enrolment.enrol(self.make_user(), run, utcnow())
        assert waiting.state == EnrolmentState.WAITLISTED
        self.db.session.commit()
        return run, waiting


def centre_fields(n: int) -> dict:
    return dict(name=f"Audit centre {n}", city="Eger", region="Heves", country="HU",
                address="", signatory_name="", signatory_title="",
                serial_prefix=f"AU{chr(65 + n)}", active=True)


def run_fields(run: Run, **changes) -> dict:
    return {"capacity": run.capacity, "venue": run.venue, "enrolment_opens": None,
            "enrolment_closes": run.enrolment_closes, **changes}


def s_file_request(w):
    return lambda: privacy.file_request(w.make_user(), RequestKind.ERASURE, "", utcnow()), \
        "PrivacyRequest"


def _filed(w):
    filed = privacy.file_request(w.make_user(), RequestKind.RECTIFICATION, "typo", utcnow())
    w.db.session.commit()
    return filed


def s_start_request(w):
    filed = _filed(w)
    return lambda: privacy.start_request(filed, w.admin, utcnow()), "PrivacyRequest"


def s_close_request(w):
    filed = _filed(w)
    return lambda: privacy.close_request(filed, w.admin, RequestState.DONE, "fixed",
                                         utcnow()), "PrivacyRequest"


def _erasure_done(w):
    person = w.make_user(full_name="Törölhető Anna")
    filed = privacy.file_request(person, RequestKind.ERASURE, "", utcnow())
    erasure.carry_out_erasure(filed, w.admin, utcnow())
    w.db.session.commit()
    return filed


def s_carry_out_erasure(w):
    filed = privacy.file_request(w.make_user(), RequestKind.ERASURE, "", utcnow())
    return lambda: erasure.carry_out_erasure(filed, w.admin, utcnow()), "User"


def s_pseudonymise_person(w):
    filed = _erasure_done(w)
    return lambda: erasure.pseudonymise_person(filed, utcnow()), "User"


def s_pseudonymise_due(w):
    _erasure_done(w)
    return lambda: erasure.pseudonymise_due(utcnow() + timedelta(days=1)), "PrivacyRequest"


def s_mark_session(w):
    run, entry = w.past_run(mark=False)
    return lambda: attendance.mark_session(
        run.sessions[0], [MarkInput(entry.id, AttendanceStatus.PRESENT)], w.admin,
        run.sessions[0].ends), "AttendanceMark"


def s_record_outcomes(w):
    run, _entry = w.past_run()
    return lambda: attendance.record_outcomes(run), "Enrolment"


def s_close_run(w):
    run, _entry = w.past_run()
    return lambda: attendance.close_run(run, w.admin), "Run"


def s_store_blob(w):
    return lambda: evidence.store_blob(tiny_pdf(321), "application/pdf"), "DocumentBlob"


def s_upload_signed_sheet(w):
    run, _entry = w.past_run()
    return lambda: evidence.upload_signed_sheet(run.sessions[0], tiny_pdf(), "sheet.pdf",
                                                w.admin, utcnow()), "SignedSheet"


def s_create_user(w):
    return lambda: accounts.create_user("new@example.org", PASSWORD, "Új Ember"), "User"


def s_authenticate(w):
    return lambda: accounts.authenticate(w.trainee.email, "not the password"), "User"


def s_update_profile(w):
    return lambda: accounts.update_profile(w.trainee, full_name="Kiss Boglárka"), "User"


def s_set_training_record(w):
    return lambda: accounts.set_training_record(
        w.trainee, "B-045812", date(2024, 1, 1), None, date(2026, 12, 5)), "User"


def s_change_password(w):
    return lambda: accounts.change_password(w.trainee, PASSWORD, "violet harbour lantern"), "User"


def s_request_email_change(w):
    return lambda: accounts.request_email_change(w.trainee, "moved@example.org", PASSWORD), "User"


def s_confirm_email_change(w):
    accounts.request_email_change(w.trainee, "moved@example.org", PASSWORD)
    w.db.session.commit()
    return lambda: accounts.confirm_email_change(w.trainee, "moved@example.org"), "User"


def s_set_role_and_status(w):
    return lambda: accounts.set_role_and_status(w.trainee, Role.TRAINEE, False, w.admin), "User"


def s_confirm_email(w):
    user = accounts.create_user("later@example.org", PASSWORD, "Later", confirmed=False)
    w.db.session.commit()
    return lambda: accounts.confirm_email(user), "User"


def s_reset_password(w):
    return lambda: accounts.reset_password(w.trainee, "violet harbour lantern"), "User"


def s_create_account(w):
    return lambda: accounts.create_account("staff@example.org", PASSWORD, Role.TRAINER, None,
                                           full_name="Tréner"), "User"


def s_edit_account(w):
    return lambda: accounts.edit_account(w.trainee, w.admin, Role.TRAINEE, True, None,
                                         full_name="Kiss Boglárka"), "User"


def s_open_session(w):
    return lambda: sessions.open_session(w.trainee, "192.0.2.1"), "User"


def s_end_session(w):
    key = sessions.open_session(w.trainee, "192.0.2.1")
    w.db.session.commit()
    return lambda: sessions.end_session(key), "User"


def s_end_sessions_of(w):
    sessions.open_session(w.trainee, "192.0.2.1")
    w.db.session.commit()
    return lambda: sessions.end_sessions_of(w.trainee, sessions.DEACTIVATED), "User"


def s_issue_certificate(w):
    entry = w.db.session.get(Enrolment, w.certificates()["other_completed_id"])
    return lambda: certificates.issue_certificate(entry, w.admin, date.today()), "Certificate"


def s_issue_all(w):
    run = w.db.session.get(Run, w.certificates()["closed_run_id"])
    return lambda: certificates.issue_all(run, w.admin, date.today()), "Certificate"


def s_revoke(w):
    certificate = w.db.session.get(Certificate, w.certificates()["certificate_id"])
    return lambda: certificates.revoke(certificate, w.admin, "Misspelt name"), "Certificate"


def s_reissue(w):
    certificate = w.db.session.get(Certificate, w.certificates()["certificate_id"])
    certificates.revoke(certificate, w.admin, "Misspelt name")
    w.db.session.commit()
    return lambda: certificates.reissue(certificate, w.admin, date.today()), "Certificate"


def s_issue_transcript(w):
    w.certificates()
    return lambda: certificates.issue_transcript(w.trainee, "hu", utcnow(), date.today()), \
        "Transcript"


def s_save_centre(w):
    return lambda: courses.save_centre(None, **centre_fields(1)), "Centre"


def s_save_programme(w):
    return lambda: programmes.save_programme(
        None, code="TÁMOP-5.1.3-09/99", name="Audit programme", funder="ESZA",
        starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), acknowledgement_hu="",
        acknowledgement_bg="", acknowledgement_en="", asks_participant_data=True,
        target_participants=100, target_completions=None, target_hours=None,
        target_long_runs=2, target_short_runs=3, active=True), "Programme"


def programme_enrolment(w):
    programme = programmes.save_programme(
        None, code="ESF+ 1", name="Audit programme", funder="ESZA+",
        starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), acknowledgement_hu="",
        acknowledgement_bg="", acknowledgement_en="", asks_participant_data=True,
        target_participants=None, target_completions=None, target_hours=None,
        target_long_runs=None, target_short_runs=None, active=True)
    run = w.make_run(programme_id=programme.id)
    entry = enrolment.enrol(w.make_user(), run, utcnow())
    w.db.session.commit()
    return entry


ANSWERS = {"gender": "female", "birth_year": 1980, "labour_status": "employed",
           "education": "isced_5_8", "sensitive_consent": True, "rural": "yes"}


def s_record_participant_data(w):
    entry = programme_enrolment(w)
    return lambda: programmes.record_participant_data(entry, ANSWERS, "hu", utcnow()), \
        "ParticipantData"


def s_withdraw_consent(w):
    entry = programme_enrolment(w)
    data = programmes.record_participant_data(entry, ANSWERS, "hu", utcnow())
    w.db.session.commit()
    return lambda: programmes.withdraw_consent(data, utcnow()), "ParticipantData"


def s_save_course(w):
    return lambda: courses.save_course(
        None, [("Basics", 6)], code="AUD-6", title="Audit", summary="", description="",
        total_hours=6, target_group="", accreditation_number="", credit_points=None,
        language="hu"), "Course"


def s_set_course_status(w):
    course = w.make_course(status=CourseStatus.DRAFT)
    return lambda: courses.set_course_status(course, CourseStatus.PUBLISHED), "Course"


def s_save_run(w):
    run = w.get(Run, "published_run_id")
    return lambda: courses.save_run(run, run.course, run.centre,
                                    **run_fields(run, venue="Room 2")), "Run"


def s_publish_run(w):
    return lambda: courses.publish_run(w.get(Run, "run_id")), "Run"


def s_cancel_run(w):
    return lambda: courses.cancel_run(w.get(Run, "published_run_id"), w.admin, "No trainer"), "Run"


def s_save_session(w):
    run = w.get(Run, "run_id")
    day = run.sessions[-1].date + timedelta(days=1)
    return lambda: courses.save_session(run, None, day=day, starts_at=time(9),
                                        ends_at=time(10), minutes=60), "Session"


def s_remove_session(w):
    run = w.get(Run, "run_id")
    return lambda: courses.remove_session(run, run.sessions[-1]), "Session"


def s_enrol(w):
    return lambda: enrolment.enrol(w.make_user(), w.get(Run, "published_run_id"),
                                   utcnow()), "Enrolment"


def s_promote_from_waitlist(w):
    run, _waiting = w.waitlisted()
    run.capacity = 2
    w.db.session.commit()
    return lambda: enrolment.promote_from_waitlist(run), "Enrolment"


def s_cancel_enrolment(w):
    entry = w.get(Enrolment, "own_enrolment_id")
    return lambda: enrolment.cancel_enrolment(entry, w.trainee, utcnow()), "Enrolment"


def s_approve(w):
    return lambda: enrolment.approve(w.get(Enrolment, "pending_enrolment_id"), w.admin), \
        "Enrolment"


def s_refuse(w):
    return lambda: enrolment.refuse(w.get(Enrolment, "pending_enrolment_id"), w.admin, "Full",
                                    utcnow()), "Enrolment"


def s_save_run_and_promote(w):
    run, _waiting = w.waitlisted()
    return lambda: enrolment.save_run_and_promote(
        run, course=run.course, centre=run.centre, **run_fields(run, capacity=2)), "Enrolment"


def s_change_capacity(w):
    return lambda: enrolment.change_capacity(w.get(Run, "published_run_id"), 30), "Run"


def s_move_enrolment(w):
    entry = w.get(Enrolment, "own_enrolment_id")
    target = w.make_run(course=entry.run.course, start=entry.run.first_date + timedelta(days=7))
    return lambda: enrolment.move_enrolment(entry, target, w.admin, utcnow()), "Enrolment"


def s_cancel_run_and_enrolments(w):
    return lambda: enrolment.cancel_run_and_enrolments(
        w.get(Run, "published_run_id"), w.admin, "No trainer", utcnow()), "Enrolment"


def s_notify(w):
    return lambda: notifications.notify(w.trainee, "test", lambda: ("Hello", "Body")), \
        "Notification"


def s_resend(w):
    message = w.get(Notification, "notification_id")
    message.state = OutboxState.FAILING
    w.db.session.commit()
    return lambda: outbox.resend(message), "Notification"


def s_resend_all_failing(w):
    message = w.get(Notification, "notification_id")
    message.state = OutboxState.NO_SERVER
    w.db.session.commit()
    return lambda: outbox.resend_all_failing(None), "Notification"


def s_deliver_outbox(w):
    return lambda: delivery.deliver_outbox(console=lambda _text: None), "Notification"


def s_assign_trainer(w):
    return lambda: trainers.assign_trainer(w.get(Run, "run_id"), w.make_user(role="trainer"),
                                           TrainerRole.LEAD), "TrainerAssignment"


def s_remove_assignment(w):
    assignment = w.get(TrainerAssignment, "assignment_id")
    return lambda: trainers.remove_assignment(assignment, w.admin), "TrainerAssignment"


def s_trainers_save_session(w):
    run = w.get(Run, "run_id")
    day = run.sessions[-1].date + timedelta(days=1)
    return lambda: trainers.save_session(run, None, day=day, starts_at=time(9),
                                         ends_at=time(10), minutes=60), "Session"


def s_tell_of_moved_session(w):
    run = w.make_run()
    enrolment.enrol(w.make_user(), run, utcnow())
    w.db.session.commit()
    session = run.sessions[0]
    was = (session.date - timedelta(days=1), session.starts_at, session.ends_at)
    return lambda: enrolment.tell_of_moved_session(session, was), "Notification"


def s_request_audit_export(w):
    return lambda: jobs.request_audit_export(w.admin, {}, "en", "Europe/Budapest"), ""


def s_request_registers(w):
    run, _entry = w.past_run()
    attendance.close_run(run, w.admin)
    w.db.session.commit()
    year = run.sessions[0].date.year
    return lambda: jobs.request_registers(w.admin, run.centre, year, "en", "Europe/Sofia"), (
        "Centre")


def s_request_bulk_print(w):
    run = w.db.session.get(Run, w.certificates()["closed_run_id"])
    return lambda: jobs.request_bulk_print(w.admin, run, "hu", "Europe/Budapest"), "Run"


def s_request_evidence_pack(w):
    run = w.db.session.get(Run, w.certificates()["closed_run_id"])
    return lambda: jobs.request_evidence_pack(w.admin, run, "bg", "Europe/Sofia"), "Run"


def s_record_download(w):
    job = ExportJob(kind=JobKind.AUDIT_CSV, requested_by_id=w.admin.id, parameters={})
    w.db.session.add(job)
    w.db.session.commit()
    return lambda: jobs.record_download(job, w.admin), ""


def s_start_feed(w):
    return lambda: calendars.start_feed(w.trainee), "User"


def s_stop_feed(w):
    calendars.start_feed(w.trainee)
    w.db.session.commit()
    return lambda: calendars.stop_feed(w.trainee), "User"


def s_trainers_remove_session(w):
    run = w.get(Run, "run_id")
    return lambda: trainers.remove_session(run, run.sessions[-1], w.admin), "Session"


def s_save_survey(w):
    return lambda: surveys.save_survey(
        None, kind=surveys.SurveyKind.NEEDS, languages=["en"], title={"en": "Needs"}, intro={},
        opens_at=utcnow(), closes_at=utcnow() + timedelta(days=9), centre=None), "Survey"


def _draft(w):
    return w.request.getfixturevalue("make_survey")(publish=False)


def s_save_section(w):
    survey = _draft(w)
    return lambda: surveys.save_section(survey, None, {"en": "More", "hu": "Több"}), (
        "SurveySection")


def s_remove_section(w):
    survey = _draft(w)
    section = surveys.save_section(survey, None, {"en": "More", "hu": "Több"})
    w.db.session.commit()
    return lambda: surveys.remove_section(survey, section), "SurveySection"


def s_move_section(w):
    survey = _draft(w)
    surveys.save_section(survey, None, {"en": "More", "hu": "Több"})
    w.db.session.commit()
    return lambda: surveys.move_section(survey, survey.sections[1], "up"), "SurveySection"


def s_move_question(w):
    survey = _draft(w)
    return lambda: surveys.move_question(survey, survey.questions[1], "up"), "SurveyQuestion"


def s_save_question(w):
    survey = _draft(w)
    return lambda: surveys.save_question(
        survey, None, section=survey.sections[0], kind=QuestionKind.SCALE, required=True,
        topics=False, text={"en": "How much", "hu": "Mennyire"}, options={}), "SurveyQuestion"


def s_remove_question(w):
    survey = _draft(w)
    return lambda: surveys.remove_question(survey, survey.questions[-1]), "SurveyQuestion"


def s_publish_survey(w):
    survey = _draft(w)
    return lambda: surveys.publish_survey(survey), "Survey"


def s_close_survey(w):
    survey = w.request.getfixturevalue("make_survey")()
    return lambda: surveys.close_survey(survey), "Survey"


def s_archive_survey(w):
    survey = _draft(w)
    return lambda: surveys.archive_survey(survey), "Survey"


def s_new_version(w):
    survey = w.request.getfixturevalue("make_survey")()
    return lambda: surveys.new_version(survey, w.admin), "Survey"


def s_create_course_draft(w):
    survey = _draft(w)
    option = survey.questions[0].options[0]
    return lambda: surveys.create_course_draft(option, code="NEW-24", total_hours=24,
                                               language="en"), "Course"


def s_submit_response(w):
    survey = w.request.getfixturevalue("make_survey")()
    return lambda: surveys.submit_response(
        survey, [], surveys.Respondent(), language="en", now=utcnow(),
        browser_key="key"), "Survey"


def s_copy_questions(w):
    source = w.request.getfixturevalue("make_survey")()
    target = _draft(w)
    return lambda: surveys.copy_questions(source, target), "SurveyQuestion"


def _evaluated(w):
    run, entry = w.past_run()
    evaluations.open_evaluation(run, [entry], utcnow())
    w.db.session.commit()
    return evaluations.evaluation_of(run), entry


def s_create_template(w):
    return lambda: evaluations.create_template("long", utcnow(), w.admin), "Survey"


def s_open_evaluation(w):
    run, entry = w.past_run()
    return lambda: evaluations.open_evaluation(run, [entry], utcnow()), "EvaluationInvitation"


def s_send_reminders(w):
    _evaluated(w)
    return lambda: evaluations.send_reminders(utcnow() + timedelta(days=15)), \
        "EvaluationInvitation"


def s_close_due(w):
    _evaluated(w)
    return lambda: evaluations.close_due(utcnow() + timedelta(days=30)), "Survey"


def s_submit_evaluation(w):
    survey, entry = _evaluated(w)
    invitation = w.db.session.scalar(sa.select(EvaluationInvitation).where(
        EvaluationInvitation.enrolment_id == entry.id))
    return lambda: evaluations.submit_evaluation(invitation, [], language="en", signed=False,
                                                 now=utcnow()), "Survey"


SCENARIOS = {
    ("surveys.services", "copy_questions"): s_copy_questions,
    ("surveys.evaluations", "create_template"): s_create_template,
    ("surveys.evaluations", "open_evaluation"): s_open_evaluation,
    ("surveys.evaluations", "send_reminders"): s_send_reminders,
    ("surveys.evaluations", "close_due"): s_close_due,
    ("surveys.evaluations", "submit_evaluation"): s_submit_evaluation,
    ("surveys.services", "save_survey"): s_save_survey,
    ("surveys.services", "save_section"): s_save_section,
    ("surveys.services", "remove_section"): s_remove_section,
    ("surveys.services", "move_section"): s_move_section,
    ("surveys.services", "move_question"): s_move_question,
    ("surveys.services", "save_question"): s_save_question,
    ("surveys.services", "remove_question"): s_remove_question,
    ("surveys.services", "publish_survey"): s_publish_survey,
    ("surveys.services", "close_survey"): s_close_survey,
    ("surveys.services", "archive_survey"): s_archive_survey,
    ("surveys.services", "new_version"): s_new_version,
    ("surveys.services", "create_course_draft"): s_create_course_draft,
    ("surveys.services", "submit_response"): s_submit_response,
    ("attendance.services", "mark_session"): s_mark_session,
    ("attendance.services", "record_outcomes"): s_record_outcomes,
    ("attendance.services", "close_run"): s_close_run,
    ("evidence.services", "store_blob"): s_store_blob,
    ("evidence.services", "upload_signed_sheet"): s_upload_signed_sheet,
    ("auth.services", "create_user"): s_create_user,
    ("auth.services", "authenticate"): s_authenticate,
    ("auth.services", "update_profile"): s_update_profile,
    ("auth.services", "set_training_record"): s_set_training_record,
    ("auth.services", "change_password"): s_change_password,
    ("auth.services", "request_email_change"): s_request_email_change,
    ("auth.services", "confirm_email_change"): s_confirm_email_change,
    ("auth.services", "set_role_and_status"): s_set_role_and_status,
    ("auth.services", "confirm_email"): s_confirm_email,
    ("auth.services", "reset_password"): s_reset_password,
    ("auth.services", "create_account"): s_create_account,
    ("auth.services", "edit_account"): s_edit_account,
    ("auth.sessions", "open_session"): s_open_session,
    ("auth.sessions", "end_session"): s_end_session,
    ("auth.sessions", "end_sessions_of"): s_end_sessions_of,
    ("certificates.services", "issue_certificate"): s_issue_certificate,
    ("certificates.services", "issue_all"): s_issue_all,
    ("certificates.services", "revoke"): s_revoke,
    ("certificates.services", "reissue"): s_reissue,
    ("certificates.services", "issue_transcript"): s_issue_transcript,
    ("courses.services", "save_centre"): s_save_centre,
    ("courses.services", "save_course"): s_save_course,
    ("privacy.services", "file_request"): s_file_request,
    ("privacy.services", "start_request"): s_start_request,
    ("privacy.services", "close_request"): s_close_request,
    ("programmes.services", "save_programme"): s_save_programme,
    ("programmes.services", "record_participant_data"): s_record_participant_data,
    ("programmes.services", "withdraw_consent"): s_withdraw_consent,
    ("privacy.erasure", "carry_out_erasure"): s_carry_out_erasure,
    ("privacy.erasure", "pseudonymise_person"): s_pseudonymise_person,
    ("privacy.erasure", "pseudonymise_due"): s_pseudonymise_due,
    ("courses.services", "set_course_status"): s_set_course_status,
    ("courses.services", "save_run"): s_save_run,
    ("courses.services", "publish_run"): s_publish_run,
    ("courses.services", "cancel_run"): s_cancel_run,
    ("courses.services", "save_session"): s_save_session,
    ("courses.services", "remove_session"): s_remove_session,
    ("enrolment.services", "enrol"): s_enrol,
    ("enrolment.services", "promote_from_waitlist"): s_promote_from_waitlist,
    ("enrolment.services", "cancel_enrolment"): s_cancel_enrolment,
    ("enrolment.services", "approve"): s_approve,
    ("enrolment.services", "refuse"): s_refuse,
    ("enrolment.services", "save_run_and_promote"): s_save_run_and_promote,
    ("enrolment.services", "change_capacity"): s_change_capacity,
    ("enrolment.services", "move_enrolment"): s_move_enrolment,
    ("enrolment.services", "cancel_run_and_enrolments"): s_cancel_run_and_enrolments,
    ("notifications.services", "notify"): s_notify,
    ("notifications.outbox", "resend"): s_resend,
    ("notifications.outbox", "resend_all_failing"): s_resend_all_failing,
    ("notifications.delivery", "deliver_outbox"): s_deliver_outbox,
    ("trainers.services", "assign_trainer"): s_assign_trainer,
    ("trainers.services", "remove_assignment"): s_remove_assignment,
    ("trainers.services", "save_session"): s_trainers_save_session,
    ("trainers.services", "remove_session"): s_trainers_remove_session,
    ("enrolment.services", "tell_of_moved_session"): s_tell_of_moved_session,
    ("calendars.services", "start_feed"): s_start_feed,
    ("jobs.services", "request_audit_export"): s_request_audit_export,
    ("jobs.services", "request_registers"): s_request_registers,
    ("jobs.services", "request_bulk_print"): s_request_bulk_print,
    ("jobs.services", "request_evidence_pack"): s_request_evidence_pack,
    ("jobs.services", "record_download"): s_record_download,
    ("calendars.services", "stop_feed"): s_stop_feed,
}


def test_every_service_function_is_classified():
    """A new service function must say whether it changes state (then it gets a scenario)."""
    unclassified = []
    for name, module in service_modules().items():
        for function in sorted(public_functions(module)):
            key = (name, function)
            if key not in SCENARIOS and key not in BOOKKEEPING and function not in READS.get(
                    name, set()):
                unclassified.append(f"{name}.{function}")
    assert unclassified == []
    classified = set(SCENARIOS) | BOOKKEEPING | {(m, f) for m, fs in READS.items() for f in fs}
    stale = {key for key in classified
             if key[1] not in public_functions(service_modules()[key[0]])}
    assert stale == set()


@pytest.mark.parametrize("key", list(SCENARIOS), ids=[".".join(k) for k in SCENARIOS])
def test_each_state_change_leaves_an_entry(key, request, db, world, make_user, make_run,
                                           make_course):
    w = World(request, db, world, make_user, make_run, make_course)
    call, entity = SCENARIOS[key](w)
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(AuditEntry.seq), 0)))
    call()
    db.session.commit()
    new = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq > before)
                             .order_by(AuditEntry.seq)).all()
    assert [e for e in new if e.entity == entity and (e.changes or e.action == "event")], (
        f"{'.'.join(key)} left no {entity} entry")
    assert all(e.at.utcoffset().total_seconds() == 0 for e in new)
    with db.engine.connect() as conn:
        assert verify_chain(conn).ok

