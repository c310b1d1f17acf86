-- The knowledge base (docs/knowledge.md): articles imported from Markdown, HTML or JSON, which
-- real-time assist suggests to agents. An article's id is its identity across imports: importing it
-- again updates it in place. content_sha256 covers everything an import sets (title, body, url,
-- collection, tags), so an unchanged article is told apart without comparing its text.
CREATE TABLE kb_articles (
    id              VARCHAR PRIMARY KEY,
    title           VARCHAR NOT NULL,
    body            VARCHAR NOT NULL,          -- plain text: markup removed on import
    url             VARCHAR,
    collection      VARCHAR,                   -- a brand, product line or queue; NULL: none
    tags            VARCHAR[] NOT NULL,
    source          VARCHAR NOT NULL,          -- the file (or API upload) it was last imported from
    content_sha256  VARCHAR NOT NULL,
    imported_at     TIMESTAMPTZ NOT NULL,      -- first imported
    updated_at      TIMESTAMPTZ NOT NULL       -- last changed (an unchanged re-import keeps it)
);
