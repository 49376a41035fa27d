"""Finding what each of our apps contributes, from the one list of our apps.

``settings.RAMPART_APPS`` names our apps, bottom layer first. Registries (jobs, seeders,
API viewsets, evidence providers) are filled by importing a module of a given name from
each of them, so no registry ever lists the apps again.
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule


def our_app_labels() -> list[str]:
    """The app labels of our apps (the scheduler app's label is ``workbench``)."""
    return [config.label for config in apps.get_app_configs() if config.name in settings.RAMPART_APPS]


def discover_modules(module_name: str) -> None:
    """Import ``<app>.<module_name>`` of every one of our apps that has one."""
    for config in apps.get_app_configs():
        if config.name in settings.RAMPART_APPS and module_has_submodule(config.module, module_name):
            importlib.import_module(f"{config.name}.{module_name}")
