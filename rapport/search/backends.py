"""The two engines behind the one search interface: SQLite FTS5 and PostgreSQL full-text search.

Each index is one table named ``search_<index>``: a row per document (its id is the indexed
object's primary key) with three weighted fields, ``title``, ``keywords`` and ``body``, which
hold the normalised terms of ``rapport.search.text`` (the engines only split on spaces), and
the document's language; an index with ``filters`` has a fourth field of filter tokens
(``filter_token``) that a search can require without ranking by them. On SQLite it is an FTS5 table ranked by BM25; on PostgreSQL a table
with a weighted ``tsvector`` column under a GIN index, ranked by ``ts_rank``. Only this module
writes SQL for search.
"""

from dataclasses import dataclass

from django.db import connection as default_connection

from rapport.search.indexes import get_index

# Weights of title, keywords and body in the ranking.
WEIGHTS = (10.0, 5.0, 1.0)
# Bumped on every write to an index in this process, so cached vocabularies know to refresh.
_generations: dict[str, int] = {}


def generation(name: str) -> int:
    return _generations.get(name, 0)


def _changed(name: str) -> None:
    _generations[name] = _generations.get(name, 0) + 1


@dataclass
class Row:
    """A document as stored: normalised terms (see ``rapport.search.text.document_text``)."""

    id: int
    language: str
    title: str
    keywords: str
    body: str
    filters: str = ""


@dataclass
class Hit:
    id: int
    score: float


def filter_token(key: str) -> str:
    """Return the index token for filter ``key`` (letters and digits only, never a word)."""
    cleaned = "".join(ch for ch in key.lower() if ch.isascii() and ch.isalnum())
    if not cleaned:
        raise ValueError(f"bad filter {key!r}")
    return f"zz{cleaned}"


def _has_filters(name: str) -> bool:
    return get_index(name).filters


def table(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"bad index name {name!r}")
    return f"search_{name}"


def _vendor(connection) -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"search needs SQLite or PostgreSQL, not {connection.vendor}")
    return connection.vendor


# --- Schema (used by migrations) --------------------------------------------------------------


def create_index(name: str, connection=default_connection) -> None:
    quoted = connection.ops.quote_name(table(name))
    filters = _has_filters(name)
    with connection.cursor() as cursor:
        if _vendor(connection) == "sqlite":
            cursor.execute(
                f"CREATE VIRTUAL TABLE {quoted} USING fts5("
                f"title, keywords, body, {'filters, ' if filters else ''}language UNINDEXED,"
                " tokenize = 'unicode61 remove_diacritics 0')"
            )
        else:
            cursor.execute(
                f"CREATE TABLE {quoted} (id bigint PRIMARY KEY, language varchar(16) NOT NULL,"
                " title text NOT NULL, keywords text NOT NULL, body text NOT NULL,"
                f"{' filters text NOT NULL,' if filters else ''} vector tsvector NOT NULL)"
            )
            index = connection.ops.quote_name(f"{table(name)}_vector")
            cursor.execute(f"CREATE INDEX {index} ON {quoted} USING gin (vector)")


def drop_index(name: str, connection=default_connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table(name))}")


# --- Writing -----------------------------------------------------------------------------------


def delete(name: str, ids: list[int], connection=default_connection) -> None:
    if not ids:
        return
    _changed(name)
    quoted = connection.ops.quote_name(table(name))
    key = "rowid" if _vendor(connection) == "sqlite" else "id"
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {quoted} WHERE {key} = %s", [[i] for i in ids])  # noqa: S608


def replace(name: str, rows: list[Row], connection=default_connection) -> None:
    """Store ``rows``, replacing earlier versions of the same documents."""
    if not rows:
        return
    delete(name, [row.id for row in rows], connection)
    quoted = connection.ops.quote_name(table(name))
    filters = _has_filters(name)
    columns = ["language", "title", "keywords", "body"] + (["filters"] if filters else [])
    values = [[r.id, r.language, r.title, r.keywords, r.body] for r in rows]
    if filters:
        values = [v + [r.filters] for v, r in zip(values, rows, strict=True)]
    marks = ", ".join(["%s"] * (len(columns) + 1))
    with connection.cursor() as cursor:
        if _vendor(connection) == "sqlite":
            cursor.executemany(
                f"INSERT INTO {quoted} (rowid, {', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                values,
            )
        else:
            vector = (
                "setweight(to_tsvector('simple', %s), 'A')"
                " || setweight(to_tsvector('simple', %s), 'B')"
                " || setweight(to_tsvector('simple', %s), 'C')"
            )
            if filters:
                vector += " || setweight(to_tsvector('simple', %s), 'D')"
            cursor.executemany(
                f"INSERT INTO {quoted} (id, {', '.join(columns)}, vector)"  # noqa: S608
                f" VALUES ({marks}, {vector})",
                [v + v[2:] for v in values],
            )


