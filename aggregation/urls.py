app_name = "aggregation"

urlpatterns: list = []
