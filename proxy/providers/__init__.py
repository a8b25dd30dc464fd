"""The upstream side of one call: provider kinds, credentials, transport.

``kinds`` declares every provider kind as data (dialect, base URL, paths,
how it authenticates); ``credentials`` builds the pool's Credentials from
the config's provider sections, ``byok`` one from a client's own key;
``endpoints`` and ``headers`` say where a call goes and with which headers;
``upstream`` is the only module that talks HTTP to a provider.  May import
``proxy.wire`` and ``proxy.errors``; never routing, relay or anything above.
"""
