"""Segregation-of-duties rules and the exceptions that cover a person's violation for a while."""

from __future__ import annotations

from django.db import transaction

from access.models import User
from core.errors import DomainError
from core.permissions import require_perm
from governance.models import ComplianceException
from reviews.models import SodExemption, SodRule
from reviews.selectors import violators

MANAGE = "reviews.add_sodrule"


def parse_side(text: str) -> tuple[str, str]:
    """``SYSTEM:ENTITLEMENT`` -> (system, entitlement); both must be given."""
    system, sep, entitlement = text.partition(":")
    if not sep or not system.strip() or not entitlement.strip():
        raise DomainError(f"{text!r}: write SYSTEM:ENTITLEMENT, e.g. Payments:approve payment.")
    return system.strip()[:200], entitlement.strip()[:200]


def write_rule(*, name: str, first: str, second: str, description: str = "") -> SodRule:
    """Create the rule (no permission check: for callers that checked it, and the command)."""
    name = name.strip()
    if not name:
        raise DomainError("Give the rule a name.")
    if SodRule.objects.filter(name__iexact=name).exists():
        raise DomainError(f"A rule called {name} already exists.")
    (s1, e1), (s2, e2) = parse_side(first), parse_side(second)
    if (s1.lower(), e1) == (s2.lower(), e2):
        raise DomainError("The two entitlements of a rule must differ.")
    rule = SodRule(
        name=name[:200],
        first_system=s1,
        first_entitlement=e1,
        second_system=s2,
        second_entitlement=e2,
        description=description,
    )
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def add_sod_rule(*, actor: User, name: str, first: str, second: str, description: str = "") -> SodRule:
    require_perm(actor, MANAGE)
    return write_rule(name=name, first=first, second=second, description=description)


@transaction.atomic
def remove_sod_rule(*, actor: User, rule: SodRule) -> None:
    require_perm(actor, "reviews.delete_sodrule")
    rule.delete()


@transaction.atomic
def cover_violation(*, actor: User, rule: SodRule, person: User, exception: ComplianceException) -> SodExemption:
    """Link an approved, unexpired exception to a person's violation of a rule."""
    require_perm(actor, "reviews.add_sodexemption")
    if not ComplianceException.objects.filter(ComplianceException.in_force(), pk=exception.pk).exists():
        raise DomainError("Only an approved exception that has not expired can cover a violation.")
    if person.pk == actor.pk:
        raise DomainError("You cannot excuse your own violation.")
    if not violators(rule).filter(pk=person.pk).exists():
        raise DomainError(f"{person.email} does not violate the rule {rule.name} (any more).")
    link, _ = SodExemption.objects.get_or_create(rule=rule, user=person, exception=exception)
    return link
