"""Signed sign-in sheets: checked, stored once by content, replaced only with a reason."""

import hashlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pypdf
import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps

from lms.courses.models import Session
from lms.errors import DomainError
from lms.evidence.models import DocumentBlob, SignedSheet
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.pipeline import explain_constraint

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
# The type is told by the bytes alone: never by the name or the browser's word for it.
MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
# An A4 page scanned at 600 dpi is 35 megapixels; anything far larger is a bomb.
MAX_SHEET_PIXELS = 60_000_000
FIELD = "sheet"

explain_constraint("uq_signed_sheet_current", lambda: _(
    "Someone else uploaded a signed sheet for this session at the same moment. Nothing "
    "was saved: look at the sheet now shown, and replace it if needed."))


def sniff_media_type(data: bytes) -> str | None:
    """PDF, PNG or JPEG by their magic numbers; None for anything else."""
    for magic, media_type in MAGIC:
        if data.startswith(magic):
            return media_type
    return None


def clean_filename(name: str) -> str:
    """The uploaded file's name fit to show and to offer again: no path, no control
    characters, no quotes, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'["<>|:*?;]', "", name).strip(" .")
    return name[:120]


def checked_sheet(data: bytes) -> tuple[bytes, str]:
    """The bytes to keep and their media type, or a DomainError for the field: a PDF
    must open; an image is decoded and encoded again (what a browser then receives
    was written by Pillow, not by whoever uploaded it)."""
    limit = current_app.config["SIGNED_SHEET_MAX_BYTES"]
    if not data:
        raise DomainError(_("The file is empty. Choose the scan of the signed sheet."), FIELD)
    if len(data) > limit:
        raise DomainError(_("The file is larger than %(size)d MB. Scan at a lower resolution "
                            "or in black and white.", size=limit // (1024 * 1024)), FIELD)
    media_type = sniff_media_type(data)
    if media_type is None:
        raise DomainError(_("Upload a PDF, JPEG or PNG file (this file is none of them, "
                            "whatever its name)."), FIELD)
    if media_type == PDF:
        return _checked_pdf(data), PDF
    return _reencoded_image(data, media_type), media_type


def _unreadable() -> DomainError:
    return DomainError(_("The file cannot be read: it may be damaged or cut short. "
                         "Scan the sheet again."), FIELD)


def _checked_pdf(data: bytes) -> bytes:
    try:
        pages = len(pypdf.PdfReader(io.BytesIO(data), strict=False).pages)
    except Exception as error:  # pypdf raises many kinds on hostile files
        raise _unreadable() from error
    if pages < 1:
        raise _unreadable()
    return data


def _reencoded_image(data: bytes, media_type: str) -> bytes:
    # WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process, so load()
    # accepts a cut-short file: verify() (PNG chunks and CRCs) and the JPEG end marker
    # tell a truncated scan instead.
    if media_type == JPEG and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise _unreadable()
    try:
        with Image.open(io.BytesIO(data)) as image:
            # Checked before decoding; Pillow's own MAX_IMAGE_PIXELS guard stays on too.
            if image.width * image.height > MAX_SHEET_PIXELS:
                raise DomainError(_("The image has too many pixels. Scan at 300 dpi or "
                                    "less."), FIELD)
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if media_type == PNG:
                upright.save(out, "PNG")
            else:
                upright.convert("L" if upright.mode in ("1", "L") else "RGB").save(
                    out, "JPEG", quality=90)
    except DomainError:
        raise
    except Exception as error:  # Pillow raises many kinds (struct, zlib, OSError...)
        raise _unreadable() from error
    return out.getvalue()


def _directory() -> Path | None:
    folder = current_app.config.get("SIGNED_SHEET_DIR")
    return Path(folder) if folder else None


def _write_once(folder: Path, name: str, data: bytes) -> None:
    """Write a file named by its hash atomically and read-only; never overwrite it.
    A file left by a rolled-back upload is harmless: the same bytes reuse it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        return
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o444)
        try:
            os.link(temporary, target)  # fails rather than replace an existing file
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def store_blob(data: bytes, media_type: str) -> DocumentBlob:
    """The blob holding `data`: the existing one when these bytes were stored before."""
    digest = hashlib.sha256(data).hexdigest()
    blob = db.session.get(DocumentBlob, digest)
    if blob is not None:
        return blob
    folder = _directory()
    if folder is not None:
        _write_once(folder, digest, data)
    blob = DocumentBlob(sha256=digest, content=None if folder else data, size=len(data),
                        media_type=media_type)
    db.session.add(blob)
    db.session.flush()
    return blob


def blob_bytes(blob: DocumentBlob) -> bytes:
    """The stored bytes, from the database or from SIGNED_SHEET_DIR."""
    if blob.content is not None:
        return blob.content
    folder = _directory()
    if folder is None:
        raise FileNotFoundError(blob.sha256)
    return (folder / blob.sha256).read_bytes()


def upload_signed_sheet(session: Session, data: bytes, filename: str, by, now: datetime,
                        reason: str = "") -> SignedSheet:
    """Keep the signed sheet of `session`. One already there is marked replaced, with
    `reason` (required then), and stays."""
    content, media_type = checked_sheet(data)
    current = current_sheet(session)
    reason = (reason or "").strip()
    if current is not None:
        if not reason:
            raise DomainError(_("Say why the signed sheet is replaced."), "reason")
        current.replaced_at, current.replaced_by_id = now, by.id
        current.replace_reason = reason[:1000]
        db.session.flush()  # the old sheet stops being current before the new one is
    blob = store_blob(content, media_type)
    sheet = SignedSheet(session_id=session.id, blob_sha256=blob.sha256,
                        filename=clean_filename(filename), media_type=media_type,
                        uploaded_by_id=by.id, uploaded_at=now)
    db.session.add(sheet)
    db.session.flush()
    return sheet


def current_sheet(session: Session) -> SignedSheet | None:
    return db.session.scalar(sa.select(SignedSheet).where(
        SignedSheet.session_id == session.id, SignedSheet.replaced_at.is_(None)))


def sheets_of(session: Session) -> list[SignedSheet]:
    """Every sheet uploaded for the session, the newest first."""
    return list(db.session.scalars(
        sa.select(SignedSheet).where(SignedSheet.session_id == session.id)
        .order_by(SignedSheet.uploaded_at.desc(), SignedSheet.id.desc())))


def sessions_with_sheet(session_ids: Iterable[int]) -> set[int]:
    """Of these sessions, those that have a signed sheet (one query)."""
    ids = list(session_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        sa.select(SignedSheet.session_id).where(
            SignedSheet.session_id.in_(ids), SignedSheet.replaced_at.is_(None))))


def sessions_missing_sheet(sessions: Iterable[Session], now: datetime) -> set[int]:
    """The sessions that have ended without a signed sheet uploaded."""
    ended = [s.id for s in sessions if s.ends <= now]
    return set(ended) - sessions_with_sheet(ended)


def missing_sheets_message(count: int) -> str:
    return ngettext("%(num)d session has no signed sign-in sheet.",
                    "%(num)d sessions have no signed sign-in sheet.", count)
