"""The ``api-keys`` list (client keys) of a round-trip YAML document: view, add, remove.

Shared by the management API and ``switchyard keys``, so both edit the
operator's file the same way (through ``proxy.admin.config_writer``, comments
kept).  A view never holds the key itself: its id and a masked hint.
"""
import secrets

from proxy.access import auth
from proxy.providers import credentials
from proxy.errors import KeyExists, NoSuchKey  # noqa: F401  raised here, caught as api_keys.*


def key_of(entry):
    return entry if isinstance(entry, str) else (entry or {}).get("key", "")


def view(index, entry):
    key = str(key_of(entry) or "")
    loaded = auth.load_keys([{"key": key}]) if key else []
    return {"index": index, "id": loaded[0].key_id if loaded else None,
            "label": "" if isinstance(entry, str) else (entry or {}).get("label", ""),
            "key_hint": credentials.mask(key)}


def views(doc):
    return [view(i, e) for i, e in enumerate(doc.get("api-keys") or [])]


def generate():
    """A new client key: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def add(doc, key, label=""):
    """Append ``key`` (with ``label``) to ``doc``'s api-keys; its view."""
    keys = doc.setdefault("api-keys", [])
    if any(key_of(e) == key for e in keys):
        raise KeyExists("This key is already configured.")
    keys.append({"key": key, "label": label} if label else key)
    return view(len(keys) - 1, keys[-1])


def index_of(items, ref, id_field):
    """Index of the view in ``items`` that ``ref`` names: its index or one of its ids."""
    for item in items:
        ids = item[id_field] if isinstance(item[id_field], list) else [item[id_field]]
        if ref == str(item["index"]) or ref in ids:
            return item["index"]
    raise NoSuchKey(f"No entry {ref!r}.")


def remove(doc, ref):
    """Remove the entry ``ref`` names (index or key id); its view."""
    index = index_of(views(doc), ref, "id")
    return view(index, doc["api-keys"].pop(index))
