"""Every API error reads {"errors": {"field": ["中文说明"]}}, nested fields flattened to the
keys the services use."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DrfValidationError

from minzheng.core.api import errors_renamed, exception_handler


def handled(exc: Exception) -> tuple[int, object]:
    response = exception_handler(exc, {})
    assert response is not None
    return response.status_code, response.data


def test_a_service_error_keyed_by_field_becomes_a_400() -> None:
    code, data = handled(ValidationError({"id_number": "身份证号码校验位错误,请核对"}))
    assert (code, data) == (400, {"errors": {"id_number": ["身份证号码校验位错误,请核对"]}})


def test_an_error_without_a_field_is_a_non_field_error() -> None:
    assert handled(ValidationError("不可以"))[1] == {"errors": {"non_field_errors": ["不可以"]}}
    model_level = ValidationError({"__all__": ["重复"]})
    assert handled(model_level)[1] == {"errors": {"non_field_errors": ["重复"]}}


def test_nested_serializer_errors_are_flattened() -> None:
    nested = DrfValidationError(
        {
            "incomes": {1: {"kind": ["无效"]}},
            "assets": [{}, {"value": ["太大"]}],
            "head": {"id_number": ["错误"]},
        }
    )
    assert handled(nested)[1] == {
        "errors": {
            "incomes[1].kind": ["无效"],
            "assets[1].value": ["太大"],
            "head.id_number": ["错误"],
        }
    }


def test_other_errors_carry_their_detail() -> None:
    assert handled(NotFound("该记录不在您的管辖范围内")) == (
        404,
        {"errors": {"detail": ["该记录不在您的管辖范围内"]}},
    )


def test_service_keys_are_renamed_to_the_request_fields() -> None:
    with pytest.raises(ValidationError) as e, errors_renamed({"region": "region_code"}):
        raise ValidationError({"region": "区划代码不存在", "role": "角色不存在"})
    assert e.value.message_dict == {"region_code": ["区划代码不存在"], "role": ["角色不存在"]}
    with pytest.raises(ValidationError) as e, errors_renamed(under="head"):
        raise ValidationError({"id_number": "错误"})
    assert e.value.message_dict == {"head.id_number": ["错误"]}
