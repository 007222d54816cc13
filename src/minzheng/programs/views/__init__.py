"""The case engine's pages: the clerk's inbox and the county's overdue list, the case lists,
the one-window acceptance, the case page with the form of its open step, a household's
assistance record and the standards. Views parse the request, call one selector or service,
and render."""
