"""Paging for long lists, shared by the back-office pages.

Two kinds:

- numbered pages (`paginate`): one COUNT query for the total, one query for the
  page (OFFSET/LIMIT); for lists that are searched and sorted by name (people,
  runs, courses, centres), where "page 3 of 40" means something;
- keyset pages (`keyset_page`): "older than this one" by an ordered key such as
  (at, id), for long append-only lists (audit log, outbox), where OFFSET would
  read and drop every row before the page. The cursor in the URL is opaque but
  checked: an unreadable one is ignored (the list starts from the newest), never
  an error.

The macro `pager` in templates/_pager.html draws both, keeping every filter of
the current URL in its links.
"""

import base64
import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lms.extensions import db
from lms.formtools import INT_MAX, int_arg

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR_LENGTH = 200


# ---------------------------------------------------------------- numbered pages


@dataclass
class Page:
    """One page of a list: its rows, its number and where it stands in the whole."""

    items: list
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        """The position (from 1) of the page's first row in the whole list; 0 if empty."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.size + len(self.items)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and a few around this one; None
        stands for a gap ("…")."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        shown: list[int | None] = []
        for n in numbers:
            if shown and n - shown[-1] > 1:
                shown.append(None)
            shown.append(n)
        return shown


def page_args(args: Mapping, default_size: int = PAGE_SIZE) -> tuple[int, int]:
    """The page number and size asked for in the query string: `page` (from 1) and
    `per_page` (at most MAX_PAGE_SIZE); anything unreadable gives the first page and
    the default size."""
    number = int_arg(args, "page", 1, high=INT_MAX)
    size = int_arg(args, "per_page", default_size, high=MAX_PAGE_SIZE)
    return number, size


def paginate(stmt: sa.Select, number: int = 1, size: int = PAGE_SIZE,
             searched: bool = False) -> Page:
    """Page `number` of the rows of `stmt` (which must be ordered to a total order, e.g.
    ending in the id), and how many rows there are in all. A number past the end gives
    the last page.

    Two queries: the count, the page (whose sort keeps only the page's rows). With
    `searched` (a filter that must read every row, such as a text search) the total is
    counted in the page's own query by a window function, so the rows are read once,
    not twice; only a page with no rows then asks again."""
    size = max(1, min(size, MAX_PAGE_SIZE))

    def count() -> int:
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0

    def read(query: sa.Select, page_number: int) -> list:
        offset = (page_number - 1) * size
        return list(db.session.execute(query.offset(offset).limit(size)).unique())

    if searched:
        counted = stmt.add_columns(sa.func.count().over().label("rows_in_all"))
        rows = read(counted, number) if number <= INT_MAX // size else []
        total = rows[0][-1] if rows else count()
    else:
        counted, total = stmt, count()
        rows = None
    last = max(1, math.ceil(total / size))
    if rows is None or (not rows and number > last and total):
        number = min(number, last)
        rows = read(counted, number)
    number = min(number, last)
    items = [row[0] for row in rows]
    return Page(items=items, number=number, size=size, total=total)


# ---------------------------------------------------------------- keyset pages


@dataclass
class KeysetPage:
    """A slice of a list read newest first, with the cursors to the newer and the older
    slice (None: there is none)."""

    items: list
    newer: str | None
    older: str | None
    at_start: bool  # the newest rows: no "Newest" link needed


def encode_cursor(values: Sequence) -> str:
    """The opaque cursor for a row's key values (ints and aware datetimes)."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, kinds: Sequence[type]) -> tuple | None:
    """The key values of a cursor made by `encode_cursor`, or None when it is missing,
    unreadable, or its values are not of `kinds` (int, datetime) or out of range."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(plain, list) or len(plain) != len(kinds):
        return None
    values = []
    for value, kind in zip(plain, kinds, strict=True):
        if kind is int:
            if type(value) is not int or not 0 <= value <= INT_MAX:
                return None
        elif kind is datetime:
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                return None
            if value.tzinfo is None or not 1900 <= value.year <= 2200:
                return None
        else:
            return None
        values.append(value)
    return tuple(values)


def _beyond(columns: Sequence, values: Sequence, older: bool):
    """Rows strictly after `values` in the descending order of `columns` (older=True)
    or strictly before them (older=False), spelt so an index on the first column helps."""
    first_bound = columns[0] <= values[0] if older else columns[0] >= values[0]
    alternatives = []
    for i, column in enumerate(columns):
        equal = [c == v for c, v in zip(columns[:i], values[:i], strict=True)]
        alternatives.append(sa.and_(*equal, column < values[i] if older else column > values[i]))
    return sa.and_(first_bound, sa.or_(*alternatives))


def keyset_page(stmt: sa.Select, columns: Sequence, kinds: Sequence[type],
                after: str | None = None, before: str | None = None,
                size: int = PAGE_SIZE) -> KeysetPage:
    """A slice of `stmt` ordered by `columns` descending (newest first): the first one,
    the one older than the row of cursor `after`, or the one newer than that of cursor
    `before`. One query, however deep in the list."""
    after_key = decode_cursor(after, kinds)
    before_key = decode_cursor(before, kinds) if after_key is None else None
    if before_key is not None:
        ordered = stmt.where(_beyond(columns, before_key, older=False)).order_by(
            *(c.asc() for c in columns))
    else:
        if after_key is not None:
            stmt = stmt.where(_beyond(columns, after_key, older=True))
        ordered = stmt.order_by(*(c.desc() for c in columns))
    rows = list(db.session.scalars(ordered.limit(size + 1)).unique())
    if before_key is not None and not rows:  # nothing newer: the newest are the start
        return keyset_page(stmt, columns, kinds, size=size)
    more, rows = len(rows) > size, rows[:size]

    def key(row) -> str:
        return encode_cursor([getattr(row, c.key) for c in columns])

    if before_key is not None:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = after_key is not None, more
    return KeysetPage(
        items=rows,
        newer=key(rows[0]) if rows and has_newer else None,
        older=key(rows[-1]) if rows and has_older else None,
        at_start=not has_newer,
    )


# ---------------------------------------------------------------- searching


def fold(text: str) -> str:
    """Case- and accent-free text (as lms.courses.services.fold, which this module
    cannot import: the audit log below the courses uses it too)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Every letter a plain letter stands for in a search: itself, its capital, and the
# accented letters of the region's names that fold to it (as `fold` folds them).
_ACCENTED = "áàâäãåāăąćčçďéèêëěēęíìîïīĺľňńñóòôöõőřŕšśşșťţțúùûüűůūýÿžźżйё"
_CYRILLIC = "абвгдежзиклмнопрстуфхцчшщъьюяыэ"
_VARIANTS: dict[str, str] = {}
for _letter in "abcdefghijklmnopqrstuvwxyz" + _CYRILLIC + _ACCENTED + "łøđ":
    for _form in (_letter, _letter.upper()):
        if _form not in _VARIANTS.get(fold(_letter), ""):
            _VARIANTS[fold(_letter)] = _VARIANTS.get(fold(_letter), "") + _form


def word_pattern(word: str) -> str:
    """A regular expression (the same on PostgreSQL and Python's `re`, which SQLite
    uses) that finds a folded word in text with any case and accents: `kovacs` becomes
    `[kK][oóöőOÓÖŐ...][vV]...`. Everything but letters and digits is escaped."""
    out = []
    for c in word:
        if c in _VARIANTS:
            out.append(f"[{_VARIANTS[c]}]")
        elif c.isalnum():  # a letter no capital or accent of ours stands for
            out.append(c)
        else:
            out.append("\\" + c)
    return "".join(out)


def search_words(text: str, max_words: int = 6) -> list[str]:
    """The words of a search box, folded (case- and accent-free), at most `max_words`
    of them and without control characters; empty when there is nothing to look for."""
    cleaned = "".join(c for c in text[:200] if c.isprintable())
    return fold(cleaned).split()[:max_words]


def matching_all(words: Sequence[str], *columns):
    """Each (folded) word appears in one of `columns` (text, never NULL), whatever its
    case and accents there. One regular expression per word over the columns joined by
    spaces (a word has none, so it cannot straddle two): on PostgreSQL about as cheap as
    `lower(...) LIKE`, where `translate()` over the accented letters was ten times
    dearer. Both read every row: a list searched over 50,000 people would want a
    trigram index."""
    joined = columns[0]
    for column in columns[1:]:
        joined = joined + " " + column
    return sa.and_(*(joined.regexp_match(word_pattern(word)) for word in words))
