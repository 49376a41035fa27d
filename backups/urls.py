from django.urls import path

from backups import views

app_name = "backups"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/run/", views.plan_run, name="plan_run"),
    path("plans/<int:pk>/delete/", views.plan_delete, name="plan_delete"),
    path("plans/<int:pk>/retention/", views.plan_retention, name="plan_retention"),
    path("sets/", views.set_list, name="set_list"),
    path("sets/<str:set_id>/", views.set_detail, name="set_detail"),
    path("drills/", views.drill_list, name="drill_list"),
    path("recipients/", views.recipient_list, name="recipient_list"),
    path("recipients/new/", views.recipient_add, name="recipient_add"),
    path("recipients/<int:pk>/remove/", views.recipient_remove, name="recipient_remove"),
]
