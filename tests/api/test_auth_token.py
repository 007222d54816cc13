"""POST /api/v1/auth/token/ trades a username and password for a token; DELETE revokes it."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from minzheng.core.apis import LOCKED_OUT, LOGIN_FAILED, LOGIN_THROTTLED
from tests.conftest import PASSWORD, Personas

URL = "/api/v1/auth/token/"


def login(client: APIClient, username: str, password: str = PASSWORD) -> tuple[int, dict]:
    response = client.post(URL, {"username": username, "password": password}, format="json")
    return response.status_code, response.json()


@pytest.mark.django_db
def test_it_gives_a_token_that_authenticates_later_requests(personas: Personas) -> None:
    client = APIClient()
    code, body = login(client, "township")
    assert code == 200
    assert body["role"] == "township_clerk"
    assert body["region_code"] == "341503100000"
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/persons/").status_code == 200


@pytest.mark.django_db
def test_it_gives_the_same_token_on_a_second_login(personas: Personas) -> None:
    client = APIClient()
    assert login(client, "township")[1]["token"] == login(client, "township")[1]["token"]


@pytest.mark.django_db
def test_a_wrong_password_is_refused_in_chinese(personas: Personas) -> None:
    code, body = login(APIClient(), "township", "wrong-password")
    assert code == 400
    assert body == {"errors": {"non_field_errors": [LOGIN_FAILED]}}


@pytest.mark.django_db
def test_missing_fields_are_named(personas: Personas) -> None:
    response = APIClient().post(URL, {"username": "township"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["password"] == ["该字段是必填项。"]


@pytest.mark.django_db
def test_a_deactivated_user_gets_no_token(personas: Personas) -> None:
    personas.township_clerk.is_active = False
    personas.township_clerk.save()
    assert login(APIClient(), "township")[0] == 400


@pytest.mark.django_db
def test_five_failures_lock_the_account_even_against_the_right_password(
    personas: Personas,
) -> None:
    client = APIClient()
    codes = [login(client, "township", "wrong-password")[0] for _ in range(4)]
    assert codes == [400] * 4
    code, body = login(client, "township", "wrong-password")
    assert code == 403
    assert body == {"errors": {"detail": [LOCKED_OUT]}}
    code, body = login(client, "township")
    assert code == 403, "a locked-out user is refused whatever the password"
    assert "token" not in body
    assert not Token.objects.filter(user=personas.township_clerk).exists()


@pytest.mark.django_db
def test_the_lockout_answers_json_not_the_login_page(personas: Personas) -> None:
    client = APIClient()
    for _ in range(6):
        response = client.post(URL, {"username": "county", "password": "x"}, format="json")
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_another_user_is_not_locked_by_someone_elses_failures(personas: Personas) -> None:
    client = APIClient()
    for _ in range(5):
        login(client, "township", "wrong-password")
    assert login(client, "county")[0] == 200


@pytest.mark.django_db
def test_more_than_ten_requests_a_minute_are_throttled(personas: Personas) -> None:
    client = APIClient()
    codes = [login(client, "county")[0] for _ in range(10)]
    assert codes == [200] * 10
    response = client.post(URL, {"username": "county", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json() == {"errors": {"detail": [LOGIN_THROTTLED.format(wait=60)]}}
    assert "Retry-After" in response


@pytest.mark.django_db
def test_delete_revokes_the_token(personas: Personas) -> None:
    client = APIClient()
    token = login(client, "village")[1]["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete(URL).status_code == 204
    response = client.get("/api/v1/persons/")
    assert response.status_code == 401
    assert response.json()["errors"]["detail"] == ["认证令牌无效。"]


@pytest.mark.django_db
def test_revoking_needs_a_login(personas: Personas) -> None:
    assert APIClient().delete(URL).status_code == 401


@pytest.mark.django_db
def test_requests_without_credentials_get_401(personas: Personas) -> None:
    response = APIClient().get("/api/v1/households/")
    assert response.status_code == 401
    assert response.json() == {"errors": {"detail": ["身份认证信息未提供。"]}}


@pytest.mark.django_db
def test_the_pages_session_also_authenticates_api_calls(personas: Personas) -> None:
    client = APIClient()
    client.force_login(personas.village_assistant)
    assert client.get("/api/v1/households/").status_code == 200


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(personas: Personas) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.village_assistant)
    response = client.post("/api/v1/persons/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"]["detail"][0]
