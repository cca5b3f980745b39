from django.urls import path

from rapport.commerce import views

app_name = "commerce"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
]
