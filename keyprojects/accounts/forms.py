from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm, StyledFormMixin, field_of, searchable
from keyprojects.core.permissions import Viewer, regions_for, restrict

from .models import Leader, Unit, User


class UnitForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "region", "kind", "credit_code", "contact_person", "contact_phone"]

    def __init__(self, *args: Any, actor: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = regions_for(actor, "edit")


class UserForm(StyledFormMixin, forms.ModelForm):
    password = forms.CharField(
        label=_("密码"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("新建用户必填；编辑时留空表示不修改"),
    )

    class Meta:
        model = User
        fields = ["username", "display_name", "unit", "role", "phone", "email", "is_active"]

    def __init__(self, *args: Any, actor: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = field_of(self, "unit", forms.ModelChoiceField)
        units.queryset = restrict(Unit.objects.select_related("region"), actor, "edit")
        searchable(units)
        self.fields["unit"].required = True

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if not self.instance.pk and not password:
            raise forms.ValidationError(_("新建用户必须设置密码"))
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:  # checked against the names being saved (a new user's are not on the instance yet)
            named = copy.copy(self.instance)
            for field in ("username", "email"):
                setattr(named, field, data.get(field) or getattr(named, field))
            try:
                validate_password(password, named)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class LeaderForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Leader
        fields = ["name", "title", "region", "user", "order"]

    def __init__(self, *args: Any, actor: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = regions_for(actor, "edit")
        users = field_of(self, "user", forms.ModelChoiceField)
        users.queryset = restrict(User.objects.filter(role=User.Role.LEADER), actor, "edit")


class TokenForm(StyledForm):
    name = forms.CharField(label=_("用途"), max_length=64,
                           help_text=_("例如“省平台对接”“统计局数据交换”，便于以后识别和吊销"))
    expires_on = forms.DateField(label=_("有效期至"), required=False, help_text=_("留空为长期有效；到期当天 24 时失效"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    read_only = forms.BooleanField(label=_("只读（只能查询，不能报送或修改）"), required=False)
    allowed_ips = forms.CharField(label=_("允许的地址"), required=False, max_length=2000,
                                  help_text=_("只接受来自这些 IP 地址或网段（如 10.1.0.0/16）的请求，逗号分隔；留空为不限"))
