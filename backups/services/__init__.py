"""Every change of the backups app: recipients, plans, runs, verification, retention, restore, drills.

Services take the acting ``User`` first checked against its permission; ``actor=None`` is the
command line or the scheduler (whoever can run ``manage.py`` already holds the machine).
"""
