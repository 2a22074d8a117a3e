from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "keyprojects.approvals"
    verbose_name = "前期手续"
