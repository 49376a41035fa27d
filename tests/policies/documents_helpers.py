"""Helpers of the policy-document tests: a second officer, and policies in each state."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group

from access.models import Role, User
from policies.models import Policy, PolicyVersion
from policies.services import documents as services
from tests.conftest import persona_password_hash

BODY = "# Acceptable use\n\nLock your screen.\n\nReport lost laptops at once.\n"


def make_user(email: str, role: str, *, full_name: str = "") -> User:
    user = User(email=email, full_name=full_name or email.split("@")[0].title())
    user.password = persona_password_hash()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def second_officer() -> User:
    return make_user("officer_otto@example.test", Role.COMPLIANCE_OFFICER, full_name="Otto Officer")


def draft_policy(
    author: User, *, title: str = "Acceptable use policy", roles: Iterable[str] = (Role.EMPLOYEE,), body: str = BODY
) -> Policy:
    return services.create_policy(
        actor=author, title=title, body=body, audience_roles=Group.objects.filter(name__in=list(roles))
    )


def publish(version: PolicyVersion, author: User, approver: User) -> PolicyVersion:
    services.submit_for_review(actor=author, version=version)
    services.approve_version(actor=approver, version=version)
    return services.publish_version(actor=approver, version=version)


def published_policy(author: User, approver: User, **kwargs: object) -> Policy:
    policy = draft_policy(author, **kwargs)  # type: ignore[arg-type]
    publish(policy.versions.get(number=1), author, approver)
    return policy
