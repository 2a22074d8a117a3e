from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm
from keyprojects.core.permissions import Actor, regions_for
from keyprojects.indicators import figures
from keyprojects.regions.models import Region

from .models import Briefing


class GenerateForm(StyledForm):
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none())
    year = forms.IntegerField(label=_("计划年度"), min_value=2000, max_value=2100)
    as_of = forms.DateField(label=_("统计截止日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("类型"), choices=Briefing.Kind.choices, initial=Briefing.Kind.MONTHLY)

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the city and its counties (zones too): a briefing is a region's, never a township's
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = regions_for(user, "view").filter(
            level__in=[Region.Level.PROVINCE, Region.Level.PREFECTURE, Region.Level.COUNTY, Region.Level.ZONE]
        ).order_by("code")
        # the latest plan year the user may view, as of today or that year's last day
        today = timezone.localdate()
        year = figures.plan_year(user, None)
        self.fields["year"].initial = year or today.year
        self.fields["as_of"].initial = min(today, date(year, 12, 31)) if year else today


class TextForm(StyledForm):
    headline = forms.CharField(label=_("导语"), widget=forms.Textarea(attrs={"rows": 4}),
                               help_text=_("由数据生成，可修改；数字以数据快照为准"))
    next_steps = forms.CharField(label=_("下一步工作"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                                 help_text=_("每行一段"))
    editor_note = forms.CharField(label=_("编者按"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class TemplateForm(StyledForm):
    file = forms.FileField(label=_("Word 模板（.docx）"),
                           help_text=_("docxtpl 模板：可先下载默认模板修改版式和字体，保留其中的 {{ }} 和 {% %} 标记"))
