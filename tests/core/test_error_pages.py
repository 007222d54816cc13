import pytest


@pytest.mark.django_db
def test_a_forbidden_page_explains_itself_in_chinese(client, personas):
    client.force_login(personas.village_assistant)
    response = client.get("/registry/import/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


@pytest.mark.django_db
def test_a_record_out_of_scope_reads_as_not_found_in_chinese(client, personas):
    client.force_login(personas.village_assistant)
    response = client.get("/registry/households/999999/")
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.content.decode()
