from django.urls import path

from cards.views import home

urlpatterns = [
    path("", home.home, name="home"),
]
