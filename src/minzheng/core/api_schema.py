"""OpenAPI generation (drf-spectacular): kept apart from core.api, which DRF imports while its
own modules are still loading (the pagination class), to avoid a circular import."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class AutoSchema(SpectacularAutoSchema):
    """Names components after the operation: PersonCreateApi.InputSerializer becomes
    `PersonCreateInput` (every nested serializer is called InputSerializer/OutputSerializer)."""

    def get_serializer_name(self, serializer: serializers.Serializer[Any], direction: Any) -> str:
        qualname = type(serializer).__qualname__
        if "." not in qualname:
            return type(serializer).__name__
        outer, inner = qualname.rsplit(".", 1)
        outer = outer.split(".")[-1].removesuffix("Api")
        return outer + inner.removesuffix("Serializer")


ERROR_SCHEMA = {
    "type": "object",
    "description": '错误: {"errors": {"字段名": ["中文说明"]}};与字段无关的错误在 detail 或 '
    "non_field_errors 下",
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
    "required": ["errors"],
}
ERROR_RESPONSES = {
    "400": "输入有误,按字段列出原因",
    "401": "未登录或令牌无效",
    "403": "角色无权执行此操作",
    "404": "记录不存在或不在您的管辖范围内",
    "409": "记录状态已被更改(如成员已离开),请刷新后重试",
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: document the error shape on every operation (400 where input is
    read, 401/403 where a login is needed, 404 where the path names an object)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            public = {} in operation.get("security", [{}])
            codes = ["400"] if method != "get" or operation.get("parameters") else []
            codes += [] if public else ["401", "403"]
            codes += ["404"] if "{" in path else []
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {})
            for code, response in responses.items():
                if code in ERROR_RESPONSES:
                    response.update(content=ref, description=ERROR_RESPONSES[code])
    return result