def optimize(name: str, connection=default_connection) -> None:
    """Merge the index's segments after a bulk load (SQLite FTS5; PostgreSQL needs nothing):
    each word is then one lookup, not one per segment."""
    if _vendor(connection) == "sqlite":
        quoted = connection.ops.quote_name(table(name))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {quoted}({quoted}) VALUES ('optimize')")  # noqa: S608


def clear(name: str, connection=default_connection) -> None:
    _changed(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(table(name))}")  # noqa: S608


def count(name: str, connection=default_connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table(name))}")  # noqa: S608
        return cursor.fetchone()[0]


# --- Reading -----------------------------------------------------------------------------------


# Fields a search looks in: the whole text, or only the title and keywords (the first tier).
ALL_FIELDS = "all"
HEAD_FIELDS = "head"
# With filters, the best ``limit`` x this many documents are first read without them.
PROBE = 4


def _fts5_query(
    groups: list[list[str]], filters: list[str], fields: str = ALL_FIELDS, match: str = "all"
) -> str:
    def quote(term: str) -> str:
        # An alternative of several parts (a split compound) needs every part.
        parts = ['"{}"'.format(p.replace('"', '""')) for p in term.split()]
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    # Words are looked for in the text fields only, never among the filter tokens.
    scope = "{title keywords} : " if fields == HEAD_FIELDS else "{title keywords body} : "
    parts = [scope + "(" + " OR ".join(quote(t) for t in group) + ")" for group in groups]
    text = (" AND " if match == "all" else " OR ").join(parts)
    if match != "all" and len(parts) > 1:
        text = f"({text})"
    return " AND ".join([text, *(f'filters : "{token}"' for token in filters)])


def _tsquery(
    groups: list[list[str]], filters: list[str], fields: str = ALL_FIELDS, match: str = "all"
) -> str:
    # Weights: title A, keywords B, body C, filter tokens D.
    weights = ":AB" if fields == HEAD_FIELDS else ":ABC"

    def quote(term: str) -> str:
        parts = [
            "'{}'".format(p.replace("'", "''").replace("\\", "")) + weights for p in term.split()
        ]
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

    parts = ["(" + " | ".join(quote(t) for t in group) + ")" for group in groups]
    text = (" & " if match == "all" else " | ").join(parts)
    if match != "all" and len(parts) > 1:
        text = f"({text})"
    return " & ".join([text, *(f"'{token}':D" for token in filters)])


def search(
    name: str,
    groups: list[list[str]],
    *,
    limit: int,
    order: str = "rank",
    filters: list[str] | None = None,
    match: str = "all",
    connection=default_connection,
) -> list[Hit]:
    """Return documents with a term of every group (``match="any"``: of any group) and every
    filter key, best first (``order="rank"``) or newest first (``order="id"``: highest id
    first, without ranking). A term with spaces needs each of its parts.

    Ranking has two tiers: documents whose title and keywords alone hold the query (every
    group, or any with ``match="any"``) come first, by BM25 (``ts_rank`` on PostgreSQL);
    then the others, by the same score over all fields. ``Hit.score`` is the score within
    the tier. Only the tier needed is ranked, so a common word found in 15,000 texts but
    5,000 titles ranks 5,000 documents.

    With filters, the best ``limit * PROBE`` documents are first found without them and
    checked against the stored filter tokens: the filter keys that almost every document
    carries (published, public) would otherwise cost a long list merge on every search.
    When too few pass (a rare filter), the search runs again with the filters in the query.
    The result is the same either way.
    """
    groups = [[" ".join(t.split()) for t in group if t and t.strip()] for group in groups]
    groups = [group for group in groups if group]
    if not groups or limit <= 0:
        return []
    tokens = [filter_token(key) for key in filters or ()]
    if tokens and not _has_filters(name):
        raise ValueError(f"index {name!r} has no filters")
    with connection.cursor() as cursor:
        if order == "id":
            return _newest(cursor, name, groups, tokens, match, limit, connection)
        if tokens:
            probe = _ranked(cursor, name, groups, [], match, limit * PROBE, connection)
            kept = _carrying(cursor, name, probe, tokens, connection)
            if len(kept) >= limit or len(probe) < limit * PROBE:
                return kept[:limit]
        return _ranked(cursor, name, groups, tokens, match, limit, connection)


