"""HTML to PDF with WeasyPrint, fetching nothing but the application's own static files.

Templates refer to assets through `pdf_static(path)`, an address under
STATIC_ORIGIN (a `.invalid` host, which can never resolve). The fetcher serves
those from the static folder and `data:` URLs (the QR codes); anything else
(`file://`, `http://`, other hosts, paths escaping the folder) is refused, so a
hostile value in a certificate can never make the renderer read a file or call
out.
"""

import hashlib
import io
import mimetypes
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pikepdf
import weasyprint
from flask import current_app
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_ORIGIN = "https://forras-static.invalid/"


class RefusedURL(ValueError):
    """The renderer asked for something outside the application's static files."""


def pdf_static(path: str) -> str:
    return STATIC_ORIGIN + path.lstrip("/")


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, static_folder: str):
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False)
        self._root = Path(static_folder).resolve()

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if not url.startswith(STATIC_ORIGIN):
            raise RefusedURL(f"refused to fetch {url!r}: not one of the application's files")
        relative = url[len(STATIC_ORIGIN):].split("?")[0].split("#")[0]
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            raise RefusedURL(f"refused to fetch {url!r}: no such static file")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})


_fetchers = threading.local()


def safe_url_fetcher() -> StaticOnlyFetcher:
    """The static-only fetcher of this application's folder, made once a thread
    (making one builds a whole urllib opener, about a millisecond a document; a
    fetcher keeps a request between two calls, so threads do not share one)."""
    folder = current_app.static_folder
    mine = _fetchers.__dict__.setdefault("by_folder", {})
    if folder not in mine:
        mine[folder] = StaticOnlyFetcher(folder)
    return mine[folder]


_font_config = FontConfiguration()
_stylesheets: dict[tuple[str, str], CSS] = {}


def stylesheet(name: str) -> CSS:
    """A static stylesheet, parsed once per process (its fonts are loaded once, too).

    Parsing CSS and registering @font-face fonts cost more than laying out a
    certificate, so documents share these parsed sheets instead of <style> blocks.
    """
    key = (current_app.static_folder, name)
    if key not in _stylesheets:
        _stylesheets[key] = CSS(url=pdf_static(name), url_fetcher=safe_url_fetcher(),
                                font_config=_font_config)
    return _stylesheets[key]


class _OwnDefaultsHTML(HTML):
    """A document styled by our own user-agent stylesheet instead of WeasyPrint's.

    WeasyPrint asks the document for its user-agent sheets (`_ua_stylesheets`, a
    hook its own HTML class defines); should a later version stop asking, the
    document simply gets WeasyPrint's full sheet again (slower, same look).
    """

    user_agent_sheet: CSS

    def _ua_stylesheets(self, *args, **kwargs):
        return [self.user_agent_sheet]


def render_pdf(html: str, stylesheets: tuple[str, ...] = (), user_agent_stylesheet: str = "",
               cache: bool = False, **options) -> bytes:
    """The PDF of `html` (already rendered by autoescaped Jinja); fonts are embedded.

    `stylesheets` are static paths (e.g. "pdf/certificate.css") applied after the
    fonts' sheet; the document's own <style> blocks still apply on top.
    `user_agent_stylesheet`, a static path, replaces WeasyPrint's HTML defaults
    for documents that use few elements (certificates), which renders faster.
    With `cache`, a document rendered before from the same HTML, sheets and renderer
    is read from the PDF cache instead of laid out again (`cached_pdf`).
    """
    if cache:
        return cached_pdf(html, stylesheets, user_agent_stylesheet, options)
    return _render(html, stylesheets, user_agent_stylesheet, options)


def _render(html: str, stylesheets: tuple[str, ...], user_agent_stylesheet: str,
            options: dict) -> bytes:
    if user_agent_stylesheet:
        document = _OwnDefaultsHTML(string=html, base_url=STATIC_ORIGIN,
                                    url_fetcher=safe_url_fetcher())
        document.user_agent_sheet = stylesheet(user_agent_stylesheet)
    else:
        document = HTML(string=html, base_url=STATIC_ORIGIN, url_fetcher=safe_url_fetcher())
    sheets = [stylesheet(name) for name in ("pdf/fonts.css", *stylesheets)]
    return document.write_pdf(stylesheets=sheets, font_config=_font_config, **options)


