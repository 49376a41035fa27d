"""Rampart's one readable date format for pages: "7 Dec 2026", "7 Dec 2026 14:05" (local time).

Templates write ``{{ value|date }}`` and ``{{ value|date:"DATETIME_FORMAT" }}``, never a
format of their own. CSV files and the API use ISO 8601 instead (``2026-12-07``,
``2026-12-07T14:05:00+00:00``), and so do form inputs and query strings.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
