from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm, field_of
from keyprojects.core.permissions import Viewer, regions_for
from keyprojects.regions.models import Region

from .models import Profile

MAX_UPLOAD = 20 << 20  # a province's list of a city is a few hundred rows


class SheetForm(StyledForm):
    """Which profile, city and month a sheet is for."""

    profile = forms.ModelChoiceField(label=_("省平台格式"), queryset=Profile.objects.all(), empty_label=None)
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none(), empty_label=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("月份"), min_value=1, max_value=12)

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = regions_for(user, "edit").filter(
            level__in=[Region.Level.PREFECTURE, Region.Level.COUNTY]).order_by("depth", "code")

    @staticmethod
    def initial_for(user: Any) -> dict[str, Any]:
        """The user's province's profile, their region, and the latest month with approved reports
        (``figures.data_month``; last month when none is): the month a sheet has data for."""
        from keyprojects.indicators import figures

        region = getattr(user, "region", None)
        province = region.path.strip("/").split("/")[0] if region is not None else None
        profile = Profile.objects.filter(province_code=province).first() or Profile.objects.first()
        found = figures.data_month(user, region)
        today = timezone.localdate()
        year, month = found or ((today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12))
        return {"profile": profile, "region": region, "year": year, "month": month, "with_data": found is not None}


class UploadForm(SheetForm):
    file = forms.FileField(label=_("省平台返回清单（.xlsx / .xls）"))

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件超过 20 MB"))
        return file
