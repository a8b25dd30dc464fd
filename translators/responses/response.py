"""Placeholder: being written (see ARCHITECTURE.md)."""


def parse_response(body):
    raise NotImplementedError


def render_response(ir, model, request):
    raise NotImplementedError


def parse_usage(obj):
    raise NotImplementedError


def render_count_tokens(n):
    raise NotImplementedError
