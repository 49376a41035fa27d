"""Template helpers for list pages built with ``core.listing``."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from core.listing import ListResult

register = template.Library()


@register.simple_tag
def sort_header(listing: ListResult, name: str, label: str) -> str:
    """A column header link that sorts by ``name``; says the direction to screen readers."""
    current = listing.sort.lstrip("-") == name
    if current:
        arrow, state = ("▼", "descending") if listing.sort.startswith("-") else ("▲", "ascending")
        return format_html(
            '<a href="?{}" aria-sort="{}">{} <span aria-hidden="true">{}</span></a>',
            listing.sort_link(name),
            state,
            label,
            arrow,
        )
    return format_html('<a href="?{}">{}</a>', listing.sort_link(name), label)


@register.simple_tag
def page_link(listing: ListResult, number: int) -> str:
    base = listing.querystring
    return f"?{base}&page={number}" if base else f"?page={number}"
