"""The tables of a schema-18 Anki collection (Anki 2.1.50+), as far as the importer reads them,
for tests that build collections of their own."""

SCHEMA_18_TABLES = """
    CREATE TABLE col (id INTEGER PRIMARY KEY, ver INTEGER, models TEXT, decks TEXT,
                      crt INTEGER DEFAULT 0);
    INSERT INTO col (id, ver, models, decks) VALUES (1, 18, '', '');
    CREATE TABLE notetypes (id INTEGER PRIMARY KEY, name TEXT, config BLOB);
    CREATE TABLE fields (ntid INTEGER, ord INTEGER, name TEXT, PRIMARY KEY (ntid, ord));
    CREATE TABLE decks (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE notes (id INTEGER PRIMARY KEY, mid INTEGER, tags TEXT, flds TEXT);
    CREATE TABLE cards (id INTEGER PRIMARY KEY, nid INTEGER, did INTEGER, ord INTEGER,
                        queue INTEGER, type INTEGER DEFAULT 0, ivl INTEGER DEFAULT 0,
                        factor INTEGER DEFAULT 0, due INTEGER DEFAULT 0);
    CREATE TABLE revlog (id INTEGER PRIMARY KEY, cid INTEGER, ease INTEGER, time INTEGER,
                         type INTEGER, lastIvl INTEGER DEFAULT 0, factor INTEGER DEFAULT 0);
"""
