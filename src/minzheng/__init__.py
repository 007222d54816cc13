"""minzheng: case management for a county civil affairs bureau (民政局)."""
