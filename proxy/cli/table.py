"""Plain-text tables for the terminal: columns padded, numbers right-aligned."""


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def render(headers, rows):
    """``headers`` and ``rows`` (sequences of values) as lines of text."""
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool)
                   for row in rows if row[i] is not None) and bool(rows)
               for i in range(len(headers))]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *map(line, cells)]


def show(headers, rows, out):
    for text in render(headers, rows):
        print(text, file=out)
