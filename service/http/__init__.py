"""HTTP plumbing shared by every route: errors, request ids and logs, CORS, CSRF, headers."""
