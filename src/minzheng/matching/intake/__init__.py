"""Receiving a department's file: read its head (format, encoding, headings under title rows,
sample rows), guess the column mapping from the schema's aliases, and validate the whole file
in DuckDB, writing the canonical Parquet. Pure functions over paths: the Django side (models,
audit, permissions) is matching.services.datasets."""

from minzheng.matching.intake.files import FileLayout, IntakeError, sniff
from minzheng.matching.intake.mapping import guess_mapping, mapping_errors
from minzheng.matching.intake.validate import IntakeResult, Progress, validate_file

__all__ = [
    "FileLayout",
    "IntakeError",
    "IntakeResult",
    "Progress",
    "guess_mapping",
    "mapping_errors",
    "sniff",
    "validate_file",
]
