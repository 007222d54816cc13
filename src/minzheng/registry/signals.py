"""What the registry tells the programs that read it (programs -> registry, never back).

`person_died(sender, actor, person, death_date)` is sent inside the transaction that records a
death, so that a receiver's writes (suspending payment, opening a review) commit with it."""

from django.dispatch import Signal

person_died = Signal()
