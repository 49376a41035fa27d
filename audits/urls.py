from django.urls import path

from audits import views
from audits.engagements import urls as engagement_urls

app_name = "audits"
urlpatterns = [
    path("audit-trail/", views.trail, name="trail"),
    path("audit-trail/export.csv", views.trail_export, name="trail_export"),
    path("audit-trail/checkpoints.jsonl", views.checkpoints_download, name="checkpoints_download"),
    path("audit-trail/public-key.pem", views.public_key, name="public_key"),
    path("audit-trail/<int:pk>/", views.entry_detail, name="entry_detail"),
    *engagement_urls.urlpatterns,
]
