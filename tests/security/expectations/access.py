"""Account, second factor, API tokens and user management."""

from __future__ import annotations

from typing import Any

from access import services
from tests.security.expectations import ALL, Route, roles

MFA_PERSONAS = roles("admin_alice", "it_ivan")  # the personas holding a confirmed authenticator
USER_MANAGERS = roles("admin_alice")
# Who reads users' access (the user list and a user's page): holders of access.view_user.
USER_READERS = roles("admin_alice", "it_ivan", "officer_olga")


def _emil(p: Any) -> dict[str, Any]:
    return {"pk": p["employee_emil"].pk}


def _emil_token(p: Any) -> dict[str, Any]:
    token, _ = services.create_api_token(user=p["employee_emil"], name="matrix")
    return {"pk": token.pk}


ROUTES = [
    Route("access:account", ALL),
    Route("access:password_change", ALL),
    # Every persona may (re-)enrol: alice and ivan have passed MFA, the others enrol voluntarily.
    Route("access:mfa_enrol", ALL),
    # Verified personas go on to ``next``; personas without an authenticator are sent to enrol.
    Route("access:mfa_verify", ALL, ok=302),
    # Needs a verified session; personas without an authenticator are sent to enrol (302).
    Route("access:mfa_recovery_codes", MFA_PERSONAS, denied=(302,)),
    Route("access:token_list", ALL),
    Route("access:token_create", ALL),
    # Emil's token: he and user managers may revoke it; for anyone else it does not exist.
    Route(
        "access:token_revoke",
        roles("employee_emil", "admin_alice"),
        kwargs=_emil_token,
        method="post",
        ok=302,
        denied=(404,),
    ),
    Route("access:user_list", USER_READERS),
    Route("access:user_invite", USER_MANAGERS),
    Route("access:user_detail", USER_READERS, kwargs=_emil),
    # Changing roles stays with user managers: readers are refused (403) and nothing changes.
    Route(
        "access:user_detail",
        USER_MANAGERS,
        kwargs=_emil,
        method="post",
        ok=302,
        data={"roles": ["Employee", "Auditor"]},
        wrote=lambda p: p["employee_emil"].groups.filter(name="Auditor").exists(),
    ),
    Route("access:user_deactivate", USER_MANAGERS, kwargs=_emil, method="post", ok=302),
    Route("access:user_reactivate", USER_MANAGERS, kwargs=_emil, method="post", ok=302),
]
