"""No user-facing text escapes gettext, in templates or in Python.

Templates: every piece of text outside `{{ }}` and `{% %}` (Jinja's `data`
tokens), once HTML tags, comments, entities, digits, punctuation and symbols are
stripped, must hold no letters; nor may `placeholder`, `title`, `alt` or
`aria-label` attributes hold literal words. The official documents in
ALLOWED_TEMPLATES are fixed-language by design.

Python: string constants passed straight to `flash()`, `abort(description=)`,
`DomainError()`, `ValidationError()`, a validator's `message=`, or as the label
(first argument) of a WTForms `*Field(...)`, must be wrapped in `_()` / `_l()`.
Exempt: log messages and `click.echo` output, which are for operators (the
command line translates what it can, but English is acceptable there).
"""

import ast
import html
import re
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

# Templates whose words are not translated, with the reason.
ALLOWED_TEMPLATES = {
    "certificates/razgrad.html": "the Razgrad centre's official Bulgarian certificate form",
    "certificates/tanusitvany.html": "the official Hungarian certificate form (tanúsítvány)",
}

# Names that read the same in every language.
PROPER_NAMES = ("Forrás",)
ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
TAG_OR_COMMENT = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
ATTRIBUTE = re.compile(
    r"\b(" + "|".join(ATTRIBUTES) + r""")\s*=\s*(?:"([^"]*)"|'([^']*)')"""
)
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
LETTER = re.compile(r"[^\W\d_]")


def templates() -> list[str]:
    return sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))


def literal_text(source: str) -> list[str]:
    """Pieces of words a reader would see that no gettext call produced."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    # Jinja code becomes a letterless marker, so a tag with {{ }} inside stays one tag.
    data = "".join(
        value if token == "data" else "\x00"
        for _lineno, token, value in env.lex(source)
    )
    found = []
    for value in ATTRIBUTE.finditer(data):
        text = value.group(2) if value.group(2) is not None else value.group(3)
        if LETTER.search(text.replace("\x00", "")):
            found.append(f'{value.group(1)}="{text.replace(chr(0), "{{…}}")}"')
    text = TAG_OR_COMMENT.sub(" ", SCRIPT_OR_STYLE.sub(" ", data))
    pieces = []
    for chunk in text.split("\x00"):
        chunk = html.unescape(chunk)
        for name in PROPER_NAMES:
            chunk = chunk.replace(name, " ")
        if LETTER.search(chunk):
            pieces.append(" ".join(chunk.split()))
    return found + pieces


@pytest.mark.parametrize("name", [n for n in templates() if n not in ALLOWED_TEMPLATES])
def test_template_text_goes_through_gettext(name):
    untranslated = literal_text((TEMPLATES / name).read_text(encoding="utf-8"))
    assert not untranslated, f"{name} shows text outside gettext: {untranslated}"


def test_allowed_templates_exist_and_are_the_fixed_language_documents():
    assert set(ALLOWED_TEMPLATES) <= set(templates())
    assert all(name.startswith("certificates/") for name in ALLOWED_TEMPLATES)


def test_template_check_catches_plain_words():
    assert literal_text("<p>{{ _('Hello') }} &amp; 12:30 –</p>") == []
    assert literal_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert literal_text('<input placeholder="Search" value="{{ q }}">') == ['placeholder="Search"']
    assert literal_text('<a title="{{ _(\'Open\') }}" href="/x">→</a>') == []


# ---------------------------------------------------------------- Python

GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}
MESSAGE_TAKERS = {"flash", "DomainError", "ValidationError", "StopValidation"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_plain_text(node: ast.expr | None) -> bool:
    """A literal string (or f-string) with letters, not wrapped in a gettext call."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTER.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_is_plain_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_plain_text(node.left) or _is_plain_text(node.right)
    return False


def untranslated_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in GETTEXT:
            continue
        suspects = []
        if name in MESSAGE_TAKERS or (name.endswith("Field") and name[:1].isupper()):
            suspects += node.args[:1]
            suspects += [k.value for k in node.keywords if k.arg in ("label", "message")]
        elif name == "abort":
            suspects += node.args[1:2]
            suspects += [k.value for k in node.keywords if k.arg == "description"]
        else:  # validators: Length(max=3, message=...)
            suspects += [k.value for k in node.keywords if k.arg == "message"]
        found += [(node.lineno, name) for s in suspects if _is_plain_text(s)]
    return sorted(found)


def python_files() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lms").rglob("*.py"))


@pytest.mark.parametrize("name", python_files())
def test_python_messages_go_through_gettext(name):
    found = untranslated_calls((ROOT / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: plain text given to " + ", ".join(
        f"{call}() on line {line}" for line, call in found
    )


def test_python_check_catches_plain_messages():
    source = (
        "flash('Saved')\n"
        "flash(_('Saved'))\n"
        "x = StringField('Name', validators=[Length(max=3, message='Too long')])\n"
        "y = StringField(_l('Name'))\n"
        "abort(403, description='No')\n"
        "raise DomainError(f'Run {run.id} is full')\n"
        "log.info('not for users')\n"
    )
    assert [call for _line, call in untranslated_calls(source)] == [
        "flash", "Length", "StringField", "abort", "DomainError"
    ]
