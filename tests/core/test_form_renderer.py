"""Selects drawn in Python (``core.form_renderer``) are character for character Django's own."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from core.form_renderer import FastSelectRenderer


class _Picked(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "Alpha"), ("b", "Beta")], initial="b")
    escaped = forms.ChoiceField(
        choices=[('x"><script>', "<b>bold</b> & co"), ("", "---------")],
        widget=forms.Select(attrs={"class": "form-select", "data-x": 'say "hi"', "disabled": True, "hidden": False}),
    )
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("Veg", [("leek", "Leek")]), ("none", "None")],
        initial="pear",
    )
    many = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two"), (3, "Three")], initial=[1, 3])
    yes_no = forms.NullBooleanField()
    empty = forms.ChoiceField(choices=[], required=False)
    numbers = forms.TypedChoiceField(choices=[(10, "Ten"), (20, "Twenty")], coerce=int, initial=20)
    other_template = forms.ChoiceField(choices=[("a", "A")], widget=_Picked)


@pytest.mark.parametrize("name", list(Everything.base_fields))
def test_the_same_markup_as_the_templates(name: str) -> None:
    def drawn(renderer: Any) -> str:
        return str(Everything(renderer=renderer)[name])

    fast, reference = drawn(FastSelectRenderer()), drawn(DjangoTemplates())
    assert fast == reference
    assert "<select" in fast or name == "other_template"


def test_bound_values_are_selected_and_escaped() -> None:
    form = Everything(data={"plain": "a", "many": ["2"], "escaped": 'x"><script>'}, renderer=FastSelectRenderer())
    html = str(form["plain"]) + str(form["many"]) + str(form["escaped"])
    assert '<option value="a" selected>Alpha</option>' in html
    assert '<option value="2" selected>Two</option>' in html
    assert "<script>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    assert str(form["escaped"]) == str(Everything(data=form.data, renderer=DjangoTemplates())["escaped"])


def test_the_project_draws_selects_with_it(settings: Any) -> None:
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FastSelectRenderer)
    assert settings.FORM_RENDERER == "core.form_renderer.FastSelectRenderer"
