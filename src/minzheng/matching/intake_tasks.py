"""Background jobs of the datasets' intake. Tasks take ids and call a service (STYLE.md §2)."""

from __future__ import annotations

from django_tasks import task

from minzheng.core.models import User
from minzheng.matching.models import ExternalDataset
from minzheng.matching.services.datasets import dataset_validate


@task()
def dataset_validate_task(dataset_id: int, actor_id: int | None = None) -> None:
    """Validate a delivery and put it in use or refuse it (matching.services.datasets)."""
    dataset = ExternalDataset.objects.get(pk=dataset_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    dataset_validate(dataset, actor=actor)
