"""What operators change while the gateway runs.

``management`` serves /v0/management/* and /v0/usage; ``auth_files_api``
its auth-file and login routes, with ``login_forwarder`` relaying a login's
browser callback from the provider's loopback port; ``api_keys`` and ``config_writer`` edit the
YAML keeping its comments; ``reload`` and ``accounts_watcher`` watch the
config file and the auth directory and swap a new runtime in atomically.
May import telemetry, runtime and below.
"""
