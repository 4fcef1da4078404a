"""Markdown tables for the report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str) -> str:
    """A Markdown table; `align` has one letter a column, "l" (text) or "r" (figures)."""
    rule = {"l": "---", "r": "---:"}
    lines = [_row(header), f"|{'|'.join(rule[a] for a in align)}|", *map(_row, rows)]
    return "\n".join(lines)


def _row(cells: Sequence[object]) -> str:
    return "|" + "|".join(f" {cell} " if cell != "" else " " for cell in cells) + "|"
