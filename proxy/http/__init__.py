"""The serving process: the gunicorn worker and the Flask app.

``worker`` is the gevent pywsgi worker (strict HTTP/1 heads, idle keep-alive
timeout); ``doors`` answers POSTs to the four front doors ahead of Flask and
``generate`` serves them; ``server`` builds the Flask app for the rest (model
lists, /healthz, /v0/pool, management, dashboard); ``front`` holds the
FrontRequest; ``lifecycle`` finishes every request exactly once;
``disconnect`` notices hang-ups; ``model_lists`` answers /v1/models in each
dialect; ``banner``, ``heap``, ``portcheck`` and ``stalls`` (an opt-in log of
what holds the event loop) serve gunicorn.conf.py at start-up.
The top serving layer: may import everything except ``proxy.cli``.
"""
