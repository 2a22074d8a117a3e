from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm


class FileForm(StyledForm):
    """A photo or a document; what it is, is judged from its content by the service."""

    file = forms.FileField(label=_("照片或文件"), help_text=_("照片 JPG、PNG，文件 PDF、Word（.docx），不超过 10 MB"))
    caption = forms.CharField(label=_("照片或文件说明"), max_length=100, required=False)
