"""Forms of the collaboration pages: approval workflows and steps, decisions, review links, comments."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import validate_email
from django.db.models import Field, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from collaboration.models import (
    ApprovalStep,
    ApprovalWorkflow,
    Audience,
    Guidelines,
    NotificationPreference,
    Objective,
    ShareSuggestion,
    Strategy,
    Task,
    WordRule,
)
from collaboration.selectors import task_campaign_choices, task_post_choices
from collaboration.services.notifications import is_local_url
from publishing.models import Campaign, Post
from smm.accounts.models import Membership, User
from smm.networks.models import ConnectedAccount


class MemberChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class WorkflowForm(forms.ModelForm):
    scope = forms.ChoiceField(
        label=_("Applies to"),
        choices=[
            ("default", _("Every post (the workspace default)")),
            ("account", _("One account")),
            ("campaign", _("One campaign")),
        ],
    )

    class Meta:
        model = ApprovalWorkflow
        fields = ["name", "account", "campaign"]

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.workspace_id = workspace_id
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = ConnectedAccount.objects.for_workspace(
            workspace_id
        )
        cast(forms.ModelChoiceField, self.fields["campaign"]).queryset = Campaign.objects.filter(
            workspace_id=workspace_id
        )
        self.fields["account"].required = self.fields["campaign"].required = False
        if self.instance.pk:
            self.initial["scope"] = (
                "account" if self.instance.account_id else "campaign" if self.instance.campaign_id else "default"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope")
        if scope == "account" and not data.get("account"):
            self.add_error("account", _("Choose the account."))
        if scope == "campaign" and not data.get("campaign"):
            self.add_error("campaign", _("Choose the campaign."))
        if scope != "account":
            data["account"] = None
        if scope != "campaign":
            data["campaign"] = None
        others = ApprovalWorkflow.objects.filter(workspace_id=self.instance.workspace_id).exclude(pk=self.instance.pk)
        if scope == "default" and others.filter(account__isnull=True, campaign__isnull=True).exists():
            self.add_error("scope", _("The workspace already has a default workflow. Edit that one."))
        if scope == "account" and data.get("account") and others.filter(account=data["account"]).exists():
            self.add_error("account", _("This account already has a workflow."))
        if scope == "campaign" and data.get("campaign") and others.filter(campaign=data["campaign"]).exists():
            self.add_error("campaign", _("This campaign already has a workflow."))
        return data

    def save(self, commit: bool = True) -> ApprovalWorkflow:
        self.instance.account = self.cleaned_data.get("account")
        self.instance.campaign = self.cleaned_data.get("campaign")
        return cast(ApprovalWorkflow, super().save(commit))


class StepForm(forms.ModelForm):
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[
            ("", "–"),
            (Membership.Role.EDITOR, _("Editor")),
            (Membership.Role.ADMIN, _("Admin")),
            (Membership.Role.OWNER, _("Owner")),
        ],
    )

    class Meta:
        model = ApprovalStep
        fields = ["position", "kind", "role", "members", "external_emails", "rule"]
        widgets = {"external_emails": forms.Textarea(attrs={"rows": 2}), "position": forms.HiddenInput()}

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"] = MemberChoices(
            label=_("Members"),
            queryset=Membership.objects.filter(workspace_id=workspace_id)
            .exclude(role=Membership.Role.VIEWER)
            .select_related("user"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["position"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("DELETE"):
            return data
        kind = data.get("kind")
        if kind == ApprovalStep.Kind.ROLE and not data.get("role"):
            self.add_error("role", _("Choose the role."))
        if kind == ApprovalStep.Kind.MEMBERS and not data.get("members"):
            self.add_error("members", _("Choose at least one member."))
        if kind == ApprovalStep.Kind.EXTERNAL:
            emails = [
                line.strip()
                for line in (data.get("external_emails") or "").replace(",", "\n").splitlines()
                if line.strip()
            ]
            if not emails:
                self.add_error("external_emails", _("Write at least one e-mail address."))
            for email in emails:
                try:
                    validate_email(email)
                except forms.ValidationError:
                    self.add_error("external_emails", _("“%(email)s” is not an e-mail address.") % {"email": email})
        return data


class BaseStepFormSet(BaseInlineFormSet):
    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        self.workspace_id = workspace_id
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "workspace_id": self.workspace_id}

    @property
    def empty_form(self) -> Any:
        form = self.form(  # type: ignore[call-arg]  # StepForm takes workspace_id
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            workspace_id=self.workspace_id,
        )
        self.add_fields(form, None)
        return form


StepFormSet = inlineformset_factory(
    ApprovalWorkflow, ApprovalStep, form=StepForm, formset=BaseStepFormSet, extra=1, can_delete=True
)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject: say what to change."),
    )


class ExternalDecisionForm(DecisionForm):
    name = forms.CharField(label=_("Your name"), max_length=150)


class ReviewLinkForm(forms.Form):
    email = forms.EmailField(label=_("Reviewer's e-mail"))
    name = forms.CharField(label=_("Reviewer's name"), max_length=150, required=False)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your team sees comments. Mention a member with @ and their e-mail name, for example @eeva."),
    )


# Guidelines, word rules, strategy ----------------------------------------------------------------
class GuidelinesForm(forms.ModelForm):
    class Meta:
        model = Guidelines
        fields = ["policy_html", "voice", "disclosures"]
        widgets = {
            # static/js/policy-editor.js puts Trix over this text area, with the toolbar of this <template> id.
            "policy_html": forms.Textarea(attrs={"rows": 14, "data-rich-text": "policy-toolbar"}),
            "voice": forms.Textarea(attrs={"rows": 4}),
            "disclosures": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "policy_html": _(
                "Headings, bold, italics, lists, quotes and links. Anything else, such as images or scripts,"
                " is removed when you save."
            ),
            "voice": _("How we sound: tone, the words we like and the words we avoid."),
            "disclosures": _("What a post must say when it applies, such as #ad or #mainos for a paid partnership."),
        }


class WordRuleForm(forms.ModelForm):
    class Meta:
        model = WordRule
        fields = ["phrase", "level", "note"]


class WordTryForm(forms.Form):
    text = forms.CharField(
        label=_("Text to check"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class StrategySectionForm(forms.Form):
    """One free-text section of the strategy (purpose, voice or roles), labelled like the model field."""

    text = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, section: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", section)
        super().__init__(*args, **kwargs)
        self.section = section
        self.fields["text"].label = cast(Field, Strategy._meta.get_field(section)).verbose_name


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class AudienceForm(forms.ModelForm):
    class Meta:
        model = Audience
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ChannelPurposeForm(forms.Form):
    """One account's purpose and audiences. The audiences come as a list, loaded once for every
    account's form on the strategy page (a ModelMultipleChoiceField would query once per form)."""

    purpose = forms.CharField(
        label=_("What this channel is for"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    audiences = forms.MultipleChoiceField(label=_("Audiences"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, audiences: list[Audience], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience_by_id = {str(audience.pk): audience for audience in audiences}
        cast(forms.MultipleChoiceField, self.fields["audiences"]).choices = [
            (key, audience.name) for key, audience in self.audience_by_id.items()
        ]

    def clean_audiences(self) -> list[Audience]:
        return [self.audience_by_id[key] for key in self.cleaned_data["audiences"]]


# Tasks, notification e-mails, the newsroom digest ------------------------------------------------
def email_lines(text: str) -> list[str]:
    """The addresses in a box of one per line (commas also accepted), each once, in the given order."""
    seen: dict[str, str] = {}
    for line in text.replace(",", "\n").splitlines():
        address = line.strip()
        if address and address.casefold() not in seen:
            seen[address.casefold()] = address
    return list(seen.values())


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class PostChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} · {obj.get_status_display()}"


class TaskForm(forms.Form):
    """A task's fields; saved by services.task_save (a ModelForm would change the task before the service
    could see who was assigned before)."""

    title = forms.CharField(label=_("Task"), max_length=200)
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    assignee = UserChoiceField(
        label=_("Assigned to"), queryset=User.objects.none(), required=False, empty_label=_("Nobody yet")
    )
    due_on = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    post = PostChoiceField(
        label=_("Post"),
        queryset=Post.objects.none(),
        required=False,
        empty_label=_("No post"),
        help_text=_("The posts you can see, most recently changed first."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=_("No campaign")
    )
    link = forms.CharField(
        label=_("Link"),
        max_length=500,
        required=False,
        help_text=_("A page in smm, such as an inbox thread: copy its address from /w/ onwards."),
    )

    def __init__(self, *args: Any, membership: Membership, task: Task | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        workspace_id = membership.workspace_id
        assignee = cast(forms.ModelChoiceField, self.fields["assignee"])
        assignee.queryset = User.objects.filter(memberships__workspace_id=workspace_id, is_active=True).order_by(
            Lower(Coalesce(NullIf("full_name", Value("")), "email"))  # by the name shown
        )
        campaign = cast(forms.ModelChoiceField, self.fields["campaign"])
        campaign.queryset = task_campaign_choices(workspace_id, keep=task.campaign_id if task else None)
        # A task may link to a post on an account this member cannot see: the member cannot change
        # that link, and does not learn the post's text from the choices.
        self.keeps_hidden_post = bool(task and task.post_id and not getattr(task, "post_visible", False))
        if self.keeps_hidden_post:
            del self.fields["post"]
        else:
            post = cast(forms.ModelChoiceField, self.fields["post"])
            post.queryset = task_post_choices(membership, keep=task.post_id if task else None)
        if task is not None:
            self.initial.update(
                title=task.title,
                description=task.description,
                assignee=task.assignee_id,
                due_on=task.due_on,
                post=task.post_id,
                campaign=task.campaign_id,
                link=task.link,
            )
        else:
            self.initial.setdefault("assignee", membership.user_id)

    def clean_link(self) -> str:
        link = str(self.cleaned_data["link"]).strip()
        if link and not is_local_url(link):
            raise forms.ValidationError(_("Link to a page in smm (an address that starts with /)."))
        return link

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("post") and data.get("campaign"):
            self.add_error("campaign", _("Link the task to a post or to a campaign, not both."))
        return data


class NotificationPreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label=_("E-mail me"),
        choices=NotificationPreference.Email.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )


class NewsroomDigestForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send the weekly digest"), required=False)
    recipients = forms.CharField(
        label=_("Recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("E-mail addresses inside the organisation, one per line. It goes out on Monday mornings."),
    )

    def clean_recipients(self) -> list[str]:
        addresses = email_lines(self.cleaned_data["recipients"])
        wrong = []
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                wrong.append(address)
        if wrong:
            raise forms.ValidationError(
                _("These are not e-mail addresses: %(addresses)s") % {"addresses": ", ".join(wrong)}
            )
        return addresses

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("enabled") and "recipients" in data and not data["recipients"]:
            self.add_error("recipients", _("Add at least one recipient, or turn the digest off."))
        return data


# Employee sharing --------------------------------------------------------------------------------
class ShareLinkForm(forms.ModelForm):
    """A link (an article, a job advert) for staff to share, with a suggested text."""

    url = forms.URLField(label=_("Link"), max_length=1000, assume_scheme="https")

    class Meta:
        model = ShareSuggestion
        fields = ["url", "title", "suggested_text"]
        widgets = {"suggested_text": forms.Textarea(attrs={"rows": 3})}


class ShareForm(forms.Form):
    """One member's share of an item: the text as they edited it, and (to publish) one of their accounts."""

    text = forms.CharField(label=_("Your text"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))
    # Plain choices, not a queryset: the sharing page renders this form once per item.
    account = forms.TypedChoiceField(label=_("Share to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, accounts: list[ConnectedAccount], require_account: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.accounts = {account.pk: account for account in accounts}
        field = cast(forms.TypedChoiceField, self.fields["account"])
        field.choices = [(account.pk, str(account)) for account in accounts]
        field.required = require_account
        field.error_messages["required"] = _("Choose one of your accounts to share to.")

    def clean_account(self) -> ConnectedAccount | None:
        chosen = self.cleaned_data.get("account")
        return self.accounts.get(chosen) if chosen is not None else None