# ---------------------------------------------------------------- the PDF cache
#
# Sign-in sheets and registers are asked for again and again while what they show
# stays the same, and WeasyPrint spends a tenth of a second to seconds laying them out.
# The cache is content-addressed: the key is the SHA-256 of everything the bytes
# depend on (the HTML as rendered, which carries every name, mark and date shown; the
# stylesheets and the static files they load; WeasyPrint's version; the options), so
# a changed roster or mark is a new HTML, a new key and a fresh render: a stale PDF
# cannot be served. Files live under PDF_CACHE_DIR (default instance/pdf-cache), shared
# by every server process; one unused for PDF_CACHE_DAYS is removed.

PDF_CACHE_FORMAT = "1"  # bump to drop every cached PDF (e.g. when the renderer changes)
_SWEEP_EVERY = 3600.0  # seconds between two sweeps of the cache by one process
_static_digests: dict[str, str] = {}
_last_sweep: dict[str, float] = {}


def _static_digest() -> str:
    """SHA-256 of the static files documents load (stylesheets, fonts), once a process."""
    folder = current_app.static_folder
    if folder not in _static_digests:
        digest = hashlib.sha256()
        for path in sorted(Path(folder).glob("pdf/*")) + sorted(Path(folder).glob("fonts/*")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _static_digests[folder] = digest.hexdigest()
    return _static_digests[folder]


def cache_key(html: str, stylesheets: tuple[str, ...], user_agent_stylesheet: str,
              options: dict) -> str:
    parts = [PDF_CACHE_FORMAT, weasyprint.__version__, _static_digest(),
             user_agent_stylesheet, *stylesheets, repr(sorted(options.items())), html]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _cache_folder() -> Path | None:
    if current_app.config.get("PDF_CACHE_DAYS", 0) <= 0:
        return None
    return Path(current_app.config.get("PDF_CACHE_DIR")
                or Path(current_app.instance_path) / "pdf-cache")


def cached_pdf(html: str, stylesheets: tuple[str, ...], user_agent_stylesheet: str,
               options: dict) -> bytes:
    """The PDF from the cache when this exact document was rendered before, else
    rendered now and kept (written to a temporary file and renamed, so another process
    never reads half a file)."""
    folder = _cache_folder()
    if folder is None:
        return _render(html, stylesheets, user_agent_stylesheet, options)
    key = cache_key(html, stylesheets, user_agent_stylesheet, options)
    path = folder / key[:2] / f"{key}.pdf"
    try:
        data = path.read_bytes()
        os.utime(path)  # in use: its age counts from now
        return data
    except OSError:  # not cached yet (or the cache cannot be read): render it
        pass
    data = _render(html, stylesheets, user_agent_stylesheet, options)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
        _sweep(folder, path.stat().st_mtime)
    except OSError:  # a full or read-only disk costs the next print a render, nothing more
        current_app.logger.warning("PDF cache: could not keep %s", path, exc_info=True)
    return data


def _sweep(folder: Path, now: float) -> None:
    """Remove the cached PDFs nobody asked for in PDF_CACHE_DAYS (at most once an hour
    per process). `now` is the file system's: the time of the file just written."""
    if time.monotonic() - _last_sweep.get(str(folder), -_SWEEP_EVERY) < _SWEEP_EVERY:
        return
    _last_sweep[str(folder)] = time.monotonic()
    oldest = now - current_app.config["PDF_CACHE_DAYS"] * 86400
    for path in folder.glob("*/*"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except FileNotFoundError:  # another process removed it first
            pass


def join_pdfs(documents: Iterable[bytes]) -> bytes:
    """Finished PDFs as one, their pages in order, none of them re-rendered.

    qpdf (through pikepdf) copies each document's pages with their fonts and
    images as they are, so a page costs about the same in a run of 10 or 1,000.
    The joined file is for printing: it is not itself PDF/A (each issued
    certificate, stored on its own, is). Linearising and metadata fixing are
    skipped: they double the time and a print job does not need them.
    """
    joined = pikepdf.new()
    # qpdf may read a copied page's streams from its source only when saving,
    # so every source stays open until then.
    sources = [pikepdf.open(io.BytesIO(document)) for document in documents]
    for source in sources:
        joined.pages.extend(source.pages)
    if not joined.pages:
        raise ValueError("no pages to join")
    out = io.BytesIO()
    joined.save(out, linearize=False, fix_metadata_version=False, deterministic_id=False,
                recompress_flate=False)
    return out.getvalue()
