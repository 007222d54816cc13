"""The platform's own pages: login, dashboard, region tree, users, audit search, calendar."""
