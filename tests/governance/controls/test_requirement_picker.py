"""The control form's requirement picker: an htmx search over the requirements, never a list of all."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from governance.models import Framework, Requirement
from tests.governance.controls.conftest import make_control, make_framework

SEARCH = "governance:control_requirement_search"


def _ticked(html: str) -> int:
    return html.count(" checked>")


def _boxes(html: str) -> int:
    return html.count('type="checkbox"')


def test_search_finds_by_reference_and_title(personas: Any) -> None:
    _, _, reqs = make_framework()
    client = personas.client("officer_olga")

    by_ref = client.get(reverse(SEARCH), {"q": "r3"}).content.decode()
    assert f'value="{reqs["R3"].pk}"' in by_ref
    assert _boxes(by_ref) == 1

    by_title = client.get(reverse(SEARCH), {"q": "requirement"}).content.decode()
    # R1-R6; the section "S" is not mappable and is never offered.
    assert _boxes(by_title) == 6
    assert "Section" not in by_title


def test_ticked_requirements_stay_ticked_and_are_not_offered_twice(personas: Any) -> None:
    _, _, reqs = make_framework()
    client = personas.client("officer_olga")
    html = client.get(reverse(SEARCH), {"q": "requirement", "requirements": [reqs["R2"].pk, "junk"]}).content.decode()
    assert _ticked(html) == 1
    assert html.count(f'value="{reqs["R2"].pk}"') == 1
    assert _boxes(html) == 6


def test_removed_requirements_are_not_offered(personas: Any) -> None:
    _, _, reqs = make_framework()
    Requirement.objects.filter(pk=reqs["R4"].pk).update(removed_at="2024-01-01T00:00:00Z")
    html = personas.client("officer_olga").get(reverse(SEARCH), {"q": "R4"}).content.decode()
    assert _boxes(html) == 0
    assert "No requirement matches" in html


def test_at_most_fifty_results(personas: Any) -> None:
    framework = Framework.objects.create(key="big", name="Big framework")
    Requirement.objects.bulk_create(
        Requirement(framework=framework, ref_id=f"B-{i:03}", title=f"Big {i}", order=i) for i in range(60)
    )
    html = personas.client("officer_olga").get(reverse(SEARCH), {"q": "B-"}).content.decode()
    assert _boxes(html) == 50
    assert 'data-testid="picker-more"' in html


def test_search_is_scoped_to_frameworks_the_user_may_view(personas: Any) -> None:
    """Without the global permission, only frameworks with an object permission are searched."""
    make_framework(key="visible", name="Visible framework")
    make_framework(key="hidden", name="Hidden framework")
    omar = personas["owner_omar"]
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get(name="Control owner")
    group.permissions.remove(Permission.objects.get(codename="view_framework"))
    # Object permissions count only for a role that may hold them on frameworks (access.backends).
    from django.contrib.contenttypes.models import ContentType

    may_hold, _ = Permission.objects.get_or_create(
        codename="own_framework", content_type=ContentType.objects.get_for_model(Framework)
    )
    group.permissions.add(may_hold)
    assign_perm("governance.view_framework", omar, Framework.objects.get(key="visible"))
    html = personas.client("owner_omar").get(reverse(SEARCH), {"q": "R1"}).content.decode()
    assert "Visible framework" in html
    assert "Hidden framework" not in html


def test_people_without_view_requirement_are_refused(personas: Any) -> None:
    make_framework()
    assert personas.client("employee_emil").get(reverse(SEARCH), {"q": "R1"}).status_code == 403


def test_the_form_lists_only_ticked_requirements_and_posts_ids(personas: Any) -> None:
    _, _, reqs = make_framework()
    olga = personas["officer_olga"]
    control = make_control(olga, "CTL-PICK")
    control.requirements.add(reqs["R1"])
    client = personas.client("officer_olga")
    url = reverse("governance:control_edit", args=[control.pk])

    page = client.get(url).content.decode()
    assert _boxes(page) == 1
    assert _ticked(page) == 1
    assert f'hx-get="{reverse(SEARCH)}"' in page
    assert '<label class="form-label" for="id_requirements_search">Requirements met' in page

    data = {"ref": "CTL-PICK", "title": "Picked", "status": "implemented", "test_frequency": "quarterly"}
    response = client.post(url, {**data, "requirements": [reqs["R2"].pk, reqs["R3"].pk]})
    assert response.status_code == 302
    assert sorted(control.requirements.values_list("ref_id", flat=True)) == ["R2", "R3"]

    # An id that is not a mappable requirement is a field error, and nothing changes.
    section = Requirement.objects.get(ref_id="S")
    response = client.post(url, {**data, "requirements": [reqs["R1"].pk, section.pk]})
    assert response.status_code == 200
    assert response.context["form"].errors["requirements"]
    assert sorted(control.requirements.values_list("ref_id", flat=True)) == ["R2", "R3"]


@pytest.mark.parametrize("rows", [1, 50])
def test_query_count_is_fixed(personas: Any, rows: int, django_assert_num_queries: Any) -> None:
    framework = Framework.objects.create(key="qc", name="Query count")
    made = Requirement.objects.bulk_create(
        Requirement(framework=framework, ref_id=f"Q-{i:03}", title=f"Query {i}", order=i) for i in range(rows * 2)
    )
    client = personas.client("officer_olga")
    client.get(reverse(SEARCH), {"q": "Q-"})  # warm the session and permission caches
    ticked = [r.pk for r in made[:rows]]
    with django_assert_num_queries(QUERIES):
        response = client.get(reverse(SEARCH), {"q": "Q-", "requirements": ticked})
    html = response.content.decode()
    assert _ticked(html) == rows
    assert _boxes(html) == rows * 2


QUERIES = 6  # session and sign-in checks, then one for the ticked and one for the matches
