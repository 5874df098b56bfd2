import re
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# What HTML allows as a number input's value: a valid floating-point number.
HTML_NUMBER = re.compile(r"-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?")


class NumberInput(forms.NumberInput):
    """A number input that shows a rejected entry ("lots") empty, the only valid HTML for it;
    the field's error says what was wrong."""

    def format_value(self, value: Any) -> str | None:
        formatted = super().format_value(value)
        if formatted is not None and not HTML_NUMBER.fullmatch(formatted):
            return None
        return formatted


class PlainSelect(forms.Select):
    """A select of plain options (no groups), rendered without a template per option.

    Django renders every option through a template, about half a millisecond each: the ~600
    time zones took a third of a second per settings page.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        selected = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (choice, " selected" if str(choice) == selected else "", label)
                for choice, label in self.choices
            ),
        )
        flat_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, flat_attrs, options)


class SearchableSelect(PlainSelect):
    """A PlainSelect with a search box above it: static/js/app.js narrows the options to those
    holding every word typed (data-filter-options names the select), and selects the first."""

    def __init__(self, *args: Any, search_label: str | Promise = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.search_label = search_label

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        select_id = self.build_attrs(self.attrs, attrs).get("id", "")
        search = format_html(
            '<input type="search" class="option-filter" data-filter-options="{}" '
            'aria-label="{}" placeholder="{}" autocomplete="off">',
            select_id,
            self.search_label,
            self.search_label,
        )
        return format_html("{}{}", search, super().render(name, value, attrs, renderer))
