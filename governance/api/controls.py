"""Governance API for controls, their tests, coverage and the Statement of Applicability.

Explicit input and output serializers; reads go through ``governance.selectors.controls``
and changes through ``governance.services.controls``, the same ones the pages use.

- ``/controls/``: Compliance officers and Administrators see and change every control;
  a Control owner sees and changes only the controls they own (others are 404). Lists
  take the same filters as the Controls page (``q``, ``status``, ``owner``, ``frequency``,
  ``test``, ``framework``, ``sort``).
- ``/control-tests/``: tests of the controls the caller may see; recording one needs
  ``governance.add_controltest`` or the right to change that control (its owner).
- ``/coverage/``: per framework, for holders of ``governance.view_control``.
- ``/soa/{framework id}/``: the Statement of Applicability, for holders of
  ``governance.view_requirement`` and ``governance.view_control``.
"""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from access.models import User
from core.api import router
from core.api_permissions import IsSignedIn
from governance.api.owners import BulkAssigneeMixin, BulkOwnerInput, BulkOwnerMixin, ChangedOutput
from governance.api.scoped import ScopedModelPerms
from governance.filters import ControlFilterSet, ControlTestFilterSet
from governance.models import Control, ControlTest, Framework, Frequency, Outcome, Requirement
from governance.scoping import scoped
from governance.selectors import controls as selectors
from governance.services import controls as services
from governance.services import owners

# --- Serializers: output ---


class ControlOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ref = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_email = serializers.EmailField(source="owner.email", allow_null=True, default=None)
    status = serializers.ChoiceField(choices=Control.Status.choices)
    implementation_notes = serializers.CharField()
    test_frequency = serializers.ChoiceField(choices=Frequency.choices)
    expected_evidence = serializers.CharField()
    requirement_count = serializers.IntegerField(help_text="How many requirements the control is mapped to.")
    latest_test_result = serializers.CharField(help_text="pass, fail, partial, or empty when never tested.")
    latest_test_on = serializers.DateField(allow_null=True)
    next_test_due = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ControlDetailOutput(ControlOutput):
    requirements = serializers.SerializerMethodField(help_text="Ids of the requirements the control meets.")

    def get_requirements(self, obj: Control) -> list[int]:
        return [r.pk for r in obj.requirements.all()]


class ControlTestOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    control = serializers.IntegerField(source="control_id")
    control_ref = serializers.CharField(source="control.ref")
    due_date = serializers.DateField()
    performed_on = serializers.DateField(allow_null=True)
    result = serializers.CharField(help_text="pass, fail, partial, or empty while planned.")
    tester = serializers.IntegerField(source="tester_id", allow_null=True, help_text="Who performed it.")
    assignee = serializers.IntegerField(
        source="assignee_id", allow_null=True, help_text="Who is to perform it (else the control's owner)."
    )
    notes = serializers.CharField()
    evidence_reference = serializers.CharField()
    evidence_file = serializers.SerializerMethodField()

    def get_evidence_file(self, obj: ControlTest) -> str:
        return (obj.evidence_file.name or "") if obj.evidence_file else ""


class CoverageOutput(serializers.Serializer[Any]):
    framework = serializers.IntegerField(source="framework.pk")
    key = serializers.CharField(source="framework.key")
    name = serializers.CharField(source="framework.name")
    version = serializers.CharField(source="framework.version")
    applicable = serializers.IntegerField(help_text="Applicable, current, non-section requirements not excepted.")
    covered = serializers.IntegerField(help_text="Of those, with an implemented control whose latest test passed.")
    percent = serializers.IntegerField(allow_null=True)


class SoaControlOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ref = serializers.CharField()
    status = serializers.ChoiceField(choices=Control.Status.choices)
    latest_test_result = serializers.CharField()


class SoaRowOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ref_id = serializers.CharField()
    reference = serializers.CharField()
    title = serializers.CharField()
    applicable = serializers.BooleanField()
    justification = serializers.CharField()
    excepted_until = serializers.DateField(allow_null=True)
    covered = serializers.BooleanField()
    status = serializers.SerializerMethodField()
    controls = SoaControlOutput(source="mapped_controls", many=True)

    def get_status(self, obj: Requirement) -> str:
        return selectors.soa_status(obj)


