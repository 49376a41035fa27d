"""The model backend reads a person's permissions in one query, and the same set as Django's two."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from access.backends import ExpiringGrantsModelBackend
from access.models import User
from tests.conftest import PERSONAS


def _fresh(user: User) -> User:
    """The user as a request loads them (roles read with the user)."""
    loaded = ExpiringGrantsModelBackend().get_user(user.pk)
    assert loaded is not None
    return loaded  # type: ignore[no-any-return]


def test_the_same_permissions_as_djangos_backend(personas: Any) -> None:
    for name in PERSONAS:
        user = personas[name]
        if name == "employee_emil":  # a permission of the account's own, beside its roles'
            user.user_permissions.add(Permission.objects.get(codename="view_risk"))
        ours = ExpiringGrantsModelBackend().get_all_permissions(_fresh(user))
        djangos = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
        assert ours == djangos, name
        assert ours, name
    assert "governance.view_risk" in ExpiringGrantsModelBackend().get_all_permissions(_fresh(personas["employee_emil"]))


def test_one_query_then_none(personas: Any, django_assert_num_queries: Any) -> None:
    user = _fresh(personas["officer_olga"])
    backend = ExpiringGrantsModelBackend()
    with django_assert_num_queries(1):
        first = backend.get_all_permissions(user)
    with django_assert_num_queries(0):
        assert backend.get_all_permissions(user) == first
        assert user.has_perm("governance.view_control")


def test_inactive_people_and_objects_get_none(personas: Any) -> None:
    user = _fresh(personas["officer_olga"])
    user.is_active = False
    assert ExpiringGrantsModelBackend().get_all_permissions(user) == set()
    active = _fresh(personas["officer_olga"])
    assert ExpiringGrantsModelBackend().get_all_permissions(active, obj=personas["owner_omar"]) == set()


def test_a_superuser_holds_every_permission(personas: Any) -> None:
    user = personas["admin_alice"]
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    assert len(ExpiringGrantsModelBackend().get_all_permissions(_fresh(user))) == Permission.objects.count()


def test_a_token_owner_without_roles_read_costs_one_query(personas: Any, django_assert_num_queries: Any) -> None:
    user = User.objects.get(pk=personas["officer_olga"].pk)  # as a token loads its owner: roles not read
    with django_assert_num_queries(1):
        permissions = ExpiringGrantsModelBackend().get_all_permissions(user)
    assert permissions == ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
