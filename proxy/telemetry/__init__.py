"""What happened: per-request records and where they go.

``request_observer`` gives each request a RequestObserver that feeds
``usage_store`` (SQLite, or ``usage_postgres`` with the SQL files in
``migrations/``), ``metrics`` (Prometheus), ``access_log`` (one line per
request, secrets masked) and ``live_feed`` (the last requests, for live
watchers).  Written after the last byte is sent, off the latency path.
May import runtime and below; nothing here is imported by relay or routing.
"""
