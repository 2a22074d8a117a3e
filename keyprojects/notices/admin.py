from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Channel, Delivery, Message


@admin.register(Channel)
class ChannelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "unit", "kind", "address", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit"]
    exclude = ["secret"]  # a credential: set on the channel page, never shown


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "event", "created_at", "read_at"]
    search_fields = ["subject", "event", "recipient__username"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["created_at"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["subject", "event", "channel", "recipient", "state", "attempts", "next_try_at", "sent_at"]
    list_filter = ["state"]
    search_fields = ["subject", "event"]
    raw_id_fields = ["channel", "recipient"]
    readonly_fields = ["created_at", "sent_at", "attempts", "last_error"]
