"""Placeholder: being written (see ARCHITECTURE.md)."""


class StreamDecoder:
    def feed(self, event_name, data):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError


class StreamEncoder:
    def __init__(self, model, request):
        raise NotImplementedError
