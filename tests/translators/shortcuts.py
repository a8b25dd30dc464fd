"""Every shortcut of the translators switched off, so that only their
general paths run: the oracle the memo and fast-path tests compare with."""
from translators import history, tool_memo, turn_memo


def switch_off(patch):
    """Switch every shortcut off with ``patch`` (a pytest ``MonkeyPatch``)."""
    patch.setattr(history, "_in_order", lambda messages: False)
    patch.setattr(tool_memo, "parsed", lambda dialect, tools, parse: parse(tools))
    patch.setattr(tool_memo, "rendered", lambda dialect, tools, render: render(tools))
    patch.setattr(turn_memo, "rendered", lambda key, messages, render, merges: render(messages))
    patch.setattr(turn_memo, "parsed",
                  lambda key, turns, starts, name, parse, last_wins: parse(turns))