class SoaOutput(serializers.Serializer[Any]):
    framework = serializers.IntegerField(source="framework.pk")
    key = serializers.CharField(source="framework.key")
    name = serializers.CharField(source="framework.name")
    version = serializers.CharField(source="framework.version")
    applicable = serializers.IntegerField()
    covered = serializers.IntegerField()
    requirements = SoaRowOutput(many=True)


# --- Serializers: input ---


def _requirements_field(**kwargs: Any) -> Any:
    return serializers.PrimaryKeyRelatedField(queryset=Requirement.objects.all(), many=True, **kwargs)


class ControlCreateInput(serializers.Serializer[Any]):
    ref = serializers.CharField(max_length=50)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Control.Status.choices, default=Control.Status.PLANNED)
    implementation_notes = serializers.CharField(required=False, allow_blank=True, default="")
    test_frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.ANNUAL)
    expected_evidence = serializers.CharField(required=False, allow_blank=True, default="")
    requirements = _requirements_field(required=False)


class ControlUpdateInput(serializers.Serializer[Any]):
    ref = serializers.CharField(max_length=50, required=False, help_text="Needs governance.change_control.")
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Control.Status.choices, required=False)
    implementation_notes = serializers.CharField(required=False, allow_blank=True)
    test_frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    expected_evidence = serializers.CharField(required=False, allow_blank=True)


class MapRequirementsInput(serializers.Serializer[Any]):
    requirements = _requirements_field(help_text="The requirement ids the control meets, all of them.")


class AssignOwnerInput(serializers.Serializer[Any]):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True)


