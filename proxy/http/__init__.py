"""The serving process: the gunicorn worker and the Flask app.

``worker`` is the gevent pywsgi worker (strict HTTP/1 heads, idle keep-alive
timeout); ``server`` builds the app and routes the four front doors, model
lists, /healthz and /v0/pool; ``front`` parses a client request into a
FrontRequest; ``lifecycle`` finishes every request exactly once;
``disconnect`` notices hang-ups; ``model_lists`` answers /v1/models in each
dialect; ``banner`` and ``portcheck`` serve gunicorn.conf.py at start-up.
The top serving layer: may import everything except ``proxy.cli``.
"""
