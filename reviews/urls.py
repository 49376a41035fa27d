from django.urls import path

from reviews.views import access, accounts, campaigns, requests

app_name = "reviews"

urlpatterns = [
    path("", accounts.dashboard, name="dashboard"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts.csv", accounts.account_export, name="account_export"),
    path("import/", accounts.import_page, name="import"),
    path("sod/", accounts.sod_page, name="sod"),
    path("sod/add/", accounts.sod_add, name="sod_add"),
    path("sod/cover/", accounts.sod_cover, name="sod_cover"),
    path("pickers/exceptions/", accounts.exception_search, name="exception_search"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/complete/", campaigns.campaign_complete, name="campaign_complete"),
    path("campaigns/<int:pk>/evidence.csv", campaigns.campaign_evidence, name="campaign_evidence"),
    path("mine/", campaigns.my_reviews, name="my_reviews"),
    path("items/<int:pk>/decide/", campaigns.item_decide, name="item_decide"),
    path("people/<int:pk>/", access.person_access, name="person_access"),
    path("objects/<slug:kind>/<int:pk>/", access.object_access, name="object_access"),
    path("access-requests/", requests.access_requests, name="access_requests"),
    path("access-requests/new/", requests.request_create, name="request_create"),
    path("access-requests/new-object/", requests.request_object_create, name="request_object_create"),
    path("access-requests/<int:pk>/decide/", requests.request_decide, name="request_decide"),
    path("access-requests/break-glass/", requests.break_glass, name="break_glass"),
    path("access-requests/<int:pk>/review/", requests.break_glass_review, name="break_glass_review"),
]
