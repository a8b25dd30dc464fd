"""RFC 2397 ``data:`` URLs: how both OpenAI dialects carry inline images and
files (Chat ``image_url.url`` / ``file.file_data``, Responses ``image_url`` /
``file_data``; OpenAI guides "Images and vision", "File inputs")."""
import re

_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.S)


def split(url):
    """``(media_type, base64)`` of a base64 data URL, or None for any other URL."""
    match = _DATA_URL.match(url or "")
    if not match or ";base64" not in match["params"]:
        return None
    return match["mime"] or None, match["data"]


def join(media_type, data):
    return f"data:{media_type or 'application/octet-stream'};base64,{data}"
