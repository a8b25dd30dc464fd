"""Subscription accounts from an auth directory of token files.

CLIProxyAPI-compatible: every ``*.json`` under ``auth-dir`` is one account,
its ``type`` picks the provider.  One module per job: ``authfile`` (the
file format and credentials built from it), ``token_client`` (OAuth token
endpoints), ``refresher`` (refresh ahead of expiry / on 401, one at a time
per file), ``watcher`` (the directory followed like the config),
``codex_body`` and ``code_assist`` (the wire rules of the ChatGPT backend
and of Google's Code Assist envelope), ``code_assist_setup`` (a Google
account's Code Assist project, found or onboarded) and ``gemini_project``
(found in the background for a Gemini file that names none).
"""
