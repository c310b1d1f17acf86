-- The command centre's people (docs/serve.md#users-and-roles): users with a role, their API tokens,
-- their web sessions and the audit log of who viewed which transcript and who exported what.
-- Passwords are argon2 hashes; tokens and session ids are stored only as SHA-256 digests.
CREATE SEQUENCE user_ids START 1;
CREATE SEQUENCE api_token_ids START 1;
CREATE SEQUENCE audit_ids START 1;

CREATE TABLE users (
    user_id        INTEGER PRIMARY KEY,
    username       VARCHAR NOT NULL UNIQUE,
    display_name   VARCHAR NOT NULL,
    role           VARCHAR NOT NULL,     -- admin, analyst, qa, supervisor, advisor, executive
    teams          VARCHAR[] NOT NULL,   -- a supervisor's teams (agents' team names)
    agent_id       VARCHAR,              -- an advisor's agent id in the interactions
    password_hash  VARCHAR,              -- NULL: no web login (API tokens only)
    disabled       BOOLEAN NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     VARCHAR NOT NULL
);

CREATE TABLE api_tokens (
    token_id       INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL,
    name           VARCHAR NOT NULL,
    token_sha256   VARCHAR NOT NULL UNIQUE,
    created_at     TIMESTAMPTZ NOT NULL,
    last_used_at   TIMESTAMPTZ,
    revoked        BOOLEAN NOT NULL
);

CREATE TABLE web_sessions (
    session_sha256 VARCHAR PRIMARY KEY,
    user_id        INTEGER NOT NULL,
    csrf_token     VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    audit_id       BIGINT PRIMARY KEY,
    logged_at      TIMESTAMPTZ NOT NULL,
    username       VARCHAR NOT NULL,
    role           VARCHAR NOT NULL,
    action         VARCHAR NOT NULL,     -- view_transcript, export, login, login_failed, user_add, …
    resource       VARCHAR,              -- e.g. interaction demo/c-1, export of interactions
    detail         JSON,
    client         VARCHAR               -- the client's address
);
