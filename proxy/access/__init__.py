"""Who may call the gateway.

``auth`` holds the client API keys (``api-keys``) and checks them in
constant time, whichever header the client's SDK uses; ``peers`` is the one
decision whether a peer counts as loopback / a trusted proxy (for /v0/pool,
/metrics, management and the dashboard).  Imports only ``proxy.errors``.
"""
