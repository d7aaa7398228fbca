"""The Hungarian and Bulgarian catalogues are complete and match the sources.

A developer who wraps a new string in gettext but forgets `make translations`,
or leaves a translation empty or fuzzy, gets a failing test naming the string.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lms" / "translations"
LANGUAGES = ("hu", "bg")
# The same keywords as `make translations` (Babel's defaults plus the lazy ones).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None,
            "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")


def catalogue(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


def key(message) -> tuple[str | None, str]:
    singular = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, singular


def source_messages() -> dict:
    """What `pybabel extract -F babel.cfg` finds now: {(context, msgid): msgid or (sg, pl)}."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        singular = message if isinstance(message, str) else message[0]
        found[(context, singular)] = message
    return found


def placeholders(text: str) -> list[str]:
    return sorted(f"{name or ''}{kind}" for name, kind in PLACEHOLDER.findall(text)
                  if kind != "%")


def label(k: tuple[str | None, str]) -> str:
    context, msgid = k
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


@pytest.fixture(scope="module")
def sources():
    return source_messages()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(lang):
    cat = catalogue(lang)
    problems = []
    for message in cat:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {label(key(message))}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple) and len(strings) != cat.num_plurals:
            problems.append(f"{len(strings)} of {cat.num_plurals} plural forms: "
                            f"{label(key(message))}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {label(key(message))}")
    assert not problems, f"{lang} catalogue:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_in_the_sources_is_in_the_catalogue(lang, sources):
    cat = catalogue(lang)
    known = {key(m): m for m in cat if m.id}
    missing = [label(k) for k in sources if k not in known]
    assert not missing, (
        f"not in the {lang} catalogue (run `make translations`, then translate): "
        + ", ".join(sorted(missing))
    )
    not_plural = [label(k) for k, msgid in sources.items()
                  if isinstance(msgid, tuple) != isinstance(known[k].id, tuple)]
    assert not not_plural, f"singular/plural differs from the sources: {not_plural}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang):
    problems = []
    for message in catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for n, text in enumerate(strings):
            # Form 0 matches the singular; the others the plural (a form may drop %(num)d).
            expected = placeholders(ids[0] if n == 0 else ids[-1])
            if isinstance(message.id, tuple):
                ok = set(placeholders(text)) <= set(expected)
            else:
                ok = placeholders(text) == expected
            if not ok:
                problems.append(f"{label(key(message))}: {text!r}")
    assert not problems, f"{lang} placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_date_ending_a_sentence_brings_its_own_full_stop(lang):
    """Hungarian and Bulgarian dates end in a full stop ("2026. 12. 22.", "22.12.2026 г."):
    a sentence ending in %(day)s adds none, or readers see "г.."."""
    assert format_date(date(2026, 12, 22), "medium", locale=lang).endswith(".")
    assert format_date(date(2026, 12, 22), "long", locale=lang).endswith(".")
    doubled = [
        f"{label(key(message))}: {text!r}"
        for message in catalogue(lang) if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if re.search(r"%\(day\)s\.(\s|$)", text)
    ]
    assert not doubled, "\n".join(doubled)


def test_bulgarian_never_guesses_a_persons_gender():
    """Bulgarian verbs and adjectives agree with a person's gender. Messages about
    people are worded so that none is needed ("Здравейте", "Присъствие",
    "С потвърдено място"), never with "записан/а" slashes or a masculine default; the
    certificates, which know the holder's answer, choose the form themselves."""
    guessing = re.compile(r"\w+/\w*а\b|\b(Уважаеми|Съгласен)\b", re.IGNORECASE)
    # What a person is on a roster or register: a noun or a neuter form, never a
    # participle in -л or -н ("присъствал", "записан") that takes the holder's gender.
    labels = {"Completed", "Not completed", "Present", "Late", "Absent", "Excused", "Enrolled"}
    found = [
        f"{label(key(message))}: {text!r}"
        for message in catalogue("bg") if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if guessing.search(text) or (message.id in labels and re.search(r"[лн]$", text))
    ]
    assert not found, "\n".join(found)


def test_placeholder_check_reads_python_format():
    assert placeholders("%(name)s has %(n)d of %(total).1f (%(pct)d %%), %s") == [
        "names", "nd", "pctd", "s", "totalf"
    ]
