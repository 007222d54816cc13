"""What the case engine tells the apps that read it (they import programs, never the reverse).

`review_completed(sender, actor, review, outcome)` is sent inside the transaction of
`programs.services.reviews.review_complete`, once the outcome is applied, so that a receiver's
writes (信息比对: the flag the review was opened for) commit with it."""

from django.dispatch import Signal

review_completed = Signal()
