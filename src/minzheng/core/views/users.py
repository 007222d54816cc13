"""系统管理 → 用户管理 (system administrators only): list, create, edit, reset a password.
Every write goes through core.services.users; its field errors land on the form's fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from minzheng.core.forms import PasswordResetForm, UserCreateForm, UserEditForm, UserFilterForm
from minzheng.core.scope import USER_ADMINS
from minzheng.core.selectors import scope_prefix_of, user_get, user_list
from minzheng.core.services.users import user_create, user_set_password, user_update
from minzheng.core.views.access import current_user, roles_required

PAGE_SIZE = 25
# service error key -> form field
FORM_FIELDS = {"region": "region_code", "password": "password1"}


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError({field: [message]}) on the form's fields."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages_ in error.message_dict.items():
        name = FORM_FIELDS.get(key, key)
        form.add_error(name if name in form.fields else None, messages_)


@roles_required(USER_ADMINS)
def user_index(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    filters = UserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    users = user_list(
        user=actor,
        role=data.get("role", ""),
        region_prefix=scope_prefix_of(data.get("region", "")),
        is_active=filters.is_active_value() if data else None,
        q=data.get("q", ""),
    )
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    return render(request, "core/user_list.html", context)


@roles_required(USER_ADMINS)
def user_new(request: HttpRequest) -> HttpResponse:
    actor = current_user(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = user_create(
                actor=actor,
                username=data["username"],
                role=data["role"],
                region_code=data["region_code"],
                password=data["password1"],
                full_name=data["full_name"],
                phone=data["phone"],
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已创建用户“%(name)s”") % {"name": created.username})
            return redirect("user_list")
    return render(request, "core/user_form.html", {"form": form, "target": None})


@roles_required(USER_ADMINS)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = current_user(request)
    target = user_get(user=actor, pk=pk)
    form = UserEditForm(request.POST or None, target=target, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            user_update(actor=actor, user=target, data=data, reason=reason)
        except ValidationError as e:
            target.refresh_from_db()
            add_service_errors(form, e)
        else:
            messages.success(request, _("已保存用户“%(name)s”") % {"name": target.username})
            return redirect("user_list")
    return render(request, "core/user_form.html", {"form": form, "target": target})


@roles_required(USER_ADMINS)
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    actor = current_user(request)
    target = user_get(user=actor, pk=pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_password(actor=actor, user=target, password=form.cleaned_data["password1"])
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已重置用户“%(name)s”的密码") % {"name": target.username})
            return redirect("user_list")
    return render(request, "core/user_password.html", {"form": form, "target": target})
