"""The registry's pages: person search and record, household list and page, and the forms of
every registry action. Views parse the request, call one selector or service, and render."""
