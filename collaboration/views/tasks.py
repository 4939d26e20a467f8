"""Tasks: the member's own and everyone's, open or done; a form to create and edit; marking done."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from collaboration import selectors
from collaboration.access import get_task_for_member, get_task_to_complete
from collaboration.forms import TaskForm
from collaboration.models import Task
from collaboration.services.conversation import task_save, task_set_done
from collaboration.services.notifications import is_local_url
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore wants the whole page, although htmx sends it.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _for_rows(tasks: list[Task]) -> list[Task]:
    """Give each task what its row shows: `is_overdue` (open, and due before today in the member's time
    zone: a task due today is not late yet) and `safe_link`, its link only if it is a path on this site
    (task_save refuses other links, but a row changed in the admin does not go through it)."""
    today = timezone.localdate()
    for task in tasks:
        overdue = task.status == Task.Status.OPEN and task.due_on is not None and task.due_on < today
        task.is_overdue = overdue  # type: ignore[attr-defined]
        task.safe_link = task.link if task.link and is_local_url(task.link) else ""  # type: ignore[attr-defined]
    return tasks


def _list_url(membership: Membership, *, show: str = "mine", status: str = "open") -> str:
    query = {key: value for key, value in (("show", show), ("status", status)) if value not in ("mine", "open")}
    url = reverse("collaboration:tasks", args=[membership.workspace.slug])
    return f"{url}?{urlencode(query)}" if query else url


@access.workspace_view()
@require_GET
def task_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The "My tasks" (default) or "All tasks" tab, open (default) or done tasks; overdue ones stand out."""
    show = "all" if request.GET.get("show") == "all" else "mine"
    status = "done" if request.GET.get("status") == "done" else "open"
    tasks = selectors.tasks_to_show(membership, mine=show == "mine", done=status == "done")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _for_rows(list(page.object_list))
    context: dict[str, Any] = {
        "page": page,
        "show": show,
        "status": status,
        "query": urlencode({key: value for key, value in (("show", show), ("status", status))}),
        "here": request.get_full_path(),
        "tabs": [
            ("mine", _("My tasks"), _list_url(membership, status=status)),
            ("all", _("All tasks"), _list_url(membership, show="all", status=status)),
        ],
        "filters": [
            ("open", pgettext("task status", "Open"), _list_url(membership, show=show)),
            ("done", _("Done"), _list_url(membership, show=show, status="done")),
        ],
    }
    return render(request, "collaboration/task_list.html", context)


@access.workspace_view("can_draft")
def task_edit(request: HttpRequest, membership: Membership, task_id: int | None = None) -> HttpResponse:
    """Create a task (no `task_id`) or change one; a newly assigned member is notified by the service."""
    task = get_task_for_member(membership, task_id, write=True) if task_id else None
    form = TaskForm(request.POST or None, membership=membership, task=task)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = task_save(
                membership=membership,
                task=task,
                title=data["title"],
                description=data["description"],
                assignee=data["assignee"],
                due_on=data["due_on"],
                post=task.post if form.keeps_hidden_post and task else data.get("post"),
                campaign=data["campaign"],
                link=data["link"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Task saved: %(task)s") % {"task": task.title})
            mine = task.assignee_id == membership.user_id
            return redirect(_list_url(membership, show="mine" if mine else "all"))
    context = {"form": form, "task": task}
    return render(request, "collaboration/task_form.html", context, status=400 if form.errors else 200)


@access.workspace_view()
@require_POST
def task_done(request: HttpRequest, membership: Membership, task_id: int) -> HttpResponse:
    """Mark a task done (done=1) or open it again (done=0). htmx gets the task's row (and the navigation's
    new count); a plain form goes back to the list it came from."""
    task = get_task_to_complete(membership, task_id)
    done = request.POST.get("done") == "1"
    task_set_done(task=task, done=done)
    if _is_htmx(request):
        _for_rows([task])
        context = {"task": task, "here": request.POST.get("next", "")}
        return render(request, "collaboration/_task_done.html", context)
    if done:
        messages.success(request, _("Done: %(task)s") % {"task": task.title})
    else:
        messages.success(request, _("Open again: %(task)s") % {"task": task.title})
    back = request.POST.get("next", "")
    tasks_url = reverse("collaboration:tasks", args=[membership.workspace.slug])
    # Only back to a page of this workspace's task list, never anywhere else.
    if is_local_url(back) and back.split("?", 1)[0] == tasks_url:
        return HttpResponseRedirect(back)
    return redirect(tasks_url)
