"""Signing subscription accounts in: OAuth login flows, imports of the
vendors' own CLI logins, and the CLIProxyAPI-format auth files they write.

Layers, top down: ``flow`` (authorization code + PKCE, pasted redirect,
device code) and ``imports`` use ``providers`` (the per-provider facts as
data), ``records`` (token response -> auth-file record) and ``authfile``
(atomic 0600 writes into ``auth-dir``).
"""
