"""The menu's addresses are worked out once per process, yet follow the prefix Rampart is served under."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory
from django.urls import get_script_prefix, set_script_prefix

from config.context_processors import _menu_url, navigation


def _urls(user: Any, path: str = "/") -> list[str]:
    request = RequestFactory().get(path)
    request.user = user
    items = navigation(request)["nav_items"]
    return [child["url"] for item in items for child in item.get("children", [item])]


def test_the_menu_follows_the_script_prefix(personas: Any) -> None:
    olga = personas["officer_olga"]
    plain = _urls(olga)
    assert "/governance/" in plain
    before = _menu_url.cache_info().hits
    assert _urls(olga) == plain
    assert _menu_url.cache_info().hits >= before + len(plain)  # the second menu reversed nothing
    old = get_script_prefix()
    set_script_prefix("/rampart/")
    try:
        prefixed = _urls(olga)
    finally:
        set_script_prefix(old)
    assert prefixed == [f"/rampart{url}" for url in plain]
    assert _urls(olga) == plain
