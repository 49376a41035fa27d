"""Governance pages; each area keeps its routes in its own module."""

from governance import urls_controls, urls_frameworks, urls_pickers, urls_risks

app_name = "governance"
urlpatterns = [
    *urls_frameworks.urlpatterns,
    *urls_controls.urlpatterns,
    *urls_risks.urlpatterns,
    *urls_pickers.urlpatterns,
]
