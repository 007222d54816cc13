"""Login and logout. A user sent back to the login page after the session ran out is told so,
instead of finding the form with no explanation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from minzheng.core.forms import LoginForm

SESSION_EXPIRED = _("会话已过期,请重新登录")
LOGIN_FIRST = _("请先登录")
LOGGED_OUT = _("您已安全退出")
# Set at login, dropped at logout: its presence at the login page means the session expired.
SEEN_COOKIE = "mz_seen"
SEEN_MAX_AGE = 30 * 24 * 3600


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = self.request
        context["notice"] = ""
        if request.method == "GET" and request.GET.get(self.redirect_field_name):
            context["notice"] = SESSION_EXPIRED if request.COOKIES.get(SEEN_COOKIE) else LOGIN_FIRST
        return context

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        response.set_cookie(
            SEEN_COOKIE,
            "1",
            max_age=SEEN_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=self.request.is_secure(),
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, LOGGED_OUT)
        response.delete_cookie(SEEN_COOKIE, samesite="Lax")
        return response
