from django.urls import path

from accounts import views

urlpatterns = [
    path("bench/floor/", views.benchmark_floor, name="bench_floor"),
    path("dev/login/", views.dev_login, name="dev_login"),
    path("settings/", views.settings_page, name="settings"),
]
