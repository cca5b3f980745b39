from django import forms

from rapport.customers.forms import CustomerFilterForm, QuickSelect

CHOICES = [
    ("", "All"),
    ("a&b", 'Tom & "Jerry" <x>'),
    ("1", "One"),
    ("Group", [("g1", "G1"), ("g2", "G2")]),
    (3, "three"),
]


def test_quick_select_writes_the_same_html_as_djangos_select():
    for value in ("", "a&b", "g2", "3", None, ["1"]):
        for attrs in (None, {"id": "id_x", "hx-get": "/x?a=1&b=2", "required": True, "x": False}):
            expected = forms.Select(choices=CHOICES).render("x", value, attrs)
            assert QuickSelect(choices=CHOICES).render("x", value, attrs) == expected


def test_the_filter_forms_selects_are_quick_and_keep_the_chosen_values(cast):
    form = CustomerFilterForm({"country": "DE", "tag": "b2b", "sort": "-created"}, tags=["b2b"])
    assert form.is_valid()
    for name in ("country", "tag", "sort", "language", "is_vip", "account_manager"):
        assert isinstance(form.fields[name].widget, QuickSelect)
    assert '<option value="DE" selected>' in str(form["country"])
    assert '<option value="-created" selected>' in str(form["sort"])
