import pytest

from minzheng.core.models import AuditEvent
from tests.conftest import VILLAGE
from tests.factories import make_household


@pytest.mark.django_db
def test_a_household_created_through_the_service_is_audited(personas):
    household = make_household(personas.village_assistant, region_code=VILLAGE)
    assert household.head is not None
    assert AuditEvent.objects.filter(object_type="Household", object_id=str(household.pk)).exists()
