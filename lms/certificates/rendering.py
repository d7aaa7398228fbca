"""Certificates as PDF/A-3: one template family per style, facts attached as JSON."""

import base64
import io
import json
from datetime import UTC, date, datetime, time

import segno
from flask import render_template
from flask_babel import force_locale
from PIL import Image
from weasyprint import Attachment

from lms.i18n import lazy_gettext as _l
from lms.i18n import lazy_pgettext
from lms.pdf import render_pdf, safe_url_fetcher

STYLES = ("default", "tanusitvany", "razgrad")

# The language a style's document is written in whatever the run's: the Hungarian
# tanúsítvány and the Razgrad centre's Bulgarian удостоверение. The default style
# speaks the run's language.
STYLE_LANGUAGES = {"tanusitvany": "hu", "razgrad": "bg"}

# The grammatical form a certificate's wording takes for its holder: from the gender
# the holder gave (the programme's participant data), else neutral.
FORMS = ("feminine", "masculine", "neutral")

# The default style's wording, looked up in the certificate's language (and, for
# a bilingual certificate of any style, again in English), never in the reader's.
LABELS = {
    "title": _l("Certificate of attendance"),
    "certificate": _l("Certificate"),
    "certify": _l("This is to certify that"),
    "attended": _l("attended the training"),
    "attended_feminine": lazy_pgettext("feminine", "attended the training"),
    "attended_masculine": lazy_pgettext("masculine", "attended the training"),
    "completed": _l("completed the training programme"),
    "completed_successfully": _l("and completed it successfully"),
    "hours": _l("%(hours)s hours, %(first)s – %(last)s"),
    "hours_one_day": _l("%(hours)s hours, %(day)s"),
    "accreditation": _l("Accreditation number"),
    "credits": _l("Credit points"),
    "issued_at": _l("Issued in %(place)s on %(date)s"),
    "issued": _l("Date of issue"),
    "trainer": _l("Trainer"),
    "trainers": _l("Trainers"),
    "stamp": _l("L.S."),
    "verify": _l("Verify at"),
}


def labels(language: str) -> dict[str, str]:
    with force_locale(language):
        return {key: str(text) for key, text in LABELS.items()}


def document_language(facts: dict) -> str:
    return STYLE_LANGUAGES.get(facts["style"], facts["language"])


# segno's module values (0 light, 1 dark) as 8-bit grey levels (255 white, 0 black).
_GREY = bytes([255, 0]) + bytes(254)


def qr_data_uri(url: str) -> str:
    """The QR code of the verification URL, inline (the renderer fetches nothing).

    A fixed mask skips segno's evaluation of all eight (any mask reads the same).
    The PNG is 8-bit grey, six pixels a module, written by Pillow: WeasyPrint
    embeds grey as it is, where segno's 1-bit PNG had to be converted to RGB and
    encoded twice (same pixels, a tenth of the certificate's time saved).
    """
    matrix = segno.make(url, error="m", mask=0).matrix
    size = len(matrix)
    modules = Image.frombytes("L", (size, size), b"".join(matrix).translate(_GREY))
    png = io.BytesIO()
    modules.resize((size * 6, size * 6), Image.Resampling.NEAREST).save(png, format="PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


def certificate_html(facts: dict) -> str:
    """The certificate as HTML in the certificate's own language, whatever the screen's."""
    language = document_language(facts)
    english = labels("en") if facts.get("bilingual") and language != "en" else None
    form = facts.get("form") if facts.get("form") in FORMS else "neutral"
    with force_locale(language):
        return render_template(f"certificates/{facts['style']}.html", c=facts,
                               qr=qr_data_uri(facts["verification_url"]), form=form,
                               one_day=facts["first_day"] == facts["last_day"],
                               lang=language, L=labels(language), EN=english)


def _render(html: str, **options) -> bytes:
    return render_pdf(html, stylesheets=("pdf/certificate.css",),
                      user_agent_stylesheet="pdf/certificate-ua.css", pdf_variant="pdf/a-3b",
                      **options)


def facts_attachment(facts: dict, name: str, description: str) -> Attachment:
    """The facts as a JSON attachment, dated by the issue date, not the clock, so the
    PDF is a function of the facts alone: the same bytes in any process, at any time.
    It reads the thread's shared fetcher: left to itself, WeasyPrint builds a urllib
    opener for each attachment (about half a millisecond) to read bytes already here."""
    facts_json = json.dumps(facts, ensure_ascii=False, indent=2, sort_keys=True)
    issued = datetime.combine(date.fromisoformat(facts["issue_date"]), time(), UTC)
    return Attachment(file_obj=io.BytesIO(facts_json.encode()), name=name,
                      description=description, created=issued, modified=issued,
                      url_fetcher=safe_url_fetcher())


def render_certificate(facts: dict) -> bytes:
    """One archival PDF: PDF/A-3b, fonts embedded, the certified facts attached as JSON."""
    attachment = facts_attachment(facts, "certificate.json",
                                  "The facts this certificate certifies")
    return _render(certificate_html(facts), attachments=[attachment])


def transcript_html(facts: dict) -> str:
    """The transcript as HTML in its own language, whatever the screen's."""
    with force_locale(facts["language"]):
        return render_template("pdf/transcript.html", t=facts,
                               qr=qr_data_uri(facts["verification_url"]))


def render_transcript(facts: dict) -> bytes:
    """An archival PDF like a certificate's (PDF/A-3b), the facts attached as JSON."""
    attachment = facts_attachment(facts, "transcript.json", "The facts this transcript states")
    return render_pdf(transcript_html(facts), pdf_variant="pdf/a-3b", attachments=[attachment])
