"""Forms of the listening pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from listening import query as q
from listening.models import Topic

QUERY_HELP = _(
    "Words side by side must all appear; OR for either; NOT or a minus (-tea) to leave out; "
    "parentheses to group; “quoted phrase”; #hashtag; @handle; lang:fi; kahvi* for every word "
    "starting with kahvi (kahvin, kahvila)."
)


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "category", "query", "active", "tone_goal_percent"]
        widgets = {
            "query": forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        }
        help_texts = {
            "query": QUERY_HELP,
            "tone_goal_percent": _(
                "The share of positive mentions (of those not neutral) you aim for, e.g. 60. Leave empty for none."
            ),
            "active": _("Inactive topics keep their mentions but match no new ones."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tone_goal_percent"].widget.attrs.update({"min": 0, "max": 100})
        self.node: q.Node | None = None

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_query(self) -> str:
        text = self.cleaned_data["query"]
        try:
            self.node = q.parse(text)
        except q.QueryError as error:
            raise forms.ValidationError(str(error), code="query") from error
        return text.strip()

    def clean_tone_goal_percent(self) -> int | None:
        value = self.cleaned_data["tone_goal_percent"]
        if value is not None and value > 100:
            raise forms.ValidationError(_("Give a share from 0 to 100."))
        return value
