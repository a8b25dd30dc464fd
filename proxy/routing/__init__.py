"""Which credential serves a request, and which must wait.

``pool`` (CredentialPool) resolves a model to its credentials and picks one,
skipping those cooling down; ``cooldown`` classifies an upstream outcome into
a Decision; ``affinity`` binds sessions to credentials; ``ratelimit_headers``
and ``quota_windows`` read providers' reset signals; ``unavailable`` builds
the error when nothing can serve.  Pool state lives in ``proxy.state``.
May import providers, state, config and the foundation; never relay or above.
"""
