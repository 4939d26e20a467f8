from django.contrib import admin

from smm.networks.models import ConnectedAccount


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    list_display = ["handle", "network", "display_name", "workspace", "created_at"]
    list_filter = ["network", "workspace"]
    search_fields = ["handle", "display_name", "workspace__name"]
    autocomplete_fields = ["workspace"]
