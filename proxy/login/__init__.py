"""Signing subscription accounts in: OAuth login flows and imports of the
vendors' own CLI logins, ending in CLIProxyAPI-format auth-file records.

Layers, top down: ``flow`` (authorization code + PKCE, pasted redirect,
device code) and ``imports`` use ``providers`` (the per-provider facts as
data) and ``records`` (token response -> auth-file record).  The files are
written by ``proxy.accounts.authfile`` (the one writer: atomic, 0600,
merged), token endpoints called through ``proxy.accounts.token_client``.
"""
