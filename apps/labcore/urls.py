try:  # Django 2+
    from django.urls import re_path
except ImportError:  # Django 1.11, the bullseye stack's (Python 2.7)
    from django.conf.urls import url as re_path

from labcore import views

urlpatterns = [
    re_path(r"^enqueue/$", views.enqueue),
    re_path(r"^xray/$", views.xray_view),
    re_path(r"^hello/$", views.hello),
    re_path(r"^unsign/$", views.unsign),
]

# Every error answer is one line of JSON, even Django's own (DEBUG is False): a bad Host
# (DisallowedHost) goes to handler400, an unknown path to handler404.
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
