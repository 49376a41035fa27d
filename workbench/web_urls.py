from django.urls import path

from workbench import job_views, views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/", job_views.job_list, name="job_list"),
    path("jobs/runs/", job_views.job_runs, name="job_runs"),
    path("jobs/runs/<int:run_id>/", job_views.job_run_detail, name="job_run_detail"),
    path("jobs/runs/<int:run_id>/status/", job_views.job_run_status, name="job_run_status"),
    path("jobs/runs/<int:run_id>/progress/", job_views.task_progress, name="task_progress"),
    path("jobs/runs/<int:run_id>/progress/panel/", job_views.task_progress_status, name="task_progress_status"),
    path("jobs/<str:job_id>/run/", job_views.job_run_now, name="job_run_now"),
    path("jobs/<str:job_id>/schedule/", job_views.job_schedule_edit, name="job_schedule_edit"),
]
