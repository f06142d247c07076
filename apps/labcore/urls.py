from django.urls import path

from labcore import views

urlpatterns = [
    path("enqueue/", views.enqueue),
    path("xray/", views.xray_view),
]
