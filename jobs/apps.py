from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The scheduler app. Its label stays ``workbench`` so migrations and permission names
    (``workbench.view_jobrun``) are the ones already in every database."""

    name = "jobs"
    label = "workbench"
    verbose_name = "Jobs"
