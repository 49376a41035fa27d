from django.urls import path

from audits import views

app_name = "audits"
urlpatterns = [
    path("audit-trail/", views.trail, name="trail"),
    path("audit-trail/export.csv", views.trail_export, name="trail_export"),
    path("audit-trail/<int:pk>/", views.entry_detail, name="entry_detail"),
]
