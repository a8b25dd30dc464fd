"""Placeholder: being written (see ARCHITECTURE.md)."""


def parse_request(body):
    raise NotImplementedError


def render_request(ir, model):
    raise NotImplementedError
