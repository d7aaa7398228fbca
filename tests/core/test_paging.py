"""The paging helper: cursors that survive the trip through a URL and refuse forgeries,
page windows, and the folded search in SQL on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from lms.auth.models import User
from lms.paging import (
    Page,
    decode_cursor,
    encode_cursor,
    matching_all,
    paginate,
    search_words,
    word_pattern,
)


def test_a_cursor_comes_back_as_it_went():
    moment = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)
    cursor = encode_cursor([moment, 42])
    assert cursor.isascii() and "=" not in cursor
    assert decode_cursor(cursor, (datetime, int)) == (moment, 42)
    assert decode_cursor(encode_cursor([7]), (int,)) == (7,)


@pytest.mark.parametrize("values, kinds", [
    (["not a date", 1], (datetime, int)),
    (["2026-03-29T00:59:59", 1], (datetime, int)),  # naive: refused, not guessed
    (["9999-12-31T23:59:59+00:00", 1], (datetime, int)),
    ([1.5], (int,)), ([-1], (int,)), ([2**31], (int,)), ([True], (int,)), (["1"], (int,)),
    ([1, 2], (int,)), ([], (int,)), ({"a": 1}, (int,)),
])
def test_a_forged_cursor_is_refused(values, kinds):
    import base64
    import json

    raw = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    assert decode_cursor(raw, kinds) is None


@pytest.mark.parametrize("raw", [None, "", "!!!", "a" * 201, "ű", "\x00", "e30", "bnVsbA"])
def test_an_unreadable_cursor_is_none(raw):
    assert decode_cursor(raw, (int,)) is None


def test_a_cursor_keeps_the_instant_whatever_its_zone():
    there = datetime(2026, 10, 25, 3, 30, tzinfo=timezone(timedelta(hours=3)))
    (back,) = decode_cursor(encode_cursor([there]), (datetime,))
    assert back == there


def test_the_page_window_shows_the_ends_and_the_neighbours():
    page = Page(items=[1], number=10, size=50, total=50 * 40)
    assert page.window() == [1, None, 8, 9, 10, 11, 12, None, 40]
    assert Page(items=[1], number=1, size=50, total=120).window() == [1, 2, 3]
    assert Page(items=[], number=1, size=50, total=0).pages == 1


def test_search_words_are_folded_and_limited():
    assert search_words("  Kovács\x00 ÁGNES ") == ["kovacs", "agnes"]
    assert search_words("a b c d e f g h") == ["a", "b", "c", "d", "e", "f"]
    assert search_words("\x00\x07") == []


def test_folded_text_matches_in_the_database(db, make_user):
    make_user(full_name="Őri Ürsula", organisation="Szociális Alapellátó Központ")
    make_user(full_name="Йордан Иванов", organisation="Читалище")
    for q, name in [("ori ursula", "Őri Ürsula"), ("SZOCIALIS", "Őri Ürsula"),
                    ("йордан", "Йордан Иванов"), ("ЧИТАЛИЩЕ", "Йордан Иванов")]:
        stmt = sa.select(User.full_name).where(
            matching_all(search_words(q), User.full_name, User.organisation))
        assert db.session.scalars(stmt).all() == [name], q


@pytest.mark.parametrize("word", ["50%", "a_b", "x.y", "(", "[a]", "\\", "a|b", "^$", "*+?", "{2}",
                                  "łódź", "Ørsted"])
def test_search_patterns_take_every_character_literally(db, make_user, word):
    user = make_user(full_name=f"Name {word} End")
    make_user(full_name="Name zzz End")
    stmt = sa.select(User.id).where(matching_all(search_words(word), User.full_name))
    assert db.session.scalars(stmt).all() == [user.id], word_pattern(search_words(word)[0])


@pytest.mark.parametrize("searched, statements_per_page", [(False, 2), (True, 1)])
def test_paginate_counts_and_clamps_the_page(db, make_user, query_counter, searched,
                                             statements_per_page):
    for n in range(5):
        make_user(full_name=f"Person {n}")
    stmt = sa.select(User).order_by(User.full_name, User.id)
    with query_counter() as statements:
        page = paginate(stmt, number=2, size=2, searched=searched)
    assert len(statements) == statements_per_page
    assert (page.number, page.pages, page.total) == (2, 3, 5)
    assert [u.full_name for u in page.items] == ["Person 2", "Person 3"]
    page = paginate(stmt, number=99, size=2, searched=searched)
    assert (page.number, page.pages, page.total) == (3, 3, 5)
    assert [u.full_name for u in page.items] == ["Person 4"]
    assert (page.first_index, page.last_index) == (5, 5)
    page = paginate(stmt.where(User.full_name == "nobody"), number=3, size=2, searched=searched)
    assert (page.number, page.pages, page.total, page.items) == (1, 1, 0, [])


def test_keyset_slices_walk_back_and_forth(db, make_user):
    from lms.paging import keyset_page

    users = [make_user(full_name=f"Person {n}") for n in range(7)]
    stmt = sa.select(User)
    ids = [u.id for u in reversed(users)]

    def slice_ids(**cursor):
        found = keyset_page(stmt, (User.id,), (int,), size=3, **cursor)
        return [u.id for u in found.items], found

    first, start = slice_ids()
    assert first == ids[:3] and start.at_start and start.newer is None
    second, middle = slice_ids(after=start.older)
    assert second == ids[3:6] and not middle.at_start
    third, end = slice_ids(after=middle.older)
    assert third == ids[6:] and end.older is None
    assert slice_ids(before=end.newer)[0] == second
    assert slice_ids(before=middle.newer)[0] == first
    # A cursor beyond the newest row: the newest rows, as at the start.
    newest, again = slice_ids(before=encode_cursor([ids[0] + 100]))
    assert newest == first and again.at_start
