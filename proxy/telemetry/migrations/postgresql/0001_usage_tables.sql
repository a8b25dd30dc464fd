-- Usage records: the columns of proxy/usage_store.py's SQLite tables, typed.
-- Token counts are integer so their SUM comes back as an integer (bigint).
CREATE TABLE IF NOT EXISTS requests (
    request_id            text,
    ts                    double precision NOT NULL,  -- unix seconds
    client_key_id         text,
    actor                 text,
    dialect               text,
    action                text,
    provider              text,
    credential_id         text,
    model                 text,
    upstream_model        text,
    stream                boolean,
    status                integer,
    error_class           text,
    latency_ms            double precision,
    ttft_ms               double precision,
    attempts              integer,
    input_tokens          integer,
    output_tokens         integer,
    cached_tokens         integer,
    cache_creation_tokens integer,
    reasoning_tokens      integer,
    tool_calls            text,                       -- JSON list
    prompt                text
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);

CREATE TABLE IF NOT EXISTS attempts (
    request_id     text,
    ts             double precision NOT NULL,
    seq            integer,
    provider       text,
    credential_id  text,
    upstream_model text,
    status         integer,
    outcome        text,
    error          text,
    latency_ms     double precision
);
CREATE INDEX IF NOT EXISTS attempts_ts ON attempts (ts);
