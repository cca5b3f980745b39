"""Forms of the import and export pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.imports.columns import IGNORE, field_choices
from rapport.imports.models import ImportJob, ImportKind

ENCODINGS = [
    ("", _("detect automatically")),
    ("utf-8", "UTF-8"),
    ("cp1252", "Windows-1252 (Excel, Western Europe)"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
]
DELIMITERS = [
    ("", _("detect automatically")),
    (";", _("semicolon ;")),
    (",", _("comma ,")),
    ("tab", _("tab")),
    ("|", _("vertical bar |")),
]
DECIMALS = [
    ("", _("detect per value")),
    ("comma", _("decimal comma (1.234,50)")),
    ("point", _("decimal point (1,234.50)")),
]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file contains"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (.csv, .txt, .tsv) or, for customers, vCards (.vcf)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.vcf,.vcard"}),
    )
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODINGS, required=False)
    delimiter = forms.ChoiceField(label=_("Separator"), choices=DELIMITERS, required=False)


class MappingForm(forms.Form):
    """One select per column of the file, pre-filled with the automatic mapping."""

    decimal = forms.ChoiceField(label=_("Numbers"), choices=DECIMALS, required=False)

    def __init__(self, *args, job: ImportJob, custom_keys: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [(IGNORE, _("— ignore this column —"))] + list(
            field_choices(job.kind, custom_keys).items()
        )
        self.column_fields = []
        header = job.header if job.file_format == "csv" else []
        for index, column in enumerate(header):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=column or f"#{index + 1}",
                choices=choices,
                required=False,
                initial=job.mapping.get(str(index), IGNORE),
            )
            self.column_fields.append(name)
        if job.kind == ImportKind.ORDERS:
            self.fields["create_customers"] = forms.BooleanField(
                label=_("Create customers that are not known yet"), required=False
            )
        options = job.options or {}
        self.fields["decimal"].initial = {True: "comma", False: "point"}.get(
            options.get("decimal_comma"), ""
        )

    def mapping(self) -> dict[str, str]:
        return {name[4:]: self.cleaned_data.get(name) or IGNORE for name in self.column_fields}

    def options(self) -> dict:
        decimal = {"comma": True, "point": False}.get(self.cleaned_data.get("decimal") or "")
        return {
            "decimal_comma": decimal,
            "create_customers": bool(self.cleaned_data.get("create_customers")),
        }

    def column_rows(self):
        return [self[name] for name in self.column_fields]


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("vcard", "vCard")], initial="csv"
    )
    delimiter = forms.ChoiceField(
        label=_("CSV separator"),
        choices=[(",", _("comma ,")), (";", _("semicolon ; (German Excel)"))],
        required=False,
    )
    bom = forms.BooleanField(label=_("UTF-8 with BOM (for Excel)"), required=False)
    vcard_version = forms.ChoiceField(
        label=_("vCard version"), choices=[("4.0", "4.0"), ("3.0", "3.0")], required=False
    )
