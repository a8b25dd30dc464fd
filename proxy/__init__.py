"""Switchyard: an LLM API gateway (see ARCHITECTURE.md)."""
__version__ = "0.1.0"
