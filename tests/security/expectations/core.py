"""Sign-in, home and other routes every visitor meets."""

from tests.security.expectations import ALL, Route

ROUTES = [
    Route("home", ALL),
    # Signed-in users are sent home from the sign-in page; anonymous users see the form.
    Route("access:login", frozenset(), denied=(302,), anonymous=200),
    Route("access:logout", ALL, method="post", ok=302, anonymous=302),
]
