"""Domain errors with messages a person can read; views turn them into 4xx or form errors."""


class DomainError(Exception):
    """A rule of the domain refused the change."""

    status_code = 400


class PermissionDeniedError(DomainError):
    status_code = 403


class SegregationOfDutiesError(DomainError):
    status_code = 403


class NotFoundError(DomainError):
    status_code = 404


class ThrottledError(DomainError):
    """Too many attempts; try again later."""

    status_code = 429
