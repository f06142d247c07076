from django.urls import path

from labcore import views

urlpatterns = [
    path("enqueue/", views.enqueue),
    path("xray/", views.xray_view),
]

# Every error answer is one line of JSON, even Django's own (DEBUG is False): a bad Host
# (DisallowedHost) goes to handler400, an unknown path to handler404.
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
