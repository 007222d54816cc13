"""What the registry tells the apps that read it (they import registry, never the reverse).

`person_died(sender, actor, person, death_date)` is sent inside the transaction that records a
death, so that a receiver's writes (suspending payment, opening a review) commit with it."""

from django.dispatch import Signal

person_died = Signal()

# `demo_loaded(sender, county_code, seed, households)` is sent by `minzheng demo` once the demo
# county's households and users exist; each receiver adds its own demo records and returns a
# one-line summary that the command prints.
demo_loaded = Signal()
