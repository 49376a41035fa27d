from django.urls import path

from jobs import views

app_name = "jobs"
urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/runs/", views.job_runs, name="job_runs"),
    path("jobs/runs/<int:run_id>/", views.job_run_detail, name="job_run_detail"),
    path("jobs/runs/<int:run_id>/status/", views.job_run_status, name="job_run_status"),
    path("jobs/runs/<int:run_id>/progress/", views.task_progress, name="task_progress"),
    path("jobs/runs/<int:run_id>/progress/panel/", views.task_progress_status, name="task_progress_status"),
    path("jobs/<str:job_id>/run/", views.job_run_now, name="job_run_now"),
    path("jobs/<str:job_id>/schedule/", views.job_schedule_edit, name="job_schedule_edit"),
]