def _newest(cursor, name, groups, tokens, match, limit, connection) -> list[Hit]:
    quoted = connection.ops.quote_name(table(name))
    if _vendor(connection) == "sqlite":
        sql = (
            f"SELECT rowid, 0 FROM {quoted} WHERE {quoted} MATCH %s"  # noqa: S608
            " ORDER BY rowid DESC LIMIT %s"
        )
        cursor.execute(sql, [_fts5_query(groups, tokens, ALL_FIELDS, match), limit])
    else:
        sql = (
            f"SELECT id, 0 FROM {quoted} WHERE vector @@ to_tsquery('simple', %s)"  # noqa: S608
            " ORDER BY id DESC LIMIT %s"
        )
        cursor.execute(sql, [_tsquery(groups, tokens, ALL_FIELDS, match), limit])
    return [Hit(id=row[0], score=0.0) for row in cursor.fetchall()]


def _ranked(cursor, name, groups, tokens, match, limit, connection) -> list[Hit]:
    """The best ``limit`` documents: the first tier (title and keywords), then the rest."""
    hits = _rank_query(cursor, name, groups, tokens, match, limit, HEAD_FIELDS, connection)
    if len(hits) < limit:
        hits += _rank_query(
            cursor, name, groups, tokens, match, limit - len(hits), ALL_FIELDS, connection
        )
    return hits


def _rank_query(cursor, name, groups, tokens, match, limit, fields, connection) -> list[Hit]:
    """Rank one tier: ``HEAD_FIELDS`` matches, or ``ALL_FIELDS`` matches that are not."""
    quoted = connection.ops.quote_name(table(name))
    if _vendor(connection) == "sqlite":
        zeros = (0.0, 0.0) if _has_filters(name) else (0.0,)
        weights = ", ".join(str(w) for w in (*WEIGHTS, *zeros))
        query = _fts5_query(groups, tokens, fields, match)
        if fields == ALL_FIELDS:
            query = f"({query}) NOT ({_fts5_query(groups, [], HEAD_FIELDS, match)})"
        sql = (
            f"SELECT rowid, -bm25({quoted}, {weights}) AS score FROM {quoted}"  # noqa: S608
            f" WHERE {quoted} MATCH %s ORDER BY score DESC, rowid DESC LIMIT %s"
        )
        cursor.execute(sql, [query, limit])
    else:
        # Weights of D, C, B, A: body (C), keywords (B) and title (A) as in WEIGHTS.
        top = max(WEIGHTS)
        weights = "{" + ", ".join(["0", *(str(w / top) for w in reversed(WEIGHTS))]) + "}"
        condition = "vector @@ query"
        params = [weights, _tsquery(groups, tokens, fields, match)]
        if fields == ALL_FIELDS:
            condition += " AND NOT vector @@ to_tsquery('simple', %s)"
            params.append(_tsquery(groups, [], HEAD_FIELDS, match))
        sql = (
            f"SELECT id, ts_rank(%s::float4[], vector, query) AS score"  # noqa: S608
            f" FROM {quoted}, to_tsquery('simple', %s) query WHERE {condition}"
            " ORDER BY score DESC, id DESC LIMIT %s"
        )
        cursor.execute(sql, [*params, limit])
    return [Hit(id=row[0], score=float(row[1])) for row in cursor.fetchall()]


def _carrying(cursor, name, hits, tokens, connection) -> list[Hit]:
    """Keep the hits whose stored filter tokens include all of ``tokens``, in order."""
    if not hits:
        return []
    quoted = connection.ops.quote_name(table(name))
    key = "rowid" if _vendor(connection) == "sqlite" else "id"
    marks = ", ".join(["%s"] * len(hits))
    cursor.execute(
        f"SELECT {key}, filters FROM {quoted} WHERE {key} IN ({marks})",  # noqa: S608
        [hit.id for hit in hits],
    )
    carried = {row[0]: set(row[1].split()) for row in cursor.fetchall()}
    wanted = set(tokens)
    return [hit for hit in hits if wanted <= carried.get(hit.id, set())]


def vocabulary(name: str, connection=default_connection) -> list[str]:
    """Return the distinct terms of index ``name``'s title, keywords and body."""
    quoted_name = table(name)
    with connection.cursor() as cursor:
        if _vendor(connection) == "sqlite":
            vocab = connection.ops.quote_name(f"{quoted_name}_vocab")
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab}"
                f" USING fts5vocab(main, {connection.ops.quote_name(quoted_name)}, 'col')"
            )
            cursor.execute(
                f"SELECT DISTINCT term FROM temp.{vocab}"  # noqa: S608
                " WHERE col IN ('title', 'keywords', 'body')"
            )
        else:
            inner = f"SELECT vector FROM {connection.ops.quote_name(quoted_name)}"  # noqa: S608
            cursor.execute("SELECT word FROM ts_stat(%s, 'ABC')", [inner])
        return [row[0] for row in cursor.fetchall()]