class ControlTestInput(serializers.Serializer[Any]):
    control = serializers.PrimaryKeyRelatedField(queryset=Control.objects.none())
    result = serializers.ChoiceField(choices=Outcome.choices)
    performed_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    evidence_file = serializers.FileField(required=False, allow_null=True, default=None)

    def __init__(self, *args: Any, controls: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if controls is not None:
            self.fields["control"].queryset = controls  # type: ignore[attr-defined]


# --- Permissions ---


class MayBrowseControls(IsSignedIn):
    """Global view of controls, the Control owner role, or a control held as an object permission."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and selectors.may_browse_controls(request.user)


class HoldsAll(IsSignedIn):
    """Every permission the view names in ``required_perms``, globally."""

    def has_permission(self, request: Any, view: Any) -> bool:
        perms = getattr(view, "required_perms", ())
        return bool(perms and super().has_permission(request, view) and all(request.user.has_perm(p) for p in perms))


# --- Views ---


@extend_schema_view(
    list=extend_schema(summary="List controls"),
    retrieve=extend_schema(summary="One control", responses=ControlDetailOutput),
    create=extend_schema(summary="Create a control", request=ControlCreateInput, responses={201: ControlDetailOutput}),
    partial_update=extend_schema(summary="Change a control", request=ControlUpdateInput, responses=ControlDetailOutput),
    update=extend_schema(summary="Change a control", request=ControlUpdateInput, responses=ControlDetailOutput),
    destroy=extend_schema(summary="Delete a control never tested", responses={204: None}),
    map_requirements=extend_schema(
        summary="Set the requirements a control meets", request=MapRequirementsInput, responses=ControlDetailOutput
    ),
    assign_owner=extend_schema(
        summary="Give a control a new owner", request=AssignOwnerInput, responses=ControlDetailOutput
    ),
    bulk_owner=extend_schema(summary="Give many controls one owner", request=BulkOwnerInput, responses=ChangedOutput),
)
class ControlViewSet(BulkOwnerMixin, viewsets.GenericViewSet[Control]):
    """Controls; owners reach only their own."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = ControlFilterSet
    permission_classes = [MayBrowseControls, ScopedModelPerms]
    object_scoped = True
    perm_action_map = {"map_requirements": "change", "assign_owner": "change", "bulk_owner": "change"}
    owned_kind = owners.CONTROLS
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = ControlOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Control.objects.none()
        return selectors.controls_visible_to(_caller(self.request))

    def _detail(self, control: Control) -> Any:
        fresh = self.get_queryset().prefetch_related("requirements").get(pk=control.pk)
        return ControlDetailOutput(fresh).data

    def list(self, request: Request) -> Response:
        controls = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(controls)
        return self.get_paginated_response(ControlOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._detail(self.get_object()))

    def create(self, request: Request) -> Response:
        data = _valid(ControlCreateInput, request.data)
        control = services.create_control(actor=_caller(request), **data)
        return Response(self._detail(control), status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        data = _valid(ControlUpdateInput, request.data)
        control = services.update_control(actor=_caller(request), control=self.get_object(), **data)
        return Response(self._detail(control))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        services.delete_control(actor=_caller(request), control=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path="map-requirements", url_name="map-requirements")
    def map_requirements(self, request: Request, pk: str) -> Response:
        data = _valid(MapRequirementsInput, request.data)
        control = services.map_control_requirements(
            actor=_caller(request), control=self.get_object(), requirements=data["requirements"]
        )
        return Response(self._detail(control))

    @action(detail=True, methods=["post"], url_path="assign-owner", url_name="assign-owner")
    def assign_owner(self, request: Request, pk: str) -> Response:
        data = _valid(AssignOwnerInput, request.data)
        control = services.assign_control_owner(actor=_caller(request), control=self.get_object(), owner=data["owner"])
        return Response(self._detail(control))


@extend_schema_view(
    list=extend_schema(summary="List control tests"),
    retrieve=extend_schema(summary="One control test", responses=ControlTestOutput),
    create=extend_schema(
        summary="Record a performed test", request=ControlTestInput, responses={201: ControlTestOutput}
    ),
)
class ControlTestViewSet(BulkAssigneeMixin, viewsets.GenericViewSet[ControlTest]):
    """Tests of the controls the caller may see."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = ControlTestFilterSet
    permission_classes: list[type[BasePermission]] = [MayBrowseControls]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = ControlTestOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ControlTest.objects.none()
        return selectors.control_tests_visible_to(_caller(self.request))

    def list(self, request: Request) -> Response:
        tests = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(tests)
        return self.get_paginated_response(ControlTestOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ControlTestOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        user = _caller(request)
        data = _valid(ControlTestInput, request.data, controls=scoped(user, Control.objects.all(), "view"))
        test = services.record_control_test(actor=user, **data)
        fresh = self.get_queryset().get(pk=test.pk)
        return Response(ControlTestOutput(fresh).data, status=status.HTTP_201_CREATED)


class CoverageViewSet(viewsets.GenericViewSet[Framework]):
    """Coverage per framework: applicable requirements and those covered by a passing, implemented control."""

    permission_classes: list[type[BasePermission]] = [HoldsAll]
    required_perms = ("governance.view_control",)
    pagination_class = None
    serializer_class = CoverageOutput

    def get_queryset(self) -> Any:
        return Framework.objects.none()

    @extend_schema(summary="Coverage per framework", responses=CoverageOutput(many=True))
    def list(self, request: Request) -> Response:
        return Response(CoverageOutput(selectors.coverage_by_framework(_caller(request)), many=True).data)


class SoaViewSet(viewsets.GenericViewSet[Framework]):
    """The Statement of Applicability of one framework (path parameter: the framework id)."""

    permission_classes: list[type[BasePermission]] = [HoldsAll]
    required_perms = ("governance.view_requirement", "governance.view_control")
    pagination_class = None
    serializer_class = SoaOutput
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Framework.objects.none()
        return scoped(_caller(self.request), Framework.objects.all(), "view")

    @extend_schema(summary="Statement of Applicability of a framework", responses=SoaOutput)
    def retrieve(self, request: Request, pk: str) -> Response:
        framework = self.get_object()
        rows = list(selectors.statement_of_applicability(framework))
        applicable, covered = selectors.soa_totals(rows)
        body = {
            "framework": framework,
            "applicable": applicable,
            "covered": covered,
            "requirements": rows,
        }
        return Response(SoaOutput(body).data)


router.register("controls", ControlViewSet, basename="control")
router.register("control-tests", ControlTestViewSet, basename="control-test")
router.register("coverage", CoverageViewSet, basename="coverage")
router.register("soa", SoaViewSet, basename="soa")
