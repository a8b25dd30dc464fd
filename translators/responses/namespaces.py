"""Namespace tools: a Responses ``namespace`` tool groups function and
custom tools under one name (openai SDK ``NamespaceToolParam``; Codex CLI
sends ``multi_agent_v1`` this way), and the model calls a member with a
``function_call`` / ``custom_tool_call`` item carrying ``namespace`` beside
the member's own ``name``.

Other providers only know flat function names, so each member travels as
one function named ``<namespace>__<name>``, Codex's own flat spelling where
a boundary cannot keep the split (codex-rs ``ToolName::canonical_flat_name``:
underscores trimmed around the ``__``).  History items carrying a namespace
are flattened the same way, and calls coming back are split again into the
``name`` + ``namespace`` the client declared.
"""
NAMESPACE = "namespace"
_SEPARATOR = "__"


def flat_name(namespace, name):
    """The one function name a namespaced tool travels under."""
    if not namespace:
        return name
    return f"{namespace.rstrip('_')}{_SEPARATOR}{(name or '').lstrip('_')}"


def members(tool):
    """The member tools of a namespace tool, each renamed to its flat name
    and described with the namespace's description after its own."""
    namespace = tool.get("name") or ""
    about = tool.get("description")
    out = []
    for member in tool.get("tools") or []:
        if not isinstance(member, dict):
            continue
        description = member.get("description") or ""
        if about:
            description = f"{description}\n\n({namespace}: {about})".strip()
        out.append(dict(member, name=flat_name(namespace, member.get("name")),
                        description=description or None))
    return out


def call_namespaces(request):
    """``{flat name: (namespace, name)}`` of the namespaced tools a client's
    Responses request declares."""
    split = {}
    for tool in (request or {}).get("tools") or []:
        if isinstance(tool, dict) and tool.get("type") == NAMESPACE:
            for member in tool.get("tools") or []:
                if isinstance(member, dict):
                    split[flat_name(tool.get("name"), member.get("name"))] = (
                        tool.get("name"), member.get("name"))
    return split


def as_declared(item, namespaces):
    """A call output item spelled as the client declared its tool: a
    namespaced member's call carries the member's name and its namespace."""
    declared = namespaces.get(item.get("name")) if item.get("type", "").endswith("_call") else None
    if declared:
        item["namespace"], item["name"] = declared
    return item


def declared_name(name, namespaces):
    """The name a client declared for the tool called ``name``."""
    return namespaces[name][1] if name in namespaces else name
