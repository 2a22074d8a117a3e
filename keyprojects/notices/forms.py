from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Unit
from keyprojects.core.forms import StyledFormMixin, field_of
from keyprojects.core.permissions import Actor, restrict

from .models import Channel


class ChannelForm(StyledFormMixin, forms.ModelForm):
    """A unit's channel. The secret is never shown again: left empty it stays as stored."""

    secret = forms.CharField(
        label=_("加签密钥"), required=False, max_length=128, widget=forms.PasswordInput(render_value=False),
        help_text=_("仅钉钉群机器人：安全设置中“加签”的密钥（SEC 开头）；编辑时留空表示不修改"))
    clear_secret = forms.BooleanField(label=_("清除已保存的加签密钥"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Channel
        fields = ["unit", "name", "kind", "webhook_url", "email"]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "unit", forms.ModelChoiceField).queryset = restrict(Unit.objects.select_related("region"), actor,
                                                                           "edit")
        self.fields["webhook_url"].help_text = _("企业微信、钉钉群机器人的 Webhook 地址（含 key 或 access_token），内网版填写内网地址")
        self.fields["email"].help_text = _("仅邮件渠道：单位的共用邮箱")
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        if not self.instance.secret:
            del self.fields["clear_secret"]
