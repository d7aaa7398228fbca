"""The audit log's hash chain: one global chain, in the order entries were committed.

Each entry carries `seq` (1, 2, 3... with no gap) and `hash`, the SHA-256 (hex)
of a canonical JSON of its fields and of the previous entry's hash (the first
entry's "previous" is 64 zeros). Altering an entry breaks its own hash; removing
one leaves a gap in `seq`; reordering breaks the links. `verify_chain` recomputes
it all (`flask audit verify`).

One global chain rather than one per centre: an entry (a login, a centre's own
change, a network administrator's export) does not always belong to one centre,
and one head is one number to print on evidence.

Entries are written unchained during a transaction and chained just before it
commits. Concurrent committers queue for the head: on PostgreSQL a transaction
advisory lock (held until the commit, so the next one reads this one's head); on
SQLite the database's write lock, which any writer of an entry already holds.
The lock is taken last, when the transaction waits for nothing else any more,
so it cannot deadlock with the row locks of seats and enrolments; the unique
`seq` makes a fork impossible even if the lock were ever missing.

What the chain proves: no committed entry was altered, removed or reordered
after the fact, up to the head. It does not prove that the newest entries were
not cut off, nor stop someone with write access to the database from
recomputing the whole chain: record the head elsewhere (e.g. in an evidence
pack) to pin it.
"""

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from lms.audit.models import AuditEntry
from lms.clock import as_utc

GENESIS = "0" * 64
# Fields the hash covers, in the canonical JSON (keys sorted).
HASHED = (
    "seq", "at", "actor_id", "action", "event", "entity", "entity_id", "label",
    "changes", "reason", "endpoint",
)
# Any number; the same in every process that writes the log.
CHAIN_LOCK = 0x466F72726173  # "Forras"
UNCHAINED = "audit_unchained"  # session.info: this transaction wrote entries
BATCH = 1000

_columns = [getattr(AuditEntry, name) for name in ("id", *HASHED, "hash")]


def canonical(fields: Mapping) -> str:
    """The text an entry's hash covers: its fields as JSON, keys sorted, no spaces."""
    plain = {name: fields[name] for name in HASHED}
    plain["at"] = as_utc(plain["at"]).isoformat(timespec="microseconds")
    plain["changes"] = plain["changes"] or {}
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: Mapping, previous: str) -> str:
    """The link of one entry: SHA-256 of the previous hash and the entry's canonical JSON."""
    return hashlib.sha256(f"{previous}\n{canonical(fields)}".encode()).hexdigest()


def mark_unchained(session: OrmSession) -> None:
    """Note that this transaction wrote entries, to be chained when it commits."""
    session.info[UNCHAINED] = True


def head(connection: sa.Connection) -> tuple[int, str]:
    """The last chained entry's number and hash; (0, GENESIS) for an empty log."""
    row = connection.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def chain_pending(connection: sa.Connection) -> int:
    """Give every unchained entry visible here its number and hash, oldest first;
    the caller holds the chain lock (see `lock_chain`). Returns how many."""
    seq, previous = head(connection)
    done = 0
    while True:
        rows = connection.execute(
            sa.select(*_columns)
            .where(AuditEntry.seq.is_(None))
            .order_by(AuditEntry.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return done
        links = []
        for row in rows:
            seq += 1
            previous = entry_hash({**row._mapping, "seq": seq}, previous)
            links.append({"entry_id": row.id, "new_seq": seq, "new_hash": previous})
        connection.execute(
            sa.update(AuditEntry.__table__)
            .where(AuditEntry.__table__.c.id == sa.bindparam("entry_id"))
            .values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash")),
            links,
        )
        done += len(rows)


def lock_chain(connection: sa.Connection) -> None:
    """Queue for the head until this transaction ends (PostgreSQL; SQLite's write
    lock, held by whoever wrote an entry, already serialises)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))


@event.listens_for(OrmSession, "before_commit")
def _chain_before_commit(session: OrmSession) -> None:
    if not session.info.get(UNCHAINED):
        return
    session.flush()  # the last changes' entries first (commit would flush after us)
    connection = session.connection()
    lock_chain(connection)
    chain_pending(connection)
    session.info.pop(UNCHAINED, None)


@event.listens_for(OrmSession, "after_rollback")
def _forget_unchained(session: OrmSession) -> None:
    session.info.pop(UNCHAINED, None)


# ---------------------------------------------------------------- verifying


@dataclass
class Verdict:
    """What `verify_chain` found: ok, or the first entry that breaks the chain."""

    ok: bool
    count: int
    head: str
    seq: int | None = None  # the place where the chain breaks
    entry_id: int | None = None
    problem: str = ""  # "altered", "missing", "unchained"


def _rows(connection: sa.Connection) -> Iterator[sa.Row]:
    last = 0
    while True:
        rows = connection.execute(
            sa.select(*_columns)
            .where(AuditEntry.seq > last)
            .order_by(AuditEntry.seq)
            .limit(BATCH)
        ).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = rows[-1].seq


def verify_chain(connection: sa.Connection) -> Verdict:
    """Recompute the chain from the first entry; stop at the first one that was
    altered (or moved), the first number missing, or a committed entry left unchained."""
    previous, expected = GENESIS, 1
    for row in _rows(connection):
        if row.seq != expected:
            return Verdict(False, expected - 1, previous, expected, None, "missing")
        if entry_hash(row._mapping, previous) != row.hash:
            return Verdict(False, expected - 1, previous, row.seq, row.id, "altered")
        previous, expected = row.hash, expected + 1
    loose = connection.scalar(
        sa.select(sa.func.min(AuditEntry.id)).where(AuditEntry.seq.is_(None))
    )
    if loose is not None:
        return Verdict(False, expected - 1, previous, None, loose, "unchained")
    return Verdict(True, expected - 1, previous)
